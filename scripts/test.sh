#!/usr/bin/env bash
# Runs every test: the Swift Testing suites (domain, store conformance, API, kill -9 crash
# tests, several instances, payments end to end against localstripe, webhooks, the live
# stream, a primary lost behind Patroni and HAProxy) on SQLite and on a throwaway
# PostgreSQL 15 cluster, then schemathesis against openapi.yaml on a live server over each
# backend, then the dashboard in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/schemathesis ] || ! .venv/bin/python -c "import localstripe, stripe, playwright" 2> /dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check schemathesis localstripe stripe playwright
fi

# The failover test's peers (scripts/pg-ha.sh), installed before the suites run.
if ! command -v patroni > /dev/null || ! command -v etcd > /dev/null || ! command -v haproxy > /dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patroni etcd-server haproxy > /dev/null
fi

source scripts/postgres.sh
start_postgres "${TEST_PG_PORT:-55499}"
export TRIBUTE_TEST_POSTGRES_URL="$PG_URL"
source scripts/localstripe.sh
start_localstripe "${TEST_STRIPE_PORT:-18420}"
export TRIBUTE_TEST_STRIPE_API_BASE="$STRIPE_TEST_BASE"

swift build --build-tests
swift test --skip-build
# The failover test alone, on a quiet machine (FailoverTests says why).
TRIBUTE_TEST_FAILOVER=1 swift test --skip-build --filter FailoverTests
scripts/schemathesis.sh .build/debug/tribute
SCHEMATHESIS_PORT=18098 scripts/schemathesis.sh .build/debug/tribute "$(new_database schemathesis)"
scripts/browser-test.sh .build/debug/tribute
