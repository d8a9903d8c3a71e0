#!/usr/bin/env bash
# A PostgreSQL 15 cluster in a directory of its own, listening on 127.0.0.1 only, with
# trust authentication for the `postgres` superuser. Run as root; the server runs as the
# `postgres` user. Installs Debian's postgresql-15 if the server is missing.
# Usage: scripts/pg-cluster.sh init DIR | start DIR PORT | stop DIR
set -euo pipefail
PG_BIN=/usr/lib/postgresql/15/bin
command="$1" dir="$2"

case "$command" in
  init)
    if [ ! -x "$PG_BIN/initdb" ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 > /dev/null
    fi
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 > "$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    ;;
  start)
    port="$3"
    # The server outlives this script: it must not inherit any descriptor of the caller
    # beyond 0-2 (a caller that waits for EOF on one, as Foundation's Process does, would
    # wait for the server to stop).
    for fd in /proc/$$/fd/*; do
      fd="${fd##*/}"
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2> /dev/null || true; fi
    done
    # Durable like production (fsync and synchronous_commit stay on); more connections
    # than the default 100, for several instances and the benchmarks.
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=1000" start > /dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    for _ in $(seq 1 60); do
      "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && exit 0
      sleep 0.5
    done
    echo "PostgreSQL did not become ready on port $port" >&2
    exit 1
    ;;
  stop)
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 init DIR | start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
