/** What the entrypoint script is made from. */
export interface EntrypointModel {
  /** The server programs (production's, development's); the one-off steps (migrate, collectstatic) run only before one of them. */
  readonly servers: readonly string[];
  /** Seconds to wait for the database before giving up. */
  readonly databaseTimeoutSeconds: number;
}

/**
 * The web image's entrypoint: waits until PostgreSQL accepts connections (through Django's own
 * connection settings, so no host, port or netcat is needed), migrates and collects static files before
 * the server starts, then `exec`s the command so it runs as PID 1 and receives docker's signals.
 */
export function renderEntrypoint(model: EntrypointModel, marker: string): string {
  return `#!/bin/sh
# ${marker}
# Entrypoint of the web image. Runs the container's command after the database is reachable; before
# the server (${model.servers.join(' or ')}) it also applies migrations and collects static files into the volume.
set -eu

python - <<'PYTHON'
import sys
import time

import django
from django.db import connection
from django.db.utils import OperationalError

django.setup()
deadline = time.monotonic() + ${model.databaseTimeoutSeconds}
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as error:
        if time.monotonic() > deadline:
            sys.exit(f"entrypoint: the database is not reachable after ${model.databaseTimeoutSeconds}s: {error}")
        print("entrypoint: waiting for the database", file=sys.stderr, flush=True)
        time.sleep(1)
PYTHON

case "\${1:-}" in
    ${model.servers.join('|')})
        python manage.py migrate --noinput
        python manage.py collectstatic --noinput
        ;;
esac

exec "$@"
`;
}
