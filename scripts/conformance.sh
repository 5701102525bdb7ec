#!/usr/bin/env bash
# SCIM conformance: runs scim2-tester (pinned in conformance-requirements.txt) against a
# freshly started `idsync serve` and fails if any check fails.
#
#   scripts/conformance.sh              build, start idsync, check, stop; exit 0 only if all pass
#
# .ci/run runs it after the tests. It needs only what .ci/run already has plus python3 >= 3.11 with venv and PyPI access
# (the first run creates target/conformance-venv; later runs reuse it). It uses SQLite in
# a temporary folder, never PostgreSQL, and binds loopback port 0 for HTTP and gRPC, so it
# can run beside the test suite. Its last line is `N passed, M failed`; the full report,
# every HTTP exchange, idsync's log and the results as JSON are left in target/conformance/.
#
# Environment: PYTHON (default python3); IDSYNC_BIN to test a binary already built
# (default: `cargo build --locked --bin idsync` and target/debug/idsync);
# CONFORMANCE_VERBOSE=1 to print the reason of passing checks too; CONFORMANCE_SEED to
# change the random values scim2-tester fills resources with (fixed by default, so that
# verdicts are reproducible).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv="$root/target/conformance-venv"
requirements="$root/scripts/conformance-requirements.txt"
out="$root/target/conformance"
python=${PYTHON:-python3}
startup_timeout_secs=60

work=""
idsync_pid=""
tester_pid=""
tail_pid=""

# Stops scim2-tester and idsync (SIGTERM; idsync gets SIGKILL if still up after 10 s) and
# removes the temporary data folder.
# Runs on every exit: success, failure, error (set -e) and Ctrl-C/TERM.
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in $tester_pid $tail_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$idsync_pid" ] && kill -0 "$idsync_pid" 2>/dev/null; then
    kill -TERM "$idsync_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$idsync_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$idsync_pid" 2>/dev/null; then
      echo "idsync did not stop within 10 s of SIGTERM; killing it" >&2
      kill -KILL "$idsync_pid" 2>/dev/null || true
    fi
    wait "$idsync_pid" 2>/dev/null || true
  fi
  if [ -n "$work" ]; then
    [ -f "$work/idsync.log" ] && cp "$work/idsync.log" "$out/idsync.log" 2>/dev/null
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Something went wrong before any check could run: that is one failed check.
fail_setup() {
  echo "conformance: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

mkdir -p "$out"
rm -f "$out"/report.txt "$out"/http.log "$out"/results.json "$out"/idsync.log

# 1. The binary.
if [ -n "${IDSYNC_BIN:-}" ]; then
  idsync=$IDSYNC_BIN
else
  cargo build --locked --bin idsync || fail_setup "cargo build failed"
  idsync="$root/target/debug/idsync"
fi
[ -x "$idsync" ] || fail_setup "no idsync binary at $idsync"

# 2. The virtual environment, reused while the requirements file is unchanged.
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || fail_setup "$python is older than 3.11 (scim2-tester needs >= 3.11); set PYTHON"
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "conformance: installing scim2-tester into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv" || fail_setup "could not create $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$requirements" || fail_setup "pip install -r $requirements failed"
  echo "$wanted" >"$stamp"
fi

# 3. idsync on a fresh database and free loopback ports. Variables that would point it
# elsewhere (another database, a config file, a public URL) are removed.
work=$(mktemp -d "${TMPDIR:-/tmp}/idsync-conformance.XXXXXX")
env -u IDSYNC_DATABASE_URL -u IDSYNC_CONFIG -u IDSYNC_PUBLIC_URL -u IDSYNC_LISTEN \
  -u IDSYNC_GRPC_LISTEN -u IDSYNC_DATA_DIR IDSYNC_LOG="${IDSYNC_LOG:-info}" \
  "$idsync" serve --data-dir "$work/data" --listen 127.0.0.1:0 --grpc-listen 127.0.0.1:0 --ops-listen 127.0.0.1:0 \
  >"$work/stdout" 2>"$work/idsync.log" &
idsync_pid=$!

tenant_url=""
token=""
for _ in $(seq 1 $((startup_timeout_secs * 10))); do
  tenant_url=$(sed -n 's/^  Tenant URL:   //p' "$work/stdout")
  token=$(sed -n 's/^  Secret Token: //p' "$work/stdout")
  [ -n "$tenant_url" ] && [ -n "$token" ] && break
  if ! kill -0 "$idsync_pid" 2>/dev/null; then
    tail -n 20 "$work/idsync.log" >&2
    fail_setup "idsync exited before printing its Tenant URL and Secret Token"
  fi
  sleep 0.1
done
if [ -z "$tenant_url" ] || [ -z "$token" ]; then
  tail -n 20 "$work/idsync.log" >&2
  fail_setup "idsync printed no Tenant URL and Secret Token within ${startup_timeout_secs}s"
fi
health_url="${tenant_url%/scim/v2}/healthz"
healthy=""
for _ in $(seq 1 $((startup_timeout_secs * 10))); do
  if "$venv/bin/python" - "$health_url" <<'EOF' 2>/dev/null; then
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(r.status != 200)
EOF
    healthy=1
    break
  fi
  kill -0 "$idsync_pid" 2>/dev/null || fail_setup "idsync exited before $health_url answered"
  sleep 0.1
done
[ -n "$healthy" ] || fail_setup "$health_url did not answer 200 within ${startup_timeout_secs}s"
echo "conformance: idsync (pid $idsync_pid) serving $tenant_url"

# 4. scim2-tester. The token goes through the environment, not argv. It runs in the
# background so that INT/TERM interrupt `wait` at once instead of after the whole run.
CONFORMANCE_URL=$tenant_url CONFORMANCE_TOKEN=$token "$venv/bin/python" \
  "$root/scripts/conformance.py" --counts "$work/counts" --http-log "$out/http.log" \
  --json "$out/results.json" >"$out/report.txt" 2>&1 &
tester_pid=$!
tail -n +1 -f --pid="$tester_pid" "$out/report.txt" &
tail_pid=$!
tester_status=0
wait "$tester_pid" || tester_status=$?
wait "$tail_pid" 2>/dev/null || true
tester_pid=""
tail_pid=""

# 5. Stop idsync before the verdict, so its shutdown does not interleave with it.
if kill -TERM "$idsync_pid" 2>/dev/null; then
  wait "$idsync_pid" 2>/dev/null || echo "conformance: idsync exited with status $? on SIGTERM" >&2
fi
idsync_pid=""

# 6. The verdict.
if [ ! -s "$work/counts" ]; then
  fail_setup "scim2-tester stopped (status $tester_status) without counting its checks"
fi
read -r passed failed skipped <"$work/counts"
echo "Reports in ${out#"$root"/}/: report.txt, http.log, results.json, idsync.log ($skipped checks skipped)"
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$tester_status" -ne 0 ]; then
  exit 1
fi
