#!/usr/bin/env bash
# Property-based API tests: schemathesis generates requests from openapi.yaml and checks
# every answer against it, on a live `tribute serve` over a throwaway SQLite database, or
# over DATABASE_URL when given.
# Usage: scripts/schemathesis.sh [path/to/tribute] [DATABASE_URL]   (needs .venv with schemathesis)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build/debug/tribute}"
PORT="${SCHEMATHESIS_PORT:-18099}"
source scripts/server.sh
start_server "$BIN" "$PORT" "${2:-}"
# A workspace with credits, so that generated requests also reach the paths that succeed.
make_workspace "$PORT" w pro 1000000

set +e
.venv/bin/schemathesis run Sources/TributeServer/openapi.yaml \
  --url "http://127.0.0.1:$PORT" -H "Authorization: Bearer $KEY" \
  --checks all --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --seed 1 --workers 2 \
  --suppress-health-check all --phases examples,fuzzing,stateful
STATUS=$?
grep -E "error" "$WORK/serve.log" | head -20 || true
set -e
"$BIN" ledger verify --database "$DB"
exit $STATUS
