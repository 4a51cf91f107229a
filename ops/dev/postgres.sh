#!/usr/bin/env bash
# Throw-away PostgreSQL 15 cluster for development and CI.
#
#   ops/dev/postgres.sh start DIR [PORT]   create a cluster under DIR (new or
#                                          empty; as root, the postgres user
#                                          must be able to reach it), start it on
#                                          127.0.0.1:PORT (default 5433) and
#                                          create the Catalyst roles and database
#   ops/dev/postgres.sh stop DIR           stop the cluster in DIR (no error if
#                                          it is not running)
#
# The cluster uses trust authentication and listens on loopback only; it is
# meant for tests, never for real data. Durability is switched off for speed.
#
# Roles created:
#   catalyst_owner  LOGIN CREATEDB, not a superuser: runs migrations and owns
#                   the schema; tests use it to create one database per test
#   catalyst_app    LOGIN, NOSUPERUSER, NOBYPASSRLS: what the server connects
#                   as, so row-level security applies to it
# Database created: catalyst, owned by catalyst_owner.
#
# When run as root the cluster belongs to the "postgres" system user.
# PG_BINDIR overrides where the PostgreSQL 15 server programs are looked up.
set -euo pipefail

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Runs a command as the owner of the cluster.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local dir=$1 port=${2:-5433}
  local cluster="$dir/cluster"

  if [ ! -x "$PG_BINDIR/initdb" ]; then
    echo "postgres.sh: $PG_BINDIR/initdb not found (install the postgresql package)" >&2
    return 1
  fi
  if python3 - "$port" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
PY
  then
    echo "postgres.sh: port $port on 127.0.0.1 is already in use" >&2
    return 1
  fi

  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
  fi
  chmod 700 "$dir"
  if ! as_owner test -w "$dir"; then
    echo "postgres.sh: user postgres cannot reach $dir (check the parent directories' permissions)" >&2
    return 1
  fi

  # Run from inside the cluster directory so that the server programs never
  # need access to the caller's working directory.
  (
    cd "$dir"
    as_owner "$PG_BINDIR/initdb" -D "$cluster" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
    if ! as_owner "$PG_BINDIR/pg_ctl" -D "$cluster" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null; then
      echo "postgres.sh: the server did not start; its log follows" >&2
      cat "$dir/server.log" >&2 || true
      exit 1
    fi
  )

  "$PG_BINDIR/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -X -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'catalyst_owner') THEN
    CREATE ROLE catalyst_owner;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'catalyst_app') THEN
    CREATE ROLE catalyst_app;
  END IF;
END
$$;
ALTER ROLE catalyst_owner LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOBYPASSRLS;
ALTER ROLE catalyst_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
SELECT 'CREATE DATABASE catalyst OWNER catalyst_owner'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'catalyst')
\gexec
SQL
  echo "PostgreSQL listening on 127.0.0.1:$port (data in $cluster)"
}

stop() {
  local dir=$1
  local cluster="$dir/cluster"
  if [ -f "$cluster/postmaster.pid" ]; then
    (cd "$dir" && as_owner "$PG_BINDIR/pg_ctl" -D "$cluster" -m fast -w -t 60 stop >/dev/null) || true
  fi
}

case "${1:-}" in
  start)
    if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
    start "$2" "${3:-5433}"
    ;;
  stop)
    if [ $# -ne 2 ]; then usage; fi
    stop "$2"
    ;;
  *)
    usage
    ;;
esac
