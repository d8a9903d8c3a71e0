# Sourced by the test and load scripts: starts `tribute serve` on a throwaway SQLite
# database in $WORK (or on DATABASE_URL when given), with an admin key in $KEY and the
# server's pid in $SERVER; stops it and removes $WORK on exit.
# Usage: start_server BIN PORT [DATABASE_URL]
source "$(dirname "${BASH_SOURCE[0]}")/on-exit.sh"

start_server() {
  local bin="$1" port="$2"
  WORK="$(mktemp -d)"
  DB="${3:-sqlite:$WORK/tribute.sqlite}"
  on_exit 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"'
  KEY="$("$bin" keys create --role admin --database "$DB")"
  "$bin" serve --port "$port" --database "$DB" > "$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "tribute serve did not start:" >&2
  cat "$WORK/serve.log" >&2
  return 1
}

# Creates workspace ID on PLAN holding CREDITS, through the API. Usage: make_workspace PORT ID PLAN CREDITS
make_workspace() {
  local port="$1" id="$2" plan="$3" credits="$4"
  curl -fsS -X POST "http://127.0.0.1:$port/v1/workspaces" -H "Authorization: Bearer $KEY" \
    -d "{\"id\":\"$id\",\"name\":\"$id\",\"planId\":\"$plan\"}" > /dev/null
  curl -fsS -X POST "http://127.0.0.1:$port/v1/workspaces/$id/credit-grants" -H "Authorization: Bearer $KEY" \
    -d "{\"amount\":$credits}" > /dev/null
}

# The release build of the load scripts, and wrk, then a server with a prepaid workspace
# "load" holding a billion credits. Usage: start_release_load_server PORT
# TRIBUTE_BIN names another binary to run instead of building (scripts/compare.sh).
start_release_load_server() {
  BIN="${TRIBUTE_BIN:-.build-release/release/tribute}"
  command -v wrk > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
  [ -n "${TRIBUTE_BIN:-}" ] || swift build -c release --scratch-path .build-release --product tribute 2>&1 | tail -1
  start_server "$BIN" "$1"
  make_workspace "$1" load prepaid 1000000000
}
