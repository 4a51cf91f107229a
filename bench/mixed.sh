#!/usr/bin/env bash
# Mixed workload after the deployment guide's k6 scenario, on the embedded default.
#
#   bench/mixed.sh [TICKETS] [SECONDS] [LEVELS]        e.g. bench/mixed.sh 100000 20 "8 32 128"
#   SOAK=3600 bench/mixed.sh 100000                     one level (32) for an hour, RSS every minute
#   SEEDED=~/.cache/catalyst/seed-100k bench/mixed.sh 100000 20 8
#                                                       seeds into that directory once, then
#                                                       starts every later run from a copy of it
#
# Four oha processes run at the same time against one server, each with its share of
# the connections: list my open tickets 50 %, create an incident 20 %, search (the search
# engine, as an agent, typo-tolerant) 20 %, comment 10 %. Each prints req/s and
# p50/p95/p99; the total is their sum, and its percentiles are those of all requests
# together (estimated from each operation's percentiles), with the server's CPU use and
# RSS. Then, for reference, the raw SQLite limit: a small program that writes the same
# rows in the same transactions as one incident creation (with the same pragmas);
# bench/tickets.sh compares creation alone with it and prints the ratio.
set -euo pipefail

TICKETS=${1:-100000}
SECS=${2:-20}
LEVELS=${3:-"8 32 128"}
SOAK=${SOAK:-0}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${CATALYST_CACHE_DIR:-$HOME/.cache/catalyst}/target}"
command -v oha >/dev/null || { echo "oha is missing: cargo install oha --locked" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -p catalyst)
BIN="$CARGO_TARGET_DIR/release/catalyst"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/catalyst-mixed.XXXXXX")
export CATALYST_DATA_DIR="$WORK/data" CATALYST_LOG=warn
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

SEEDED=${SEEDED:-}
if [ -n "$SEEDED" ] && [ -f "$SEEDED/tickets" ] && [ "$(cat "$SEEDED/tickets")" = "$TICKETS" ]; then
  echo "starting from the $TICKETS tickets seeded in $SEEDED"
  cp -r "$SEEDED/data" "$CATALYST_DATA_DIR"
  "$BIN" migrate >/dev/null
else
  "$BIN" migrate >/dev/null
  "$BIN" tenant create bench --name "Bench Corp" >/dev/null
  echo "seeding $TICKETS tickets..."
  "$BIN" demo seed --tenant bench --tickets "$TICKETS" --requesters 200
  # Index the seeded tickets now, so that the server does not build its search index
  # while it is being measured.
  "$BIN" search reindex >/dev/null
  if [ -n "$SEEDED" ]; then
    rm -rf "$SEEDED" && mkdir -p "$SEEDED" && cp -r "$CATALYST_DATA_DIR" "$SEEDED/data"
    echo "$TICKETS" >"$SEEDED/tickets"
  fi
fi
REQ=$("$BIN" token create --tenant bench --email seed-requester-0@bench.example --name bench | tail -n 1)
AGENT=$("$BIN" token create --tenant bench --email seed-agent@bench.example --name bench | tail -n 1)
"$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.2; done
TICKET=$(curl -fs -H "Authorization: Bearer $REQ" "$BASE/v1/portal/tickets?mine=true&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

share() { python3 -c "import sys; print(max(1, round($1 * $2)))"; }
stats() {
  python3 - "$@" <<'PY'
import json, sys
tot = 0
cdfs = []  # per operation: (requests, [(latency, fraction at or below)])
for f in sys.argv[1:]:
    d = json.load(open(f))
    s, p = d["summary"], d["latencyPercentiles"]
    codes = d.get("statusCodeDistribution", {})
    bad = sum(v for k, v in codes.items() if not k.startswith("2"))
    tot += s["requestsPerSec"]
    name = f.rsplit("/", 1)[1].rsplit(".", 1)[0]
    print(f"  {name:<10} {s['requestsPerSec']:>8.0f} req/s  p50 {p['p50']*1000:6.2f} ms  p95 {p['p95']*1000:6.2f} ms  p99 {p['p99']*1000:7.2f} ms  non-2xx {bad}")
    points = [(s["fastest"], 0.0)] + sorted((v, float(k[1:]) / 100) for k, v in p.items()) + [(s["slowest"], 1.0)]
    # summary.total is the run's duration in seconds; the number of requests is what the
    # status-code distribution counts (plus those that got no answer at all).
    count = sum(codes.values()) + sum(d.get("errorDistribution", {}).values())
    cdfs.append((count, points))

def below(x):
    """Requests of all operations at or below latency x (each operation's distribution
    interpolated linearly between its percentiles)."""
    n = 0.0
    for count, pts in cdfs:
        frac = 1.0 if x >= pts[-1][0] else 0.0
        for (x0, f0), (x1, f1) in zip(pts, pts[1:]):
            if x0 <= x < x1:
                frac = f0 + (f1 - f0) * (x - x0) / (x1 - x0)
                break
        n += count * frac
    return n

def overall(q):
    total = sum(c for c, _ in cdfs)
    lo, hi = 0.0, max(pts[-1][0] for _, pts in cdfs)
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if below(mid) < q * total else (lo, mid)
    return hi * 1000

print(f"  {'total':<10} {tot:>8.0f} req/s  p50 {overall(0.5):6.2f} ms  p95 {overall(0.95):6.2f} ms  p99 {overall(0.99):7.2f} ms  (all requests together, as k6 reports http_req_duration)")
PY
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
mix() {
  local conns=$1 secs=$2 dir="$WORK/run-$1" pids t0 c0
  mkdir -p "$dir"
  t0=$(date +%s.%N)
  c0=$(cpu_ticks)
  oha --no-tui -z "${secs}s" -c "$(share "$conns" 0.5)" --output-format json -H "Authorization: Bearer $REQ" \
    "$BASE/v1/portal/tickets?mine=true&status=open" >"$dir/list.json" &
  pids=($!)
  oha --no-tui -z "${secs}s" -c "$(share "$conns" 0.2)" --output-format json -m POST -H "Authorization: Bearer $REQ" \
    -T application/json -d '{"subject":"VPN down","description":"mixed load","impact":"medium","urgency":"low"}' \
    "$BASE/v1/portal/incidents" >"$dir/create.json" &
  pids+=($!)
  oha --no-tui -z "${secs}s" -c "$(share "$conns" 0.2)" --output-format json -H "Authorization: Bearer $AGENT" \
    "$BASE/v1/search?q=vnp%20down&limit=25&record=false" >"$dir/search.json" &
  pids+=($!)
  oha --no-tui -z "${secs}s" -c "$(share "$conns" 0.1)" --output-format json -m POST -H "Authorization: Bearer $AGENT" \
    -T application/json -d '{"body":"Looking into it","isPrivate":true}' \
    "$BASE/v1/tickets/$TICKET/comments" >"$dir/comment.json" &
  pids+=($!)
  wait "${pids[@]}"
  stats "$dir/list.json" "$dir/create.json" "$dir/search.json" "$dir/comment.json"
  echo "  server CPU $(echo "($(cpu_ticks) - $c0) / $(getconf CLK_TCK) / ($(date +%s.%N) - $t0)" | bc -l | cut -c1-4) cores, RSS $(rss_mb), $(heap_mb)"
  echo "  background: $(backlog)"
}

# How far background work is behind: the job queue and the search index's last commit.
backlog() {
  curl -fs "$BASE/metrics" | awk '/^jobs_pending / {p = $2} /^jobs_lag_seconds / {l = $2} /^search_index_cursor / {c = $2} END {printf "jobs pending %d (oldest due waited %.1f s), search index committed up to event %d\n", p, l, c}'
}

# The allocator's own figures (from /metrics): live heap against what it keeps resident.
heap_mb() {
  curl -fs "$BASE/metrics" | awk '/^process_heap_allocated_bytes/ {a = int($2/1048576)} /^process_heap_resident_bytes/ {r = int($2/1048576)} END {print "heap " a " MiB live, " r " MiB held"}'
}

# Resident size, and the anonymous part of it (heap, stacks): the part a leak would grow.
# The rest is file pages (the binary, the search index) that the kernel can drop.
rss_mb() { awk '/VmRSS/ {r = int($2/1024)} /RssAnon/ {a = int($2/1024)} END {print r " MiB (anonymous " a " MiB)"}' "/proc/$SERVER/status"; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)" GiB"}' /proc/meminfo); $TICKETS tickets"
if [ "$SOAK" -gt 0 ]; then
  echo "soak: 32 connections for ${SOAK}s; RSS at start $(rss_mb)"
  end=$((SECONDS + SOAK))
  minute=0
  while [ "$SECONDS" -lt "$end" ]; do
    minute=$((minute + 1))
    echo "minute $minute ($(date -u +%H:%M:%S)):"
    mix 32 60
  done
  echo "soak done: server RSS $(rss_mb); non-2xx answers per minute are listed above"
  exit 0
fi
for c in $LEVELS; do
  echo "mixed workload, $c connections, ${SECS}s (server RSS before: $(rss_mb))"
  mix "$c" "$SECS"
done
echo "server RSS after: $(rss_mb)"

echo
echo "raw SQLite limit (same rows, same transactions, WAL, synchronous=FULL):"
python3 "$ROOT/bench/sqlite_raw.py" "$WORK/raw.db" 5
python3 "$ROOT/bench/sqlite_raw.py" "$WORK/raw-full.db" 5 --full
