#!/usr/bin/env bash
# HTTP load test on 127.0.0.1 only, bounded in time: wrk against /healthz and against
# authorize-and-debit of the same release server (embedded SQLite, durable), then a paced
# run at half the debit peak for its latency. Usage: scripts/load.sh [seconds-per-run]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CONNECTIONS=64
PORT="${LOAD_PORT:-18181}"

source scripts/server.sh
start_release_load_server "$PORT"
export TRIBUTE_KEY="$KEY"

run() { timeout $((SECONDS_PER_RUN + 30)) wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "$@"; }
rate() { awk '/Requests\/sec/ {print int($2)}'; }

echo "== /healthz, $CONNECTIONS connections"
run "http://127.0.0.1:$PORT/healthz" | tee "$WORK/health.txt"
echo "== authorize-and-debit, $CONNECTIONS connections"
run -s scripts/debit.lua "http://127.0.0.1:$PORT/v1/agent-actions/authorize-and-debit" | tee "$WORK/debit.txt"
HEALTH=$(rate < "$WORK/health.txt")
PEAK=$(rate < "$WORK/debit.txt")
HALF=$((PEAK / 2))
# Each connection waits CONNECTIONS/HALF seconds between requests: about HALF requests/s.
export DELAY_MS=$(( CONNECTIONS * 1000 / (HALF > 0 ? HALF : 1) ))
echo "== authorize-and-debit paced at about $HALF/s (half of peak; ${DELAY_MS} ms between requests per connection)"
run -s scripts/debit.lua "http://127.0.0.1:$PORT/v1/agent-actions/authorize-and-debit" | tee "$WORK/paced.txt"
P99=$(awk '$1 == "99%" {print $2}' "$WORK/paced.txt")
PACED=$(rate < "$WORK/paced.txt")

"$BIN" ledger verify --database "$DB"
echo "load: healthz ${HEALTH} req/s, debit ${PEAK} debits/s ($(( PEAK * 100 / (HEALTH > 0 ? HEALTH : 1) ))% of healthz), paced ${PACED} debits/s with p99 ${P99}"
