#!/usr/bin/env bash
# API conformance fuzzing: runs Schemathesis against a running Catalyst server over
# every operation of /openapi.json with every check, once with an agent's token and once
# with a requester's. Exits non-zero when Schemathesis reports any failure or error.
#
# Usage:
#   ops/ci/schemathesis.sh BASE_URL AGENT_TOKEN REQUESTER_TOKEN [ADMIN_TOKEN]
#
# BASE_URL is the server's origin, e.g. http://127.0.0.1:8080. The tokens belong to an
# agent and a requester of the same tenant (`catalyst token create`); with an admin's
# token too, a third run also reaches what only admins may do (queues, settings,
# members). Use a throw-away tenant: the script first creates a few tickets and comments,
# so that lists and the stateful phase have data, and the fuzzer then creates many more.
#
# Schemathesis is installed from PyPI into a virtualenv outside the repository,
# ${CATALYST_CACHE_DIR:-$HOME/.cache/catalyst}/schemathesis-venv.
#
# Environment:
#   SCHEMATHESIS_EXAMPLES    test cases per operation and phase (default 100: both runs
#                            take about 75 s on 2 cores against a debug build)
#   SCHEMATHESIS_SEED        random seed (default 20251126)
#   SCHEMATHESIS_REPORT_DIR  when set, JUnit reports are written there
#
# A longer run, e.g. before a release: more examples (time grows about linearly) and a
# new seed each time, against a fresh server:
#   SCHEMATHESIS_EXAMPLES=1000 SCHEMATHESIS_SEED=$RANDOM \
#     ops/ci/schemathesis.sh http://127.0.0.1:8080 "$AGENT_TOKEN" "$REQUESTER_TOKEN" "$ADMIN_TOKEN"
# Each failure is printed with a curl command that reproduces it.
#
# No check is excluded (`--checks all`), and two operations are: the live notification
# stream (GET /v1/notifications/stream) never ends, so a fuzzer can't judge its answer,
# and the inbound mail endpoint (POST /v1/inbound/email) takes `message/rfc822`, which
# Schemathesis can't generate; the server's tests and the mail corpus and property
# tests cover both. Three checks accept more
# statuses on a few operations (schemathesis.toml, written below), for rules that the
# OpenAPI schema can't express:
#   - missing_required_header, PATCH /v1/tickets/{id}: a missing If-Match gets 428
#     Precondition Required, the status RFC 6585 defines for exactly this.
#   - negative_data_rejection, PATCH /v1/tickets/{id}: If-Match is checked before the
#     body's values, so an invalid body with a stale or garbled If-Match is refused
#     with 412. It is refused all the same.
#   - positive_data_acceptance (schema-valid input must not get a 4xx other than 401,
#     403, 404, 409, 429) accepts 422 where input is checked against data and state the
#     fuzzer can't know: a list `cursor` must come from an earlier page; a ticket's
#     priority must match impact × urgency unless an agent gives a reason; only tasks
#     have a parent; referenced queues, people and tickets must exist in the tenant;
#     requesters may not set agent-only fields; status changes follow the lifecycle; a
#     closed ticket takes no comments or files; an upload's `file` must be the last
#     field of the form (it is stored as it streams in); a calendar's time zone must be
#     a known IANA name and its opening intervals must not overlap; an .ics file must
#     parse; an SLA policy needs a target and its calendar and queues must exist; email
#     settings take addresses we can send to and an IMAP URL we can connect to, and a
#     template must compile. The two email settings operations also accept 413 for
#     schema-violating input: a body over the size limit is refused before its fields
#     are read; a deflection step names the article it is about; a synonym phrase has
#     at most 100 characters; search filters name the tenant's queues. PATCH /v1/tickets/{id} also
#     accepts 412 there: If-Match must name the ticket's current version (the same for
#     PATCH /v1/kb/articles/{id}).
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 BASE_URL AGENT_TOKEN REQUESTER_TOKEN [ADMIN_TOKEN]" >&2
  exit 2
fi
BASE_URL=${1%/}
AGENT_TOKEN=$2
REQUESTER_TOKEN=$3
ADMIN_TOKEN=${4:-}

SCHEMATHESIS_VERSION=4.32.5
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-100}
SEED=${SCHEMATHESIS_SEED:-20251126}

HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
VENV="${CATALYST_CACHE_DIR:-$HOME/.cache/catalyst}/schemathesis-venv"
ST="$VENV/bin/schemathesis"

# --- install -------------------------------------------------------------------

if ! "$ST" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
  echo "==> installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$ST" --version

REPORT_DIR=""
if [ -n "${SCHEMATHESIS_REPORT_DIR:-}" ]; then
  mkdir -p "$SCHEMATHESIS_REPORT_DIR"
  REPORT_DIR=$(cd "$SCHEMATHESIS_REPORT_DIR" && pwd)
fi

# Schemathesis and Hypothesis write their files into the working directory.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# --- seed data -----------------------------------------------------------------

# api TOKEN METHOD PATH [JSON]: prints the response body; fails on a non-2xx answer.
api() {
  local args=(--silent --show-error --fail-with-body --max-time 30 -X "$2"
    -H "Authorization: Bearer $1" -H "Accept: application/json")
  if [ $# -ge 4 ]; then
    args+=(-H "Content-Type: application/json" --data "$4")
  fi
  curl "${args[@]}" "$BASE_URL$3"
}
json_id() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }

echo "==> waiting for $BASE_URL/readyz"
for _ in $(seq 1 60); do
  if curl --silent --fail --max-time 2 "$BASE_URL/readyz" >/dev/null; then break; fi
  sleep 1
done
curl --silent --show-error --fail --max-time 5 "$BASE_URL/readyz" >/dev/null

echo "==> seeding tickets"
for i in 1 2 3; do
  id=$(api "$AGENT_TOKEN" POST /v1/tickets \
    "{\"kind\":\"incident\",\"subject\":\"Seeded incident $i\",\"description\":\"Printer on floor $i is *jammed*\",\"impact\":\"high\",\"urgency\":\"low\"}" | json_id)
  api "$AGENT_TOKEN" POST "/v1/tickets/$id/comments" '{"body":"Looking into it","isPrivate":false}' >/dev/null
  api "$AGENT_TOKEN" POST "/v1/tickets/$id/comments" '{"body":"Internal note","isPrivate":true}' >/dev/null
done
for i in 1 2; do
  id=$(api "$REQUESTER_TOKEN" POST /v1/portal/incidents \
    "{\"subject\":\"VPN down $i\",\"description\":\"Cannot connect since this morning\"}" | json_id)
  api "$REQUESTER_TOKEN" POST "/v1/tickets/$id/comments" '{"body":"Still broken"}' >/dev/null
  api "$REQUESTER_TOKEN" POST /v1/portal/requests \
    "{\"subject\":\"New laptop $i\",\"priority\":\"P4\"}" >/dev/null
done

# --- configuration -------------------------------------------------------------

# See the top of this file for why these operations accept more statuses.
ACCEPTED='"2xx", "3xx", "401", "403", "404", "409", "429", "5xx"'
cat >"$WORK/schemathesis.toml" <<EOF
[[operations]]
include-name = [
  "GET /v1/tickets",
  "GET /v1/portal/tickets",
  "POST /v1/portal/incidents",
  "POST /v1/portal/requests",
  "POST /v1/tickets",
  "POST /v1/tickets/bulk",
  "POST /v1/tickets/{id}/comments",
  "POST /v1/tickets/{id}/attachments",
  "POST /v1/sla/calendars",
  "PUT /v1/sla/calendars/{id}",
  "POST /v1/sla/calendars/{id}/holidays",
  "POST /v1/sla/policies",
  "PUT /v1/sla/policies/{id}",
  "POST /v1/kb/deflections/{id}",
  "PUT /v1/kb/synonyms",
  "GET /v1/search",
]
checks.positive_data_acceptance.expected-statuses = [$ACCEPTED, "422"]

[[operations]]
include-name = ["PATCH /v1/admin/mail/settings", "PUT /v1/admin/mail/templates"]
checks.positive_data_acceptance.expected-statuses = [$ACCEPTED, "422"]
checks.negative_data_rejection.expected-statuses = [
  "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx",
]

[[operations]]
include-name = ["PATCH /v1/tickets/{id}", "PATCH /v1/kb/articles/{id}"]
checks.positive_data_acceptance.expected-statuses = [$ACCEPTED, "412", "422"]
checks.missing_required_header.expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]
checks.negative_data_rejection.expected-statuses = [
  "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx",
]
EOF

# --- fuzz ----------------------------------------------------------------------

# fuzz NAME TOKEN: one full Schemathesis run with the caller's token.
fuzz() {
  local name=$1 token=$2
  local args=(
    --config-file "$WORK/schemathesis.toml"
    run "$BASE_URL/openapi.json"
    --url "$BASE_URL"
    -H "Authorization: Bearer $token"
    --checks all
    --max-examples "$EXAMPLES"
    --seed "$SEED"
    --workers 1
    --generation-database none
    --request-timeout 30
    --exclude-path /v1/notifications/stream
    --exclude-path /v1/inbound/email
    --no-color
  )
  if [ -n "$REPORT_DIR" ]; then
    args+=(--report junit --report-junit-path "$REPORT_DIR/schemathesis-$name.xml")
  fi
  echo
  echo "==> schemathesis as $name: $ST ${args[*]//$token/***}"
  "$ST" "${args[@]}"
}

rc=0
fuzz agent "$AGENT_TOKEN" || rc=1
fuzz requester "$REQUESTER_TOKEN" || rc=1
if [ -n "$ADMIN_TOKEN" ]; then
  fuzz admin "$ADMIN_TOKEN" || rc=1
fi
if [ "$rc" -ne 0 ]; then
  echo "schemathesis: failures found (see above)" >&2
fi
exit "$rc"
