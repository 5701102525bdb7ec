#!/usr/bin/env bash
# Drives the whole HTTP router of `idsync serve` with random hostile requests (raw
# HTTP/1.1: methods, paths, headers, query strings, filters, PATCH and Bulk bodies,
# invalid UTF-8, NUL, deep nesting, huge numbers) on SQLite and PostgreSQL, and fails on
# any 5xx, unanswered request, or answer to another tenant that carries tenant A's data.
#
#   scripts/fuzz-http.sh [CASES] [SEED]     default: 100000 cases per database, seed from the clock
#
# The cases are tests/e2e/fuzz_http.rs; `cargo test` runs the same test with 1,500 cases.
# A failure prints the case, its seed and the request: replay it with the same CASES and
# SEED. The whole output is left in target/fuzz-http.log.
# PostgreSQL: IDSYNC_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
export IDSYNC_FUZZ_CASES=${1:-100000}
if [ -n "${2:-}" ]; then
  export IDSYNC_FUZZ_SEED=$2
fi
export IDSYNC_TEST_PG_URL=${IDSYNC_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
mkdir -p target
log=target/fuzz-http.log
status=0
cargo test --locked -p idsync-tests --test e2e -- fuzz_http --nocapture --test-threads 1 >"$log" 2>&1 || status=$?
grep -E '^fuzz-http|^test fuzz_http|panicked|^case' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "fuzz-http FAILED (exit $status); see $log" >&2
fi
exit "$status"
