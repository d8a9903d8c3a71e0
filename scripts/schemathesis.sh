#!/usr/bin/env bash
# Property-based API tests: schemathesis generates requests from openapi.yaml and checks
# every answer against it, on a live `tribute serve` over a throwaway SQLite database, or
# over DATABASE_URL when given.
# Usage: scripts/schemathesis.sh [path/to/tribute] [DATABASE_URL]   (needs .venv with schemathesis)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build/debug/tribute}"
PORT="${SCHEMATHESIS_PORT:-18099}"
source scripts/server.sh
# With localstripe running (scripts/test.sh starts it), the payment routes are on too.
if [ -n "${TRIBUTE_TEST_STRIPE_API_BASE:-}" ]; then
  export STRIPE_SECRET_KEY=sk_test_schemathesis STRIPE_WEBHOOK_SECRET=whsec_schemathesis STRIPE_API_BASE="$TRIBUTE_TEST_STRIPE_API_BASE"
fi
# Generated webhook URLs name any host the pattern allows (`http://0`, `http://a`), and
# deliveries go nowhere useful anyway: private receivers are allowed, so that every
# schema-valid URL is accepted (WebhookURLTests covers the refusals).
export TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1
# Its authentication checks send many requests without a key, all from 127.0.0.1 and
# faster than the default limit of those per address allows: the limit is off here
# (UnauthenticatedLimitTests covers it).
export TRIBUTE_UNAUTHENTICATED_RATE_LIMIT=off
start_server "$BIN" "$PORT" "${2:-}"
# A workspace with credits, so that generated requests also reach the paths that succeed.
make_workspace "$PORT" w pro 1000000

set +e
run_schemathesis() {
  .venv/bin/schemathesis run Sources/TributeServer/openapi.yaml \
    --url "http://127.0.0.1:$PORT" -H "Authorization: Bearer $KEY" \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --seed 1 --workers 2 \
    --suppress-health-check all "$@"
}
# The event stream never ends by design, so it is left to EventStreamTests.
run_schemathesis --checks all --phases examples,fuzzing,stateful --exclude-operation-id stripeWebhook --exclude-operation-id streamEvents
STATUS=$?
# Stripe's webhook accepts only bodies signed with the webhook secret, which no generated
# request can carry: every schema-valid request is rightly refused with 400. Its other
# checks (no 5xx, documented statuses and shapes, nothing written) still run.
run_schemathesis --checks all --phases examples,fuzzing --exclude-checks positive_data_acceptance --include-operation-id stripeWebhook
STATUS=$(( STATUS | $? ))
grep -E "error" "$WORK/serve.log" | head -20 || true
set -e
"$BIN" ledger verify --database "$DB"
exit $STATUS
