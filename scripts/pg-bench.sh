#!/usr/bin/env bash
# PostgreSQL benchmark, on one throwaway PostgreSQL 15 cluster on 127.0.0.1, bounded in
# time: pgbench running the naive SQL debit (BEGIN; UPDATE wallet ... WHERE balance >= 1;
# INSERT a ledger row; COMMIT) against Tribute's authorize-and-debit over HTTP (a release
# `tribute serve` on the same cluster, driven by wrk), both at 64 connections, on one hot
# wallet/workspace and spread at random over 2,000 and over 10,000.
# Usage: scripts/pg-bench.sh [seconds-per-run]
# TRIBUTE_BIN names a binary to run instead of building; the server takes its settings
# (TRIBUTE_PG_LANES, say) from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-15}"
CONNECTIONS=64
SPREADS="2000 10000"
SPREAD=10000 # workspaces made; the 2,000 spread uses the first of them
PORT="${BENCH_PORT:-18182}"
BIN="${TRIBUTE_BIN:-.build-release/release/tribute}"
PG_BIN=/usr/lib/postgresql/15/bin

command -v wrk > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
[ -n "${TRIBUTE_BIN:-}" ] || swift build -c release --scratch-path .build-release --product tribute 2>&1 | tail -1

source scripts/postgres.sh
start_postgres "${BENCH_PG_PORT:-55498}"
BENCH_DIR="$(mktemp -d)"
on_exit 'rm -rf "$BENCH_DIR"'

# The naive baseline: a wallet table and a ledger table, one transaction per debit.
NAIVE_URL="$(new_database naive)"
"$PG_BIN/psql" -q -v ON_ERROR_STOP=1 "$NAIVE_URL" <<SQL
CREATE TABLE wallet (id integer PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
CREATE TABLE ledger (id bigserial PRIMARY KEY, wallet_id integer NOT NULL REFERENCES wallet,
                     amount bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO wallet SELECT g, 1000000000000 FROM generate_series(1, $SPREAD) AS g;
SQL
naive_script() {
  cat <<SQL
\set id $1
BEGIN;
UPDATE wallet SET balance = balance - 1 WHERE id = :id AND balance >= 1;
INSERT INTO ledger (wallet_id, amount) VALUES (:id, -1);
COMMIT;
SQL
}
naive_script 1 > "$BENCH_DIR/hot.sql"
for n in $SPREADS; do naive_script "random(1, $n)" > "$BENCH_DIR/spread-$n.sql"; done
pgbench_tps() {
  timeout $((SECONDS_PER_RUN + 60)) "$PG_BIN/pgbench" -n -M prepared -c "$CONNECTIONS" -j 2 -T "$SECONDS_PER_RUN" \
    -f "$1" -h 127.0.0.1 -p "$PG_PORT" -U postgres naive | tee "$BENCH_DIR/pgbench.txt" >&2
  awk '/^tps = / {print int($3)}' "$BENCH_DIR/pgbench.txt"
}

# Tribute on a database of its own in the same cluster.
source scripts/server.sh
start_server "$BIN" "$PORT" "$(new_database tribute)"
make_workspace "$PORT" hot prepaid 1000000000
# 10,000 workspaces through the API, each with credits.
python3 scripts/make-workspaces.py "$PORT" "$KEY" ws "$SPREAD" prepaid 1000000
export TRIBUTE_KEY="$KEY"
# Statistics as autovacuum keeps them on a database in use: the tables were filled moments
# ago, and both sides are measured with their planner knowing their size.
"$PG_BIN/psql" -q -v ON_ERROR_STOP=1 "$NAIVE_URL" -c "ANALYZE"
"$PG_BIN/psql" -q -v ON_ERROR_STOP=1 "$DB" -c "ANALYZE"

wrk_rate() {
  timeout $((SECONDS_PER_RUN + 60)) wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s scripts/debit.lua \
    "http://127.0.0.1:$PORT/v1/agent-actions/authorize-and-debit" | tee "$BENCH_DIR/wrk.txt" >&2
  grep -q "^non-200 answers: 0$" "$BENCH_DIR/wrk.txt" || { echo "some debits were not approved" >&2; exit 1; }
  awk '/Requests\/sec/ {print int($2)}' "$BENCH_DIR/wrk.txt"
}
# A paced run at half of a peak: each connection waits between its requests.
# Usage: P99=$(paced_p99 PEAK) with WORKSPACE (and WORKSPACES) set as for wrk_rate.
paced_p99() {
  local half=$(( $1 / 2 ))
  DELAY_MS=$(( CONNECTIONS * 1000 / (half > 0 ? half : 1) )) timeout $((SECONDS_PER_RUN + 60)) wrk -t2 -c"$CONNECTIONS" \
    -d"${SECONDS_PER_RUN}s" --latency -s scripts/debit.lua "http://127.0.0.1:$PORT/v1/agent-actions/authorize-and-debit" \
    | tee "$BENCH_DIR/paced.txt" >&2
  grep -q "^non-200 answers: 0$" "$BENCH_DIR/paced.txt" || { echo "some paced debits were not approved" >&2; exit 1; }
  awk '$1 == "99%" {print $2}' "$BENCH_DIR/paced.txt"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
# CPU per debit: the clock ticks (user + system) of Tribute's process and of the cluster's
# (the postmaster and its backends, which the server's pool keeps open), sampled around each
# unpaced run; printed as microseconds per debit.
PG_MASTER="$(head -1 "$(find "$PG_DIR" -name postmaster.pid | head -1)")"
TICK_US=$(( 1000000 / $(getconf CLK_TCK) ))
ticks() { local total=0 pid; for pid in "$@"; do [ -r "/proc/$pid/stat" ] && total=$(( total + $(awk '{print $14 + $15}' "/proc/$pid/stat") )); done; echo "$total"; }
pg_ticks() { ticks "$PG_MASTER" $(pgrep -P "$PG_MASTER"); }
cpu_line() { # NAME RATE SERVER_TICKS PG_TICKS
  awk -v n="$1" -v r="$2" -v s="$3" -v p="$4" -v t="$TICK_US" -v d="$SECONDS_PER_RUN" \
    'BEGIN { c = r * d; if (c < 1) c = 1; printf "%s: server %.0f µs, postgres %.0f µs of CPU per debit", n, s * t / c, p * t / c }'
}

echo "== pgbench, naive debit, one hot wallet, $CONNECTIONS clients" >&2
NAIVE_HOT=$(pgbench_tps "$BENCH_DIR/hot.sql")
declare -A NAIVE_SPREAD SPREAD_RATE
for n in $SPREADS; do
  echo "== pgbench, naive debit, $n wallets, $CONNECTIONS clients" >&2
  NAIVE_SPREAD[$n]=$(pgbench_tps "$BENCH_DIR/spread-$n.sql")
done
echo "== Tribute authorize-and-debit, one hot workspace, $CONNECTIONS connections" >&2
S0=$(ticks "$SERVER"); P0=$(pg_ticks)
HOT=$(WORKSPACE=hot wrk_rate)
CPU_LINES="$(cpu_line hot "$HOT" $(( $(ticks "$SERVER") - S0 )) $(( $(pg_ticks) - P0 )))"
echo "== the same, paced at half of that peak" >&2
HOT_P99=$(WORKSPACE=hot paced_p99 "$HOT")
declare -A SPREAD_P99
for n in $SPREADS; do
  echo "== Tribute authorize-and-debit, $n workspaces, $CONNECTIONS connections" >&2
  S0=$(ticks "$SERVER"); P0=$(pg_ticks)
  SPREAD_RATE[$n]=$(WORKSPACE=ws WORKSPACES=$n wrk_rate)
  CPU_LINES="$CPU_LINES; $(cpu_line "$n" "${SPREAD_RATE[$n]}" $(( $(ticks "$SERVER") - S0 )) $(( $(pg_ticks) - P0 )))"
  echo "== the same, paced at half of that peak" >&2
  SPREAD_P99[$n]=$(WORKSPACE=ws WORKSPACES=$n paced_p99 "${SPREAD_RATE[$n]}")
done

"$BIN" ledger verify --database "$DB" >&2
LINE="pg-bench: hot workspace ${HOT} debits/s vs pgbench ${NAIVE_HOT} tps ×$(ratio "$HOT" "$NAIVE_HOT") (p99 at half: ${HOT_P99})"
for n in $SPREADS; do
  LINE="$LINE; $n workspaces ${SPREAD_RATE[$n]} debits/s vs pgbench ${NAIVE_SPREAD[$n]} tps ×$(ratio "${SPREAD_RATE[$n]}" "${NAIVE_SPREAD[$n]}") (p99 at half: ${SPREAD_P99[$n]})"
done
echo "pg-bench cpu: $CPU_LINES" >&2
echo "$LINE"
