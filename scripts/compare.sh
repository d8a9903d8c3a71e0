#!/usr/bin/env bash
# Two builds measured in one run, alternating, so that the machine's drift hits both:
# `tribute bench` (in process) and scripts/load.sh (HTTP, /healthz and authorize) for each.
# Usage: scripts/compare.sh BEFORE_BIN AFTER_BIN [rounds] [seconds-per-load-run]
# (Build a commit's binary with: git worktree add /tmp/before REV && cd /tmp/before &&
#  swift build -c release --product tribute)
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE="$1"; AFTER="$2"; ROUNDS="${3:-3}"; SECONDS_PER_RUN="${4:-5}"
for round in $(seq 1 "$ROUNDS"); do
  for name in before after; do
    bin=$BEFORE; [ "$name" = after ] && bin=$AFTER
    dir=$(mktemp -d)
    echo "round $round $name: $( (cd "$dir" && "$bin" bench) | tail -1)"
    rm -rf "$dir"
    echo "round $round $name: $(TRIBUTE_BIN="$bin" bash scripts/load.sh "$SECONDS_PER_RUN" 2>/dev/null | tail -1)"
  done
done
