# shellcheck shell=bash
# A throwaway PostgreSQL cluster for tests: initdb in a temporary directory, a free port on 127.0.0.1,
# password (scram) authentication over TCP as in the official image, removed again by stop_throwaway_postgres.
#
#   start_throwaway_postgres DB USER PASSWORD   # sets PG_TMP, PG_PORT
#   stop_throwaway_postgres
#
# With PG_SSL_CERT and PG_SSL_KEY set (PEM files), the server speaks TLS with that certificate.

pg_bindir() {
  local dir
  dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; return 1; }
  echo "$dir"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: as root, run its programs as the postgres user, from / (the postgres
# user may not enter the directory the tests run from, and PostgreSQL says so at every start).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

start_throwaway_postgres() {
  local db=$1 user=$2 password=$3 bin
  bin=$(pg_bindir) || return 1
  PG_TMP=$(mktemp -d /tmp/tau-postgres.XXXXXX)
  PG_PORT=$(free_port)
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_TMP"
  as_postgres "$bin/initdb" -D "$PG_TMP/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  local ssl=''
  if [ -n "${PG_SSL_CERT:-}" ]; then
    # The server reads its key only when the key belongs to it and no one else may read it.
    install -m 600 "$PG_SSL_KEY" "$PG_TMP/server.key"
    install -m 644 "$PG_SSL_CERT" "$PG_TMP/server.crt"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_TMP/server.key" "$PG_TMP/server.crt"
    ssl="-c ssl=on -c ssl_cert_file=$PG_TMP/server.crt -c ssl_key_file=$PG_TMP/server.key"
  fi
  as_postgres "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_TMP -c fsync=off $ssl" start >/dev/null \
    || { cat "$PG_TMP/server.log" >&2; return 1; }
  as_postgres "$bin/psql" -q -h "$PG_TMP" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE \"$db\" OWNER \"$user\"" >/dev/null
}

stop_throwaway_postgres() {
  [ -n "${PG_TMP:-}" ] || return 0
  if [ -f "$PG_TMP/data/postmaster.pid" ]; then
    as_postgres "$(pg_bindir)/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TMP"
  PG_TMP=
}
