#!/usr/bin/env bash
# The generated settings of a stack with an external database, under the pinned Django and its driver, against
# a real PostgreSQL that speaks TLS with SERVER_CERT (made for the host name "localhost"). Three connections,
# each printed as one line: the right CA and host name; another CA; the right CA and another name (127.0.0.1).
#
#   tls-probe.sh PROJECT_DIR SERVER_CERT SERVER_KEY RIGHT_CA OTHER_CA CA_IN_USE
#
# CA_IN_USE is the file the settings name as sslrootcert; each case copies its CA there.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
project=$1 right=$4 other=$5 in_use=$6
# shellcheck source-path=SCRIPTDIR source=../lib/throwaway-postgres.sh
. "$root/test/lib/throwaway-postgres.sh"
venv=$(bash "$root/scripts/python-env.sh" app)
trap stop_throwaway_postgres EXIT INT TERM
password=$("$venv/python" -c 'import secrets; print(secrets.token_urlsafe(24))')
PG_SSL_CERT=$2 PG_SSL_KEY=$3 start_throwaway_postgres tau tau "$password"

probe='
import django
django.setup()
from django.db import connection
params = connection.get_connection_params()
try:
    # The driver called with the parameters Django gives it (its pool opens connections with the same ones):
    # a refusal then says why, where the pool would only say it timed out waiting for a connection.
    with connection.Database.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        ssl, version = cursor.fetchone()
    mode = params.get("sslmode")
    print(f"connected ssl={ssl} {version} sslmode={mode}")
except Exception as e:
    print(f"refused {type(e).__name__}: {str(e).strip().splitlines()[-1]}")
'
run() {
  local label=$1 ca=$2 host=$3
  cp "$ca" "$in_use"
  printf '%s: ' "$label"
  (cd "$project" && env -i PATH="$venv:/usr/bin:/bin" HOME="${HOME:-/root}" LANG=C.UTF-8 DJANGO_SETTINGS_MODULE=Tau.settings \
    DJANGO_SECRET_KEY="$("$venv/python" -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    POSTGRES_DB=tau POSTGRES_APP_USER=tau POSTGRES_APP_PASSWORD="$password" POSTGRES_HOST="$host" POSTGRES_PORT="$PG_PORT" \
    "$venv/python" -B -c "$probe")
}
run right "$right" localhost
run other-ca "$other" localhost
run other-name "$right" 127.0.0.1
