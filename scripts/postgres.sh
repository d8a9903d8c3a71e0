# Sourced by the test and benchmark scripts: a throwaway PostgreSQL 15 cluster on
# 127.0.0.1, created in a temporary directory and removed on exit. Installs Debian's
# `postgresql` package if the server is missing. Runs as root (the server itself runs as
# the `postgres` user). Usage: start_postgres PORT; then $PG_URL names its `postgres`
# database as superuser, and stop_postgres stops it (also done on exit).
PG_BIN=/usr/lib/postgresql/15/bin

start_postgres() {
  local port="$1"
  if [ ! -x "$PG_BIN/initdb" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 > /dev/null
  fi
  PG_DIR="$(mktemp -d /tmp/tribute-pg.XXXXXX)"
  chown postgres:postgres "$PG_DIR"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 > "$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  # Durable like production (fsync and synchronous_commit stay on); more connections than
  # the default 100 for several instances and the benchmarks.
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -t 60 -l "$PG_DIR/server.log" \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300" start > /dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  for _ in $(seq 1 60); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
    sleep 0.5
  done
  PG_PORT="$port"
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export PG_URL PG_PORT
  trap stop_postgres EXIT
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop > /dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
