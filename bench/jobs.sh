#!/usr/bin/env bash
# Jobs and timers benchmark: timer lateness with many pending timers, CPU of an idle
# runner, and the drain rate of a burst of jobs — on SQLite, and on PostgreSQL when
# PG_URL is given (a database the role may migrate, e.g. the one ops/dev/postgres.sh
# creates).
#
#   bench/jobs.sh                      # SQLite, 50,000 due + 50,000 later timers
#   TIMERS=50000 SPREAD=60 IDLE=20 BURST=20000 bench/jobs.sh
#   PG_URL=postgres://catalyst_owner@127.0.0.1:5433/catalyst bench/jobs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${CATALYST_CACHE_DIR:-$HOME/.cache/catalyst}/target}"
cargo build --release --quiet -p catalyst --example jobs_bench
BIN="$CARGO_TARGET_DIR/release/examples/jobs_bench"
echo "== $(date -u +%Y-%m-%d) $(nproc) CPUs"
"$BIN"
if [ -n "${PG_URL:-}" ]; then
  DATABASE_URL="$PG_URL" "$BIN"
fi
