#!/usr/bin/env bash
# PostgreSQL 15 as production runs it, on 127.0.0.1: one etcd, two PostgreSQL nodes under
# Patroni with synchronous_mode on (an acknowledged commit is on both nodes), and HAProxy
# sending connections to whichever node is the leader, by Patroni's REST health check.
# Everything lives in DIR and is stopped by the pids recorded there. Run as root: the
# nodes run as the `postgres` user. Installs Debian's patroni, etcd-server and haproxy when
# missing.
#
# Usage: scripts/pg-ha.sh start DIR BASE_PORT   # HAProxy on BASE_PORT+30; prints its URL
#        scripts/pg-ha.sh stop DIR
#        scripts/pg-ha.sh leader DIR            # the leader's node name (node1 or node2)
#        scripts/pg-ha.sh pid DIR NODE          # the pid of NODE's postmaster
#
# Ports from BASE_PORT: etcd +0 (clients) and +1 (peers); node1 PostgreSQL +10, REST +11;
# node2 PostgreSQL +20, REST +21; HAProxy +30.
set -euo pipefail
PG_BIN=/usr/lib/postgresql/15/bin
command="$1" dir="$2"

need_packages() {
  command -v patroni > /dev/null && command -v etcd > /dev/null && command -v haproxy > /dev/null && [ -x "$PG_BIN/initdb" ] && return 0
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 patroni etcd-server haproxy > /dev/null
}

# Closes every descriptor above 2 before starting a daemon: one a caller waits on for EOF
# (Foundation's Process does) must not be held open by it.
close_descriptors() {
  for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2> /dev/null || true; fi
  done
}

node_config() {
  local name="$1" pg_port="$2" rest_port="$3" etcd_port="$4"
  cat <<YAML
scope: tribute
namespace: /tribute/
name: $name
restapi:
  listen: 127.0.0.1:$rest_port
  connect_address: 127.0.0.1:$rest_port
etcd3:
  hosts: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    ttl: ${PATRONI_TTL:-10}
    loop_wait: ${PATRONI_LOOP_WAIT:-2}
    retry_timeout: ${PATRONI_RETRY_TIMEOUT:-4}
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 500
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_log_hints: "on"
  initdb:
    - encoding: UTF8
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$pg_port
  connect_address: 127.0.0.1:$pg_port
  data_dir: $dir/$name/data
  bin_dir: $PG_BIN
  pgpass: $dir/$name/pgpass
  authentication:
    superuser:
      username: postgres
      password: postgres
    replication:
      username: replicator
      password: replicator
  parameters:
    unix_socket_directories: $dir/$name
YAML
}

haproxy_config() {
  local port="$1" rest1="$2" rest2="$3" pg1="$4" pg2="$5"
  cat <<CFG
global
  maxconn 2000
  pidfile $dir/haproxy.pid
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
listen primary
  bind 127.0.0.1:$port
  option httpchk OPTIONS /primary
  http-check expect status 200
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
  server node1 127.0.0.1:$pg1 maxconn 1000 check port $rest1
  server node2 127.0.0.1:$pg2 maxconn 1000 check port $rest2
CFG
}

case "$command" in
  start)
    base="$3"
    need_packages
    close_descriptors
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    # The daemons start in DIR: Patroni (as postgres) chdirs to its working directory in
    # its workers, and the caller's may be closed to that user (a clone under mktemp -d).
    cd "$dir"
    etcd --name e1 --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$base" --advertise-client-urls "http://127.0.0.1:$base" \
      --listen-peer-urls "http://127.0.0.1:$((base + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((base + 1))" \
      --initial-cluster "e1=http://127.0.0.1:$((base + 1))" > "$dir/etcd.log" 2>&1 &
    echo $! > "$dir/etcd.pid"
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$base/health" > /dev/null 2>&1 && break; sleep 0.1; done
    for n in 1 2; do
      mkdir -p "$dir/node$n"
      node_config "node$n" $((base + n * 10)) $((base + n * 10 + 1)) "$base" > "$dir/node$n/patroni.yml"
      chown -R postgres:postgres "$dir/node$n"
      # Patroni's own pid (the shell execs it), not runuser's, so that a test can kill the node.
      runuser -u postgres -- sh -c 'echo $$ > "$0"; exec patroni "$1"' "$dir/node$n/patroni.pid" "$dir/node$n/patroni.yml" > "$dir/node$n/patroni.log" 2>&1 &
      # The first node bootstraps the cluster; the second then clones it.
      if [ "$n" = 1 ]; then
        for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$((base + 11))/primary" > /dev/null 2>&1 && break; sleep 0.2; done
      fi
    done
    haproxy_config $((base + 30)) $((base + 11)) $((base + 21)) $((base + 10)) $((base + 20)) > "$dir/haproxy.cfg"
    haproxy -f "$dir/haproxy.cfg" > "$dir/haproxy.log" 2>&1 &
    echo $! > "$dir/haproxy.pid.main"
    # Ready: the standby streams synchronously and HAProxy reaches the leader.
    for _ in $(seq 1 300); do
      if curl -fsS "http://127.0.0.1:$((base + 21))/sync" > /dev/null 2>&1 \
        && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p $((base + 30)) -U postgres; then
        echo "postgres://postgres@127.0.0.1:$((base + 30))/postgres"
        exit 0
      fi
      sleep 0.2
    done
    echo "the HA cluster did not become ready; logs in $dir" >&2
    exit 1
    ;;
  stop)
    pids() {
      for pidfile in "$dir/haproxy.pid.main" "$dir/node1/patroni.pid" "$dir/node2/patroni.pid" "$dir/etcd.pid"; do
        [ -f "$pidfile" ] && cat "$pidfile"
      done
      for n in 1 2; do [ -f "$dir/node$n/data/postmaster.pid" ] && head -1 "$dir/node$n/data/postmaster.pid"; done
      true
    }
    # Patroni stops its PostgreSQL on SIGTERM; whatever still runs after 10 s is killed.
    for pid in $(pids); do kill "$pid" 2> /dev/null || true; done
    for _ in $(seq 1 100); do
      alive=0
      for pid in $(pids); do kill -0 "$pid" 2> /dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
    for pid in $(pids); do kill -9 "$pid" 2> /dev/null || true; done
    ;;
  leader)
    for n in 1 2; do
      port=$(sed -n 's/^  listen: 127.0.0.1:\([0-9]*\)$/\1/p' "$dir/node$n/patroni.yml" | head -1)
      curl -fsS "http://127.0.0.1:$port/primary" > /dev/null 2>&1 && { echo "node$n"; exit 0; }
    done
    exit 1
    ;;
  pid)
    head -1 "$dir/$3/data/postmaster.pid"
    ;;
  *)
    echo "usage: $0 start DIR BASE_PORT | stop DIR | leader DIR | pid DIR NODE" >&2
    exit 2
    ;;
esac
