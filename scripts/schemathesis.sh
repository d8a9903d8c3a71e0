#!/usr/bin/env bash
# Property-based API tests: schemathesis generates requests from openapi.yaml and checks
# every answer against it, on a live `tribute serve` over a throwaway SQLite database.
# Usage: scripts/schemathesis.sh [path/to/tribute]   (needs .venv with schemathesis)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build/debug/tribute}"
PORT="${SCHEMATHESIS_PORT:-18099}"
WORK="$(mktemp -d)"
DB="sqlite:$WORK/schemathesis.sqlite"
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

KEY="$("$BIN" keys create --role admin --database "$DB")"
"$BIN" serve --port "$PORT" --database "$DB" > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
  sleep 0.1
done
# A workspace with credits, so that generated requests also reach the paths that succeed.
curl -fsS -X POST "http://127.0.0.1:$PORT/v1/workspaces" -H "Authorization: Bearer $KEY" \
  -d '{"id":"w","name":"Schemathesis","planId":"pro"}' > /dev/null
curl -fsS -X POST "http://127.0.0.1:$PORT/v1/workspaces/w/credit-grants" -H "Authorization: Bearer $KEY" \
  -d '{"amount":1000000}' > /dev/null

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
