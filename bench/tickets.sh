#!/usr/bin/env bash
# Ticket-core load benchmark on the embedded default (SQLite).
#
#   bench/tickets.sh [TICKETS] [CONNECTIONS] [SECONDS]
#
# Builds the release binary, seeds a fresh tenant with TICKETS tickets (default
# 100000), starts `catalyst serve`, and measures with oha (cargo install oha --locked):
#   1. GET /v1/portal/tickets?mine=true&status=open   (a requester; the seed's k6 endpoint)
#   2. GET /v1/tickets?limit=25                        (an agent's first page)
#   3. POST /v1/portal/incidents                       (a requester creating incidents)
# at CONNECTIONS concurrent connections (default 32) for SECONDS each (default 20),
# and prints req/s and p50/p95/p99 per operation plus the server's CPU time and RSS.
# Then the raw SQLite limit (bench/sqlite_raw.py: the same rows in the same transactions
# from one connection, without HTTP or ORM) and creation's share of it.
set -euo pipefail

TICKETS=${1:-100000}
CONNS=${2:-32}
SECS=${3:-20}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${CATALYST_CACHE_DIR:-$HOME/.cache/catalyst}/target}"
command -v oha >/dev/null || { echo "oha is missing: cargo install oha --locked" >&2; exit 1; }

(cd "$ROOT" && cargo build --release -p catalyst)
BIN="$CARGO_TARGET_DIR/release/catalyst"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/catalyst-bench.XXXXXX")
export CATALYST_DATA_DIR="$WORK/data"
export CATALYST_LOG=warn
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$BIN" migrate >/dev/null
"$BIN" tenant create bench --name "Bench Corp" >/dev/null
echo "seeding $TICKETS tickets..."
"$BIN" demo seed --tenant bench --tickets "$TICKETS" --requesters 200
# Index the seeded tickets now, so that the server does not build its search index
# while it is being measured.
"$BIN" search reindex >/dev/null
REQ_TOKEN=$("$BIN" token create --tenant bench --email seed-requester-0@bench.example --name bench | tail -n 1)
AGENT_TOKEN=$("$BIN" token create --tenant bench --email seed-agent@bench.example --name bench | tail -n 1)

"$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.2; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
hz=$(getconf CLK_TCK)

run() {
  local name=$1
  shift
  local t0 c0
  t0=$(date +%s.%N)
  c0=$(cpu_ticks)
  oha --no-tui -z "${SECS}s" -c "$CONNS" --output-format json "$@" >"$WORK/$name.json"
  local t1 c1
  t1=$(date +%s.%N)
  c1=$(cpu_ticks)
  python3 - "$WORK/$name.json" "$name" "$(echo "($c1 - $c0) / $hz / ($t1 - $t0)" | bc -l)" "$(rss_kb)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
total = sum(codes.values())
print(f"{sys.argv[2]:<22} {s['requestsPerSec']:>9.0f} req/s  p50 {p['p50']*1000:6.2f} ms  "
      f"p95 {p['p95']*1000:6.2f} ms  p99 {p['p99']*1000:6.2f} ms  2xx {ok}/{total}  "
      f"server CPU {float(sys.argv[3]):.2f} cores  RSS {int(sys.argv[4])//1024} MiB")
PY
}

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)" GiB"}' /proc/meminfo); $TICKETS tickets; $CONNS connections; ${SECS}s per operation"
run portal-mine-open -H "Authorization: Bearer $REQ_TOKEN" "$BASE/v1/portal/tickets?mine=true&status=open"
run agent-first-page -H "Authorization: Bearer $AGENT_TOKEN" "$BASE/v1/tickets?limit=25"
eml_count() { { find "$CATALYST_DATA_DIR/outbox" -name '*.eml' 2>/dev/null || true; } | wc -l; }
mail_before=$(eml_count)
run create-incident -m POST -H "Authorization: Bearer $REQ_TOKEN" -T application/json \
  -d '{"subject":"Bench incident","description":"created by the benchmark","impact":"low","urgency":"medium"}' \
  "$BASE/v1/portal/incidents"

# Each incident also brings background work: the event.notify job (in-app notices, the
# acknowledgement email) and the mail.send job that writes the .eml file. Wait until the
# last acknowledgement is written; the rate over the whole time is what the machine
# sustains for incident creation including its follow-up.
created=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(v for k,v in d.get("statusCodeDistribution",{}).items() if k.startswith("2")))' "$WORK/create-incident.json")
drain_start=$(date +%s.%N)
for _ in $(seq 1 3000); do
  [ "$(( $(eml_count) - mail_before ))" -ge "$created" ] && break
  sleep 0.1
done
drain=$(echo "$(date +%s.%N) - $drain_start" | bc -l)
full_rate=$(echo "$created / ($SECS + $drain)" | bc -l)
printf '%-22s %9.0f incidents/s including notification and delivery (%d created, background finished %.1f s after the load; %d acknowledgements written)\n' \
  create-incl-followup "$full_rate" "$created" "$drain" "$(( $(eml_count) - mail_before ))"

echo
echo "raw SQLite limits (same rows, same transactions, WAL, synchronous=FULL, no HTTP/ORM):"
raw=$(python3 "$ROOT/bench/sqlite_raw.py" "$WORK/raw.db" 5)
raw_full=$(python3 "$ROOT/bench/sqlite_raw.py" "$WORK/raw-full.db" 5 --full)
printf '%s\n%s\n' "$raw" "$raw_full"
# Catalyst's creation rate as a share of the raw limit, for creation alone and with the
# background work each incident brings.
per_s() { awk '{print $3}' <<<"$1"; }
create_rate=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["requestsPerSec"])' "$WORK/create-incident.json")
echo "Catalyst against the raw limit:"
printf '  creation                        %6.0f/s of %s/s = %3.0f %%\n' \
  "$create_rate" "$(per_s "$raw")" "$(echo "100 * $create_rate / $(per_s "$raw")" | bc -l)"
printf '  with notification and delivery  %6.0f/s of %s/s = %3.0f %%\n' \
  "$full_rate" "$(per_s "$raw_full")" "$(echo "100 * $full_rate / $(per_s "$raw_full")" | bc -l)"
