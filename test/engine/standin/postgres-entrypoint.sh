#!/usr/bin/env bash
# docker-entrypoint.sh of the postgres:N stand-ins (test/engine/standin-images.sh): Debian's PostgreSQL of
# the image (PG_MAJOR: 15, 17 or 18; binaries in /usr/lib/postgresql/$PG_MAJOR/bin, first on PATH) behind
# the documented contract of the official image's entrypoint (docker-library/postgres).
# The contract it implements:
#  - POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER (default postgres,
#    a superuser), POSTGRES_DB (default: the user), POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR, and the
#    _FILE variants of the first four;
#  - initdb on the first start only (no PG_VERSION in PGDATA), then /docker-entrypoint-initdb.d/*:
#    *.sh run if executable, else sourced; *.sql, *.sql.gz, *.sql.xz, *.sql.zst through psql as
#    POSTGRES_USER against POSTGRES_DB; all on a temporary server listening on the socket only;
#  - as the official image: initdb's "trust" for the socket and loopback, and
#    `host all all all <password_encryption>` (scram-sha-256) for every other address;
#  - the server runs as postgres and replaces this script (PID 1), so the container's stop signal
#    (SIGINT, fast shutdown) reaches it;
#  - 18+ layout (PGDATA=/var/lib/postgresql/18/docker): a mount at the old /var/lib/postgresql/data is
#    refused at start, as upstream does (docker-library/postgres#1259, #1400).
# A data directory of another major is refused, as the official image's server refuses it. Where the
# image runs the major it is tagged with (TAU_STANDIN_PG_MAJOR = PG_MAJOR), the server itself does that
# from PG_VERSION. postgres:16 runs PostgreSQL 15 (no Debian suite ships 16): there the tag's major is
# written to $PGDATA/TAU_STANDIN_PG_MAJOR at initdb, and this script refuses a data directory whose
# marker (or, without one, PG_VERSION) names another major, with the server's own message.
set -Eeo pipefail

# file_env VAR [DEFAULT]: VAR, or the content of the file named by VAR_FILE, or DEFAULT.
file_env() {
  local var=$1 file_var=${1}_FILE def=${2:-} val
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
    exit 1
  fi
  val=$def
  if [ -n "${!var:-}" ]; then
    val=${!var}
  elif [ -n "${!file_var:-}" ]; then
    val=$(<"${!file_var}")
  fi
  export "$var"="$val"
  unset "$file_var"
}

# An option that makes postgres print something and exit needs no data directory.
want_help() {
  local arg
  for arg; do
    case $arg in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
  done
  return 1
}

standin_major=${TAU_STANDIN_PG_MAJOR:-}
binaries_major=${PG_MAJOR:-$standin_major}
old_pgdata=/var/lib/postgresql/data

refuse_old_mount() {
  # Only the 18+ images refuse (docker-library/postgres#1259); 17 and older accept a mount at the old
  # path with PGDATA below it, as the Kubernetes target does (a PVC's lost+found).
  [ "${binaries_major:-0}" -ge 18 ] 2>/dev/null || return 0
  [ "$PGDATA" != "$old_pgdata" ] || return 0
  if mountpoint -q "$old_pgdata" 2>/dev/null || [ -s "$old_pgdata/PG_VERSION" ]; then
    cat >&2 <<-EOE
	Error: in 18+, these Docker images are configured to store database data in a
	       format which is compatible with "pg_ctlcluster" (specifically, using
	       major-version-specific directory names).
	       See also https://github.com/docker-library/postgres/pull/1259

	       Counter to that, there appears to be PostgreSQL data in:
	         $old_pgdata (unused mount/volume)

	       The suggested container configuration for 18+ is to place a single mount
	       at /var/lib/postgresql which will then place PostgreSQL data in a
	       subdirectory ($PGDATA).
	       (stand-in image: test/engine/standin/postgres-entrypoint.sh)
	EOE
    exit 1
  fi
}

create_directories() {
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  mkdir -p /var/run/postgresql || :
  chmod 03775 /var/run/postgresql || :
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    mkdir -p "$POSTGRES_INITDB_WALDIR"
    [ "$(id -u)" != 0 ] || find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres: '{}' +
    chmod 700 "$POSTGRES_INITDB_WALDIR"
  fi
  if [ "$(id -u)" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres: '{}' +
  fi
}

verify_minimum_env() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<-'EOE'
	Error: Database is uninitialized and superuser password is not specified.
	       You must specify POSTGRES_PASSWORD to a non-empty value for the
	       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

	       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
	       connections without a password. This is *not* recommended.
	EOE
    exit 1
  fi
  if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
    echo >&2 'WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust": every connection is allowed without a password.'
  fi
}

# psql as POSTGRES_USER against POSTGRES_DB (if set) over the socket.
process_sql() {
  local runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  [ -z "$POSTGRES_DB" ] || runner+=(--dbname "$POSTGRES_DB")
  PGHOST='' PGHOSTADDR='' "${runner[@]}" "$@"
}

process_init_files() {
  local f
  # shellcheck disable=SC2034  # `psql` is what scripts written for the official image may use
  psql=(process_sql)
  echo
  for f; do
    case $f in
      *.sh)
        if [ -x "$f" ]; then
          printf '%s: running %s\n' "$0" "$f"
          "$f"
        else
          printf '%s: sourcing %s\n' "$0" "$f"
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql) printf '%s: running %s\n' "$0" "$f"; process_sql -f "$f"; echo ;;
      *.sql.gz) printf '%s: running %s\n' "$0" "$f"; gunzip -c "$f" | process_sql; echo ;;
      *.sql.xz) printf '%s: running %s\n' "$0" "$f"; xzcat "$f" | process_sql; echo ;;
      *.sql.zst) printf '%s: running %s\n' "$0" "$f"; zstd -dc "$f" | process_sql; echo ;;
      *) printf '%s: ignoring %s\n' "$0" "$f" ;;
    esac
    echo
  done
}

init_database() {
  local args=()
  [ -z "${POSTGRES_INITDB_WALDIR:-}" ] || args+=(--waldir "$POSTGRES_INITDB_WALDIR")
  # No --auth: initdb's default (trust on the socket and on 127.0.0.1/::1), as the official image.
  # POSTGRES_INITDB_ARGS is split like a shell command line, as the official image does with eval.
  # The password goes through a pipe, never a file or the command line.
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "${args[@]}"'
  if [ -n "$standin_major" ] && [ "$standin_major" != "$binaries_major" ]; then
    printf '%s\n' "$standin_major" >"$PGDATA/TAU_STANDIN_PG_MAJOR"
  fi

  # Every other address: the configured password_encryption (scram-sha-256) unless set explicitly.
  local auth
  auth=$(postgres -C password_encryption -D "$PGDATA")
  : "${POSTGRES_HOST_AUTH_METHOD:=$auth}"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
  # Socket only while initializing: clients polling over TCP see the server only once it is ready.
  PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start

  local db=$POSTGRES_DB
  if [ -z "$(POSTGRES_DB=postgres process_sql --set db="$db" --tuples-only \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")" ]; then
    POSTGRES_DB=postgres process_sql --set db="$db" <<<'CREATE DATABASE :"db";'
  fi
  process_init_files /docker-entrypoint-initdb.d/*

  PGUSER=${PGUSER:-postgres} pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  printf '\nPostgreSQL init process complete; ready for start up.\n\n'
}

refuse_other_major() {
  local marker=$PGDATA/TAU_STANDIN_PG_MAJOR initialized
  [ -n "$standin_major" ] || return 0
  if [ -s "$marker" ]; then
    initialized=$(<"$marker")                 # made by a stand-in whose binaries are another major
  elif [ "$standin_major" != "$binaries_major" ]; then
    initialized=$(<"$PGDATA/PG_VERSION")      # e.g. postgres:16 (binaries 15) on a postgres:15 cluster
  else
    return 0                                  # the real server checks PG_VERSION itself
  fi
  if [ "$initialized" != "$standin_major" ]; then
    printf 'FATAL:  database files are incompatible with server\n' >&2
    printf 'DETAIL:  The data directory was initialized by PostgreSQL version %s, which is not compatible with this version %s (stand-in).\n' \
      "$initialized" "$standin_major" >&2
    exit 1
  fi
}

main() {
  if [ "${1:0:1}" = - ]; then
    set -- postgres "$@"
  fi
  if [ "$1" = postgres ] && ! want_help "$@"; then
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    : "${POSTGRES_HOST_AUTH_METHOD:=}"
    refuse_old_mount
    create_directories
    if [ "$(id -u)" = 0 ]; then
      # Step down to postgres and run this script again (what gosu does in the official image).
      export HOME=/var/lib/postgresql
      exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
    fi
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
      verify_minimum_env
      ls /docker-entrypoint-initdb.d/ >/dev/null   # fail early on an unreadable directory
      init_database
    else
      refuse_other_major
      printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
    fi
  fi
  exec "$@"
}

main "$@"
