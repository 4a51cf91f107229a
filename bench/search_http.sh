#!/usr/bin/env bash
# Search freshness through the HTTP API under a steady write load, on the embedded default.
#
#   bench/search_http.sh [TICKETS] [WRITES_PER_SEC] [SAMPLES]     e.g. bench/search_http.sh 20000 100 300
#
# Seeds a tenant with TICKETS tickets (default 20000) and indexes them, starts
# `catalyst serve`, keeps WRITES_PER_SEC incident creations per second running (oha, default
# 100) plus 100 searches per second, and meanwhile measures with bench/search_freshness.py how
# long after its 201 a new incident is found by an agent's search (target: p99 <= 1 s).
set -euo pipefail

TICKETS=${1:-20000}
RATE=${2:-100}
SAMPLES=${3:-300}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${CATALYST_CACHE_DIR:-$HOME/.cache/catalyst}/target}"
command -v oha >/dev/null || { echo "oha is missing: cargo install oha --locked" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -p catalyst)
BIN="$CARGO_TARGET_DIR/release/catalyst"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/catalyst-freshness.XXXXXX")
export CATALYST_DATA_DIR="$WORK/data" CATALYST_LOG=warn
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
SERVER=""
LOAD=()
cleanup() {
  for p in "${LOAD[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" migrate >/dev/null
"$BIN" tenant create bench --name "Bench Corp" >/dev/null
echo "seeding $TICKETS tickets..."
"$BIN" demo seed --tenant bench --tickets "$TICKETS" --requesters 200 >/dev/null 2>&1
"$BIN" search reindex >/dev/null
REQ=$("$BIN" token create --tenant bench --email seed-requester-0@bench.example --name bench | tail -n 1)
REQ2=$("$BIN" token create --tenant bench --email seed-requester-1@bench.example --name bench | tail -n 1)
AGENT=$("$BIN" token create --tenant bench --email seed-agent@bench.example --name bench | tail -n 1)
"$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.2; done

echo "machine: $(nproc) cores; $TICKETS tickets; background: $RATE incidents/s and 100 searches/s"
oha --no-tui -z 1h -q "$RATE" -c 8 -m POST -H "Authorization: Bearer $REQ2" -T application/json \
  -d '{"subject":"Printer offline","description":"background load","impact":"low","urgency":"low"}' \
  "$BASE/v1/portal/incidents" >/dev/null 2>&1 &
LOAD+=($!)
oha --no-tui -z 1h -q 100 -c 4 -H "Authorization: Bearer $AGENT" \
  "$BASE/v1/search?q=prnter%20offline&limit=20&record=false" >/dev/null 2>&1 &
LOAD+=($!)
sleep 2
python3 "$ROOT/bench/search_freshness.py" "$BASE" "$REQ" "$AGENT" "$SAMPLES"
