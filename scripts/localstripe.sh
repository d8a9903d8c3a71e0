# Sourced by the test script: localstripe (PyPI), a fake Stripe server, on 127.0.0.1
# only, from an empty state, stopped on exit. Needs the .venv that test.sh makes.
# Usage: start_localstripe PORT; then $STRIPE_TEST_BASE is its base URL.
source "$(dirname "${BASH_SOURCE[0]}")/on-exit.sh"

start_localstripe() {
  local port="$1"
  LOCALSTRIPE_LOG="$(mktemp)"
  # The `localstripe` command listens on every interface: run its app on loopback instead.
  .venv/bin/python -c "from aiohttp import web; import localstripe.server as s; web.run_app(s.app, host='127.0.0.1', port=$port)" \
    > "$LOCALSTRIPE_LOG" 2>&1 &
  LOCALSTRIPE_PID=$!
  on_exit 'kill "$LOCALSTRIPE_PID" 2>/dev/null || true; rm -f "$LOCALSTRIPE_LOG"'
  STRIPE_TEST_BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if curl -fsS -X DELETE "$STRIPE_TEST_BASE/_config/data" > /dev/null 2>&1; then
      export STRIPE_TEST_BASE
      return 0
    fi
    sleep 0.1
  done
  echo "localstripe did not start:" >&2
  cat "$LOCALSTRIPE_LOG" >&2
  return 1
}
