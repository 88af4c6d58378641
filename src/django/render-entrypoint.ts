/** What the entrypoint script is made from. */
export interface EntrypointModel {
  /** The command that runs the one-off steps of a deploy (migrate, collectstatic) and exits: the one-shot service's. */
  readonly release: string;
  /** Seconds to wait for the database before giving up. */
  readonly databaseTimeoutSeconds: number;
  /**
   * The longest the migrations wait for a lock (PostgreSQL's lock_timeout) before they fail: an ALTER TABLE
   * that waits behind a long query holds every query that comes after it in the lock's queue, so the site
   * stalls for as long as it waits. Failing rolls the migration back; the deploy retries it.
   */
  readonly migrationLockTimeoutSeconds: number;
}

/**
 * The web image's entrypoint: waits until PostgreSQL accepts connections (through Django's own
 * connection settings, so no host, port or netcat is needed); then either runs the deploy's one-off steps
 * (migrate, collectstatic) for the one-shot service, or `exec`s the command so it runs as PID 1 and
 * receives the engine's signals.
 */
export function renderEntrypoint(model: EntrypointModel, marker: string): string {
  return `#!/bin/sh
# ${marker}
# Entrypoint of the web image. Runs the container's command after the database is reachable; given
# "${model.release}", it applies migrations and collects static files into the volume instead, once per deploy.
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

# The one-off steps of a deploy run once, in the one-shot service whose command is "${model.release}",
# never in each replica of the server: two replicas migrating a fresh database at once collide.
# A migration waits at most ${model.migrationLockTimeoutSeconds}s for a lock (a table a long query reads, say), then fails, rolled back,
# rather than queue every query of that table behind its own wait; the deploy retries it (on Kubernetes,
# the Job's next attempt). No statement_timeout: the migrations may take as long as they need.
if [ "\${1:-}" = "${model.release}" ]; then
    PGOPTIONS="-c lock_timeout=${model.migrationLockTimeoutSeconds * 1000}" python manage.py migrate --noinput
    python manage.py collectstatic --noinput
    exit 0
fi

exec "$@"
`;
}
