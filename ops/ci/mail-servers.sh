#!/usr/bin/env bash
# Throw-away mail servers for the email tests: Dovecot (IMAP, with STARTTLS and IMAPS on a
# self-signed certificate) and a capturing SMTP server (aiosmtpd) that writes every message
# it receives as an .eml file. Both listen on free loopback ports, run from a private
# directory as no system service, and are stopped with `stop`.
#
# Usage:
#   eval "$(bash ops/ci/mail-servers.sh start [DIR])"   # installs if needed, starts, exports
#   cargo test ...                                     # tests read CATALYST_TEST_*
#   bash ops/ci/mail-servers.sh stop "$CATALYST_MAIL_SERVERS_DIR"
#
# `start` prints only `export NAME=value` lines on stdout (progress goes to stderr):
#   CATALYST_TEST_IMAP          imap://USER:PASS@127.0.0.1:PORT          (plain; STARTTLS offered)
#   CATALYST_TEST_IMAPS         imaps://USER:PASS@localhost:PORT         (implicit TLS)
#   CATALYST_TEST_IMAP_CA       PEM file of the self-signed certificate
#   CATALYST_TEST_SMTP          smtp://127.0.0.1:PORT                    (no auth, no TLS)
#   CATALYST_TEST_SMTP_DIR      directory where captured messages land (*.eml)
#   CATALYST_MAIL_SERVERS_DIR   the private directory (logs, pids, mail store)
set -euo pipefail

log() { echo "mail-servers: $*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # bounded: 100 x 0.1 s
  local port=$1 name=$2
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(0 if s.connect_ex(('127.0.0.1',$port))==0 else 1)"; then
      return 0
    fi
    sleep 0.1
  done
  log "$name did not start listening on port $port"
  return 1
}

install_if_missing() {
  if ! command -v dovecot >/dev/null 2>&1; then
    log "installing dovecot-imapd"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; } >&2
  fi
  if ! command -v openssl >/dev/null 2>&1; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl; } >&2
  fi
  if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
    log "installing aiosmtpd"
    pip install -q aiosmtpd >&2 2>/dev/null || pip install -q --break-system-packages aiosmtpd >&2
  fi
}

start() {
  install_if_missing
  local dir=${1:-}
  if [ -z "$dir" ]; then dir=$(mktemp -d /tmp/catalyst-mail.XXXXXX); fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  chmod 755 "$dir"
  mkdir -p "$dir/run" "$dir/state" "$dir/home" "$dir/smtp"
  chown nobody:nogroup "$dir/home"

  local user=catalyst pass=catalyst-test-pass
  local imap_port imaps_port smtp_port
  imap_port=$(free_port); imaps_port=$(free_port); smtp_port=$(free_port)

  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
    -addext "extendedKeyUsage=serverAuth" >/dev/null 2>&1
  chmod 644 "$dir/cert.pem"; chmod 600 "$dir/key.pem"

  echo "$user:{PLAIN}$pass" > "$dir/users"
  cat > "$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
instance_name = catalyst-test-$imap_port
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$dir/home/%u/Maildir
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dir/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF
  dovecot -c "$dir/dovecot.conf"
  wait_port "$imap_port" dovecot
  wait_port "$imaps_port" dovecot

  cat > "$dir/capture.py" <<'EOF'
import itertools, json, os, sys, threading, time
from aiosmtpd.controller import Controller

host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
counter = itertools.count(1)

class Capture:
    async def handle_DATA(self, server, session, envelope):
        name = "%d-%06d" % (time.time_ns(), next(counter))
        tmp = os.path.join(out, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        os.rename(tmp, os.path.join(out, name + ".eml"))
        return "250 OK captured"

controller = Controller(Capture(), hostname=host, port=port)
controller.start()
try:
    threading.Event().wait()
finally:
    controller.stop()
EOF
  setsid nohup python3 "$dir/capture.py" 127.0.0.1 "$smtp_port" "$dir/smtp" \
    >"$dir/smtp.log" 2>&1 < /dev/null &
  echo $! > "$dir/smtp.pid"
  wait_port "$smtp_port" aiosmtpd

  log "dovecot imap:$imap_port imaps:$imaps_port, smtp:$smtp_port, dir $dir"
  echo "export CATALYST_TEST_IMAP=imap://$user:$pass@127.0.0.1:$imap_port"
  echo "export CATALYST_TEST_IMAPS=imaps://$user:$pass@localhost:$imaps_port"
  echo "export CATALYST_TEST_IMAP_CA=$dir/cert.pem"
  echo "export CATALYST_TEST_SMTP=smtp://127.0.0.1:$smtp_port"
  echo "export CATALYST_TEST_SMTP_DIR=$dir/smtp"
  echo "export CATALYST_MAIL_SERVERS_DIR=$dir"
}

stop() {
  local dir=${1:?usage: mail-servers.sh stop DIR}
  if [ -f "$dir/dovecot.conf" ]; then
    doveadm -c "$dir/dovecot.conf" stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/smtp.pid" ]; then
    kill "$(cat "$dir/smtp.pid")" 2>/dev/null || true
    rm -f "$dir/smtp.pid"
  fi
  log "stopped servers in $dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start [DIR] | stop DIR" >&2; exit 2 ;;
esac
