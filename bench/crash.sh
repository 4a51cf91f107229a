#!/usr/bin/env bash
# Crash-safety run on the embedded default (SQLite) with the release binary.
#
#   bench/crash.sh [KILLS] [crash-check options...]
#
# Runs ops/ci/crash-check.py with KILLS SIGKILLs (default 100): a write load of
# incidents, replies, internal notes and attachments, the server killed at a random
# moment, restarted, and at the end every write that got a 2xx checked to be present.
# Extra options go to the check, e.g. `bench/crash.sh 200 --seed 42 --threads 8`.
#
# Builds the release binary first (cargo build --release -p catalyst), unless
# CATALYST_BIN names a binary to use. The durability setting comes from the
# environment: CATALYST_SQLITE_SYNCHRONOUS, default full.
set -euo pipefail

KILLS=${1:-100}
shift || true
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${CATALYST_CACHE_DIR:-$HOME/.cache/catalyst}/target}"

if [ -n "${CATALYST_BIN:-}" ]; then
  BIN=$CATALYST_BIN
else
  (cd "$ROOT" && cargo build --release -p catalyst)
  BIN="$CARGO_TARGET_DIR/release/catalyst"
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)" GiB"}' /proc/meminfo); $("$BIN" --version)"
exec python3 "$ROOT/ops/ci/crash-check.py" --bin "$BIN" --kills "$KILLS" "$@"
