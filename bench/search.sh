#!/usr/bin/env bash
# Search benchmark: builds an index of generated tickets and articles (IT vocabulary, with
# typos) in one tenant-mixed index, then measures typo-tolerant query latency, freshness
# under steady writes, index size on disk and peak memory.
#
#   bench/search.sh                 # 1,000,000 documents
#   DOCS=100000 bench/search.sh     # a quicker run
#
# Environment: DOCS (default 1000000), QUERIES (3000), WRITE_SECS (30),
# DIR (index directory, default a temporary one, removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."

DOCS=${DOCS:-1000000}
QUERIES=${QUERIES:-3000}
WRITE_SECS=${WRITE_SECS:-30}
CLEANUP=0
if [ -z "${DIR:-}" ]; then
  DIR=$(mktemp -d)
  CLEANUP=1
fi

cargo build --release -p catalyst-search --example search_bench
BIN="${CARGO_TARGET_DIR:-target}/release/examples/search_bench"

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
"$BIN" --docs "$DOCS" --queries "$QUERIES" --write-secs "$WRITE_SECS" --dir "$DIR/index"

if [ "$CLEANUP" = 1 ]; then
  rm -rf "$DIR"
fi
