#!/usr/bin/env bash
# Runs every test: the Swift Testing suites (domain, store conformance, API, kill -9 crash
# test) and schemathesis against openapi.yaml on a live server.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/schemathesis ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check schemathesis
fi

swift build --build-tests
swift test --skip-build
scripts/schemathesis.sh .build/debug/tribute
