#!/usr/bin/env bash
# Email throughput on the embedded default (SQLite file, WAL, synchronous=full).
#
#   bench/mail.sh [MESSAGES]          e.g. bench/mail.sh 2000
#
# Inbound: MESSAGES raw messages (60 % new tickets from 50 senders, 40 % replies threaded
# by In-Reply-To with quoted text) through the ingestion pipeline in process: parse,
# deduplicate, classify, rate-limit check, thread, create the ticket or the reply, record
# the Message-ID. Outbound: every ticket.created / ticket.reply_added event of that run
# turned into notifications: template render, MIME build, Message-ID recorded and a
# mail.send job queued (delivery itself is the transport's and is not measured).
#
# Runs the ignored test crates/server/tests/mail_bench.rs. PROFILE=release builds with
# optimisations (slow the first time); the default is the dev profile, whose dependencies
# are built at opt-level 1.
set -euo pipefail

MESSAGES=${1:-1000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE_FLAG=()
if [ "${PROFILE:-dev}" = "release" ]; then PROFILE_FLAG=(--release); fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)" GiB"}' /proc/meminfo); profile ${PROFILE:-dev}"
(cd "$ROOT" && MAIL_BENCH_MESSAGES=$MESSAGES cargo test "${PROFILE_FLAG[@]}" -q -p catalyst \
  --test mail_bench -- --ignored --nocapture) 2>&1 \
  | grep -E '^(inbound|outbound):'
