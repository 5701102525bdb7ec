#!/usr/bin/env bash
# Benchmark harness smoke run: every idsync-bench mode at a tiny size, so the harness
# never rots. Not a measurement: the figures of so small a run mean nothing, and nothing
# here asserts a time. It fails if any mode fails or any request in it failed.
#
#   scripts/bench-smoke.sh        all four modes on SQLite, then the cycle on PostgreSQL
#
# Environment: IDSYNC_TEST_PG_URL (PostgreSQL admin URL, default
# postgres://postgres@127.0.0.1:5432/postgres; each idsync run gets a fresh database
# there, dropped afterwards); BENCH_PROFILE (cargo profile, default dev); BENCH_USERS
# (default 300); IDSYNC_BIN to measure a binary already built (default: the harness has
# cargo build `idsync` in the same profile). Each mode's table and JSON are left in
# target/bench-smoke/.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url=${IDSYNC_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
profile=${BENCH_PROFILE:-dev}
users=${BENCH_USERS:-300}
out=target/bench-smoke
mkdir -p "$out"
rm -f "$out"/*.txt "$out"/*.json

cargo build --locked --profile "$profile" -p idsync-bench
failed=()

# run NAME ARGS…: one harness run; its table in $out/NAME.txt, its JSON in $out/NAME.json.
run() {
  local name=$1
  shift
  echo "== bench-smoke: $name: idsync-bench $*"
  if cargo run --quiet --locked --profile "$profile" -p idsync-bench -- "$@" \
      --users "$users" --concurrency 4 --json "$out/$name.json" | tee "$out/$name.txt"; then
    echo "== bench-smoke: $name: ok"
  else
    echo "== bench-smoke: $name: FAILED" >&2
    failed+=("$name")
  fi
}

run cycle-sqlite cycle
run scale-sqlite scale
run initial-sync-sqlite initial-sync --groups 10
run telemetry-sqlite telemetry
run cycle-postgresql cycle --tenants 4 --database-url "$pg_url"

if [ ${#failed[@]} -gt 0 ]; then
  echo "bench-smoke: FAILED: ${failed[*]} (tables and JSON in $out/)" >&2
  exit 1
fi
echo "bench-smoke: all 5 runs passed (tables and JSON in $out/)"
