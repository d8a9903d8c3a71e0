# Sourced by the test and benchmark scripts: a throwaway PostgreSQL 15 cluster on
# 127.0.0.1 (see pg-cluster.sh), created in a temporary directory and removed on exit.
# Usage: start_postgres PORT; then $PG_URL names its `postgres` database as superuser;
# `new_database NAME` creates an empty database and prints its URL.
source "$(dirname "${BASH_SOURCE[0]}")/on-exit.sh"
PG_CLUSTER="$(dirname "${BASH_SOURCE[0]}")/pg-cluster.sh"
PG_BIN=/usr/lib/postgresql/15/bin

start_postgres() {
  local port="$1"
  PG_DIR="$(mktemp -d /tmp/tribute-pg.XXXXXX)"
  on_exit 'bash "$PG_CLUSTER" stop "$PG_DIR"; rm -rf "$PG_DIR"'
  bash "$PG_CLUSTER" init "$PG_DIR"
  bash "$PG_CLUSTER" start "$PG_DIR" "$port"
  PG_PORT="$port"
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export PG_URL PG_PORT
}

new_database() {
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE $1" > /dev/null
  echo "postgres://postgres@127.0.0.1:$PG_PORT/$1"
}
