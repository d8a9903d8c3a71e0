#!/usr/bin/env bash
# Browser tests of the dashboard: Debian's chromium driven by Playwright (PyPI) through
# executable_path, against a live `tribute serve` over a throwaway SQLite database. They
# save screenshots of both views at desktop and phone width in docs/screenshots.
# Usage: scripts/browser-test.sh [path/to/tribute]   (needs .venv with playwright; run as root to install chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build/debug/tribute}"
PORT="${BROWSER_TEST_PORT:-18096}"
if ! command -v chromium > /dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi
source scripts/server.sh
start_server "$BIN" "$PORT"
.venv/bin/python Tests/Browser/dashboard_test.py --url "http://127.0.0.1:$PORT" --admin-key "$KEY" \
  --screenshots docs/screenshots --chromium "$(command -v chromium)" --database-file "$WORK/tribute.sqlite"
