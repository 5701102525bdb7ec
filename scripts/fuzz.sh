#!/usr/bin/env bash
# Fuzzes sync-core's SCIM grammar and PATCH code with cargo-fuzz (libFuzzer), one target
# after the other, and fails if any target finds a crash.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 s, every target
#   scripts/fuzz.sh 600 patch_user                        ten minutes on one target
#
# Targets live in sync-core/fuzz (a workspace of its own, excluded from the main one):
#   parse_filter      filters: no panic, parse(print(f)) == f, User-schema compilation
#   parse_patch_path  PATCH and attribute paths: no panic, parse(print(p)) == p
#   patch_user        PATCH requests (JSON bodies, or operations derived from raw bytes)
#                     applied to a user: no panic, paths round-trip, storage round-trip
#
# Needs the nightly toolchain (`rustup toolchain list`) and cargo-fuzz, which this script
# installs from crates.io when missing. The committed seeds (sync-core/fuzz/seeds/, real
# Entra and RFC 7644 inputs) start each run; what the fuzzer learns accumulates in
# sync-core/fuzz/corpus/ and crashes land in sync-core/fuzz/artifacts/ (both ignored by
# git). Reproduce a crash with
#   (cd sync-core/fuzz && cargo +nightly fuzz run -s none -a TARGET artifacts/TARGET/crash-…)
# and shrink it with `cargo +nightly fuzz tmin -s none -a TARGET artifacts/TARGET/crash-…`.
#
# Built without a sanitizer (`-s none`): every crate involved forbids `unsafe`, so
# AddressSanitizer has nothing to find that a panic would not show, and it halves the
# executions per second on a 2-core machine. Debug assertions and overflow checks are on
# (`-a`). Stack overflows from deep nesting still crash the target and are reported.
set -euo pipefail
cd "$(dirname "$0")/../sync-core/fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parse_filter parse_patch_path patch_user)
fi
case $seconds in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;;
esac

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing (cargo-fuzz needs it): rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked
fi

# Build every target first, so that the timed runs below measure fuzzing, not compiling.
cargo +nightly fuzz build -s none -a

summary=()
crashed=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  log=$(mktemp)
  echo "== $target: ${seconds}s"
  status=0
  cargo +nightly fuzz run -s none -a "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -dict=scim.dict -timeout=10 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1 || true)
  last=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  units=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  corpus=$(find "corpus/$target" -type f | wc -l || true)
  crashes=$(find "artifacts/$target" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \) | wc -l || true)
  if [ "$status" -ne 0 ]; then
    crashed=1
    echo "!! $target stopped with status $status; the end of its log:"
    grep -vE '^#[0-9]+[[:space:]]' "$log" | tail -n 40 || true
  fi
  summary+=("$target: ${execs:-?} execs (${rate:-?}/s) in ${seconds}s, cov ${cov:-?}, ft ${ft:-?}, corpus ${units:-?} in use (${corpus} files kept), crash artifacts ${crashes}, status ${status}")
  rm -f "$log"
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$crashed"
