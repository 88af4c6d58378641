#!/usr/bin/env bash
# The Django test suite under the pinned Django, gunicorn and uvicorn (the virtualenv of requirements.lock,
# as the image installs it), against a real PostgreSQL cluster started here and removed afterwards.
# Extra arguments go to `manage.py test`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/throwaway-postgres.sh
. "$root/test/lib/throwaway-postgres.sh"
venv=$(bash "$root/scripts/python-env.sh" app)

trap stop_throwaway_postgres EXIT INT TERM
password=$("$venv/python" -c 'import secrets; print(secrets.token_urlsafe(24))')
start_throwaway_postgres tau tau "$password"

cd "$root"
# The variables come from the same contract as .env: names as in .env.example, the database here.
env -i PATH="$venv:/usr/bin:/bin" HOME="${HOME:-/root}" LANG=C.UTF-8 \
  DJANGO_SECRET_KEY="$("$venv/python" -c 'import secrets; print(secrets.token_urlsafe(48))')" \
  POSTGRES_DB=tau POSTGRES_APP_USER=tau POSTGRES_APP_PASSWORD="$password" \
  POSTGRES_HOST=127.0.0.1 POSTGRES_PORT="$PG_PORT" \
  "$venv/python" manage.py test --noinput -v 2 "$@"
