#!/usr/bin/env bash
# The README's console screenshots, made in headless chromium (Debian's chromium and
# chromium-driver) against a fresh idsync filled with a small directory.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/console}"
cargo run --quiet -p idsync-tests --example console_screenshots -- "$out"
