#!/usr/bin/env bash
# The load benchmark, start to finish: seed PostgreSQL, start the API in production mode
# and the floor under the same uvicorn configuration, log in, check that the floor
# answers like the API, drive every scenario with wrk, print the table.
#
#   bash benchmarks/load/run.sh
#
# Settings (environment):
#   BENCH_WORKERS=2          uvicorn workers, for the API and the floor alike
#   BENCH_CONNECTIONS=64     wrk connections     BENCH_THREADS=2  wrk threads
#   BENCH_LOGIN_CONNECTIONS=8  for the login scenario (bcrypt-bound, reported apart)
#   BENCH_DURATION=15        seconds per scenario and server (after a 3 s warm-up), in
#   BENCH_ROUNDS=3           rounds that alternate between the servers
#   BENCH_DB=lms_bench_load  the database (dropped and recreated!)
#   BENCH_REDIS_DB=6         the Redis database index (flushed!)
#   BENCH_BASELINE=<git ref> also benchmark that commit's API ("before"), same run
#   BENCH_SCENARIOS="catalogue course_detail my_courses lesson_content progress_update
#                    lesson_complete quiz login"
#   BENCH_POOL=15            database connections per worker, for the API (a fixed pool:
#                            no overflow connections opened and closed under load) and
#                            the floor alike; three servers x 2 workers x 15
#                            stay under PostgreSQL's default max_connections (100)
#   BENCH_PROFILE=1          record a py-spy profile of one API worker per scenario
#   BENCH_WEBHOOK_ENDPOINT=1 register one enabled webhook endpoint for every event type
#                            before the run (its messages are written to the outbox and
#                            queued; no worker sends them), to measure what a subscribed
#                            endpoint costs the write scenarios
#   BENCH_QUEUE=lms_bench_load  the Celery queue the API sends to (deleted afterwards
#                            when BENCH_WEBHOOK_ENDPOINT is set)
#   BENCH_PORT=8100          the API's port; the floor and the baseline use the next two
#   PYTHON=.venv/bin/python  the interpreter with the project installed
# Needs PostgreSQL, Redis and RabbitMQ on 127.0.0.1 (default ports) and wrk
# (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/benchmarks/load
PY=${PYTHON:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")
WORKERS=${BENCH_WORKERS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
LOGIN_CONNECTIONS=${BENCH_LOGIN_CONNECTIONS:-8}
THREADS=${BENCH_THREADS:-2}
DURATION=${BENCH_DURATION:-15}
ROUNDS=${BENCH_ROUNDS:-3}
ROUND_DURATION=$(( ${DURATION%s} / ROUNDS ))s
DB=${BENCH_DB:-lms_bench_load}
REDIS_DB=${BENCH_REDIS_DB:-6}
BASELINE=${BENCH_BASELINE:-}
POOL=${BENCH_POOL:-15}
SCENARIOS=${BENCH_SCENARIOS:-catalogue course_detail my_courses lesson_content progress_update lesson_complete quiz login}
OUT=${BENCH_OUT:-$HERE/out}
PG_ADMIN=postgresql://postgres@127.0.0.1:5432/postgres
DSN=postgresql://postgres@127.0.0.1:5432/$DB
REDIS_URL=redis://127.0.0.1:6379/$REDIS_DB
BROKER=amqp://guest:guest@127.0.0.1:5672//
QUEUE=${BENCH_QUEUE:-lms_bench_load}
API_PORT=${BENCH_PORT:-8100}
FLOOR_PORT=$((API_PORT + 1)) BASE_PORT=$((API_PORT + 2))

if ! command -v wrk >/dev/null; then
  echo "wrk is not installed. It is a Debian package: apt-get install wrk" >&2
  exit 2
fi
if [ ! -x "$PY" ]; then
  echo "No Python at $PY: create the venv first (python3 -m venv .venv &&" \
       ".venv/bin/pip install -e '.[dev]') or set PYTHON" >&2
  exit 2
fi
"$PY" - "$PG_ADMIN" "$BROKER" <<'PY' || { echo "PostgreSQL, Redis and RabbitMQ must run on 127.0.0.1" >&2; exit 2; }
import asyncio, socket, sys
import asyncpg, redis
async def main() -> None:
    await (await asyncpg.connect(sys.argv[1], timeout=3)).close()
asyncio.run(main())
redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3).ping()
socket.create_connection(("127.0.0.1", 5672), timeout=3).close()
PY

rm -rf "$OUT" && mkdir -p "$OUT/results"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${BASE_TREE:-}" ]; then git -C "$ROOT" worktree remove --force "$BASE_TREE" || true; fi
}
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
     "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== database $DB: recreate, migrate, seed"
"$PY" - "$PG_ADMIN" "$DB" <<'PY'
import asyncio, sys
import asyncpg
async def main() -> None:
    conn = await asyncpg.connect(sys.argv[1])
    await conn.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{sys.argv[2]}"')
    await conn.close()
asyncio.run(main())
PY
SECRET=$("$PY" -c "import secrets; print(secrets.token_urlsafe(48))")
export LMS_ENVIRONMENT=production LMS_SECRET_KEY=$SECRET LMS_LOG_LEVEL=WARNING \
  LMS_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/$DB LMS_REDIS_URL=$REDIS_URL \
  LMS_CELERY_BROKER_URL=$BROKER LMS_CELERY_QUEUE=$QUEUE LMS_ENABLE_DOCS=false \
  LMS_PUBLIC_BASE_URL=https://lms.example.com LMS_EMAIL_BACKEND=console \
  LMS_AUTH_RATE_LIMIT_PER_MINUTE=100000000 LMS_ATTEMPT_RATE_LIMIT_PER_MINUTE=100000000 \
  LMS_DATABASE_POOL_SIZE=$POOL LMS_DATABASE_MAX_OVERFLOW=0 \
  FLOOR_POOL_SIZE=$POOL
# (one load generator on one address would otherwise meet the login and quiz-attempt
# rate limits at once)
"$BIN/lms" db upgrade >/dev/null
"$PY" "$HERE/seed.py" --dsn "$DSN" --manifest "$OUT/manifest.json"
"$PY" -c "import redis; redis.Redis.from_url('$REDIS_URL').flushdb()"
if [ -n "${BENCH_WEBHOOK_ENDPOINT:-}" ]; then
  echo "== one webhook endpoint subscribed to every event type"
  "$PY" - <<'PY'
import asyncio
from lms.core.config import get_settings
from lms.core.engine import create_engine
from lms.core.security import encrypt_secret
from lms.core.session import commit, create_sessionmaker
from lms.main import load_modules
from lms.modules.webhooks import signing
from lms.modules.webhooks.models import WebhookEndpoint

async def main() -> None:
    load_modules()
    settings = get_settings()
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        session.add(WebhookEndpoint(
            url="https://hooks.example.com/lms", event_types=[], enabled=True,
            secret_encrypted=encrypt_secret(settings, signing.new_secret()),
        ))
        await commit(session)
    await engine.dispose()
asyncio.run(main())
PY
fi

wait_for() {  # url
  for _ in $(seq 1 100); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    sleep 0.3
  done
  echo "server at $1 did not start" >&2; exit 1
}

echo "== servers: API, floor${BASELINE:+ and baseline $BASELINE}, $WORKERS uvicorn workers each"
"$BIN/lms" serve --host 127.0.0.1 --port $API_PORT --workers "$WORKERS" >"$OUT/api.log" 2>&1 &
PIDS+=($!); API_PID=$!
FLOOR_DSN=$DSN "$PY" -m uvicorn benchmarks.load.floor:app --host 127.0.0.1 --port $FLOOR_PORT \
  --workers "$WORKERS" --log-level warning --no-access-log >"$OUT/floor.log" 2>&1 &
PIDS+=($!); FLOOR_PID=$!
TARGETS=(app floor)
if [ -n "$BASELINE" ]; then
  BASE_TREE=$(mktemp -d /tmp/lms-bench-baseline.XXXXXX)
  git -C "$ROOT" worktree add --detach --force "$BASE_TREE" "$BASELINE" >/dev/null 2>&1
  PYTHONPATH=$BASE_TREE/src "$PY" -c "from lms.cli import app; app()" serve --host 127.0.0.1 \
    --port $BASE_PORT --workers "$WORKERS" >"$OUT/baseline.log" 2>&1 &
  PIDS+=($!); BASE_PID=$!
  TARGETS=(baseline app floor)
  wait_for "http://127.0.0.1:$BASE_PORT/api/v1/health"
fi
wait_for "http://127.0.0.1:$API_PORT/api/v1/health"
wait_for "http://127.0.0.1:$FLOOR_PORT/api/v1/courses"

echo "== tokens, request files, parity check"
POOLS=(--target app --target floor)
[ -n "$BASELINE" ] && POOLS+=(--target baseline)
"$PY" "$HERE/prepare.py" --manifest "$OUT/manifest.json" --out "$OUT" \
  --api "http://127.0.0.1:$API_PORT" --floor "http://127.0.0.1:$FLOOR_PORT" "${POOLS[@]}"

port_of() { case $1 in app) echo $API_PORT;; floor) echo $FLOOR_PORT;; baseline) echo $BASE_PORT;; esac; }
workers_of() {  # the uvicorn worker processes under a server's main process
  local pid
  for pid in $(pgrep -P "$1"); do
    if grep -q spawn_main "/proc/$pid/cmdline" 2>/dev/null; then echo "$pid"; fi
  done
}

echo "== load: $CONNECTIONS connections, $THREADS wrk threads, $ROUNDS rounds of $ROUND_DURATION" \
     "per scenario and server"
for scenario in $SCENARIOS; do
  for target in "${TARGETS[@]}"; do
    # Warm-up (3 s, walking the request file backwards); none for the bcrypt-bound login.
    if [ "$scenario" = login ]; then continue; fi
    file=$OUT/$scenario.tsv
    [ -f "$OUT/$scenario.$target.tsv" ] && file=$OUT/$scenario.$target.tsv
    script=$HERE/lua/requests.lua
    [ "$scenario" = quiz ] && script=$HERE/lua/quiz.lua
    LUA_DIR=$HERE/lua WRK_RESULT=/dev/null wrk -t"$THREADS" -c"$CONNECTIONS" -d3s \
      --timeout 10s -s "$script" "http://127.0.0.1:$(port_of "$target")" -- "$file" \
      "$THREADS" reverse >/dev/null
  done
  # Measured in rounds that alternate between the servers, so that whatever else the
  # machine does at the time weighs on each of them alike.
  for round in $(seq 1 "$ROUNDS"); do
    for target in "${TARGETS[@]}"; do
      if [ "$scenario" = login ] && [ "$target" = floor ]; then continue; fi
      file=$OUT/$scenario.tsv
      [ -f "$OUT/$scenario.$target.tsv" ] && file=$OUT/$scenario.$target.tsv
      script=$HERE/lua/requests.lua
      [ "$scenario" = quiz ] && script=$HERE/lua/quiz.lua
      connections=$CONNECTIONS
      [ "$scenario" = login ] && connections=$LOGIN_CONNECTIONS
      start=$("$PY" -c "print(($round - 1) / $ROUNDS)")
      if [ "${BENCH_PROFILE:-}" = 1 ] && [ "$target" = app ] && [ "$round" = 1 ]; then
        worker=$(workers_of "$API_PID" | sed -n 1p)  # reads every line: no SIGPIPE under pipefail
        "$BIN/py-spy" record -p "$worker" -d 4 -r 250 -f raw \
          -o "$OUT/profile.$scenario.txt" >/dev/null 2>&1 &
        PROFILER=$!
      fi
      LUA_DIR=$HERE/lua WRK_RESULT=$OUT/results/$scenario.$target.$round.json wrk \
        -t"$THREADS" -c"$connections" -d"$ROUND_DURATION" --timeout 10s -s "$script" \
        "http://127.0.0.1:$(port_of "$target")" -- "$file" "$THREADS" forward "$start" \
        >"$OUT/results/$scenario.$target.$round.txt"
      if [ -n "${PROFILER:-}" ]; then wait "$PROFILER" || true; PROFILER=; fi
    done
  done
  for target in "${TARGETS[@]}"; do
    [ -f "$OUT/results/$scenario.$target.1.json" ] || continue
    "$PY" "$HERE/report.py" --merge "$OUT/results" "$scenario" "$target"
  done
done

"$PY" - "$OUT/results/rss.json" "app=$API_PID" "floor=$FLOOR_PID" ${BASE_PID:+"baseline=$BASE_PID"} <<'PY'
import json, subprocess, sys
found = {}
for item in sys.argv[2:]:
    name, pid = item.split("=")
    workers = subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split()
    peaks = []
    for worker in workers:
        try:
            if b"spawn_main" not in open(f"/proc/{worker}/cmdline", "rb").read():
                continue
            status = open(f"/proc/{worker}/status").read()
        except OSError:
            continue
        peaks += [int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM")]
    found[name] = peaks
json.dump(found, open(sys.argv[1], "w"))
PY
# The completion emails and certificates queued during the run stay undelivered: drop
# the benchmark's queue so that no worker picks them up later.
"$PY" -c "
import kombu
with kombu.Connection('$BROKER') as conn:
    kombu.Queue('$QUEUE', channel=conn.channel()).delete()
" 2>/dev/null || true

echo "== results ($(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$ROOT" rev-parse --short HEAD)${BASELINE:+, before = $BASELINE})"
"$PY" "$HERE/report.py" "$OUT/results"
