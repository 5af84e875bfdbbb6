#!/usr/bin/env bash
# The generated TypeScript client compiles against the current OpenAPI document:
# write the document, install the client's pinned tools (package-lock.json), generate
# the types with openapi-typescript, type-check the client with tsc. Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
python - <<'PY'
import json
from lms.core.config import Settings
from lms.main import create_app

settings = Settings(environment="test", secret_key="openapi-document-only-" + "x" * 20)
document = create_app(settings, run_jobs=False).openapi()
with open("build/openapi.json", "w", encoding="utf-8") as out:
    json.dump(document, out)
PY
cd clients/typescript
npm ci --no-audit --no-fund --loglevel=error
npm run --silent generate
npm run --silent check
echo "TypeScript client: generated and type-checked against build/openapi.json"
