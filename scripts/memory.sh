#!/usr/bin/env bash
# Resident memory of a release `tribute serve` (embedded SQLite) before and after rounds of
# debits that each carry a fresh runId, userId and agentId (scripts/fresh-ids.lua), on
# 127.0.0.1 only, each round bounded in count and time. The workspace has a budget, so every
# call looks its scopes up. A benchmark, not a test: it prints figures.
# wrk runs each round for its whole duration even once every thread has sent its share, so
# the duration is a bound to set above what the round needs (ROUND_SECONDS, default 40).
# Usage: scripts/memory.sh [debits-per-round] [rounds] [id padding in bytes]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-60000}"
ROUNDS="${2:-2}"
PAD="${3:-0}"
PORT="${MEMORY_PORT:-18182}"
ROUND_SECONDS="${ROUND_SECONDS:-40}"

source scripts/server.sh
start_release_load_server "$PORT"
curl -fsS -X PUT "http://127.0.0.1:$PORT/v1/workspaces/load/budgets/agent:known" -H "Authorization: Bearer $KEY" \
  -d '{"limit":1000,"unit":"actions","period":"month"}' > /dev/null
export TRIBUTE_KEY="$KEY" COUNT PAD THREADS=2

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER/status"; }
# A warm-up round, so that the first measured round starts from a server that has served.
ROUND=warmup COUNT=5000 timeout 60 wrk -t2 -c64 -d10s -s scripts/fresh-ids.lua "http://127.0.0.1:$PORT/v1/agent-actions/authorize-and-debit" > /dev/null
BEFORE=$(rss_kib)
echo "memory: after warm-up $((BEFORE / 1024)) MiB resident"
PREVIOUS=$BEFORE
for round in $(seq 1 "$ROUNDS"); do
  ROUND="r$round" timeout $((ROUND_SECONDS + 30)) wrk -t2 -c64 -d"${ROUND_SECONDS}s" -s scripts/fresh-ids.lua "http://127.0.0.1:$PORT/v1/agent-actions/authorize-and-debit" | grep -E "answered"
  sleep 2
  NOW=$(rss_kib)
  echo "memory: round $round of $COUNT fresh-id debits: $((NOW / 1024)) MiB resident, $(( (NOW - PREVIOUS) / 1024 )) MiB more than before the round"
  PREVIOUS=$NOW
done
"$BIN" ledger verify --database "$DB" | tail -1
