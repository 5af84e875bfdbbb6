#!/usr/bin/env bash
# The whole check: lint, types, layering, then the test suite twice — on the embedded
# defaults (SQLite, memory store) and on PostgreSQL + Redis (+ RabbitMQ, SMTP for the
# integration tests). Under CI=true the service run is mandatory.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL="${LMS_TEST_PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
PG_DB="${LMS_TEST_PG_DB:-lms_test}"
export LMS_TEST_BROKER_URL="${LMS_TEST_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//}"

echo "== ruff"; ruff check src tests benchmarks; ruff format --check src tests benchmarks
echo "== mypy"; mypy
echo "== import-linter"; lint-imports
if command -v npm >/dev/null; then
  echo "== TypeScript client (generated from the OpenAPI document, type-checked)"
  bash scripts/typescript-client.sh
elif [ "${CI:-}" = "true" ]; then
  echo "node and npm are needed for the TypeScript client check and CI=true." >&2
  exit 1
else
  echo "== node/npm not installed: skipped the TypeScript client check (CI would fail here)"
fi

echo "== tests: embedded defaults (SQLite, memory store)"
env -u LMS_TEST_DATABASE_URL -u LMS_TEST_REDIS_URL python -m pytest -m "not integration" "$@"

services_up() {
  python - "$PG_ADMIN_URL" <<'PY'
import asyncio, sys
import asyncpg, redis
async def main() -> None:
    conn = await asyncpg.connect(sys.argv[1], timeout=3)
    await conn.close()
    redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3).ping()
asyncio.run(main())
PY
}

if services_up 2>/dev/null; then
  python - "$PG_ADMIN_URL" "$PG_DB" <<'PY'
import asyncio, sys
import asyncpg
async def main() -> None:
    conn = await asyncpg.connect(sys.argv[1])
    exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", sys.argv[2])
    if not exists:
        await conn.execute(f'CREATE DATABASE "{sys.argv[2]}"')
    await conn.close()
asyncio.run(main())
PY
  echo "== tests: PostgreSQL + Redis, with the integration tests"
  LMS_TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/${PG_DB}" \
  LMS_TEST_REDIS_URL="redis://127.0.0.1:6379/${LMS_TEST_REDIS_DB:-15}" \
    python -m pytest "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL or Redis is not reachable and CI=true: the service suite must run." >&2
  exit 1
else
  echo "== PostgreSQL/Redis not reachable: skipped the service run (CI would fail here)"
fi
