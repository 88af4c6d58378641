import { psqlAsSuperuser, requireVars } from './render-app-role';

/** The names of the variables the monitoring role script reads, as the db container has them. */
export interface MonitorRoleModel {
  /** The image's superuser (POSTGRES_USER): the script connects as it. */
  readonly superuser: string;
  /** The app's database (POSTGRES_DB): the role may connect to it, and read nothing of its tables. */
  readonly database: string;
  /** The monitoring role and its password. */
  readonly user: string;
  readonly password: string;
  /** The app's owner role: the monitoring role must be another one. */
  readonly appUser: string;
}

/**
 * `postgres/create-monitor-role.sh`: the role postgres_exporter connects as. It is a member of `pg_monitor`
 * (PostgreSQL's role for reading statistics and settings) and of nothing else: no table of the app is
 * granted to it, and its sessions are read-only by default, so the exporter can read counters and never a
 * row, nor write one. Safe to run again: it creates the role only if it is missing, then sets its password.
 */
export function renderMonitorRoleScript(m: MonitorRoleModel, marker: string): string {
  return `#!/usr/bin/env bash
# ${marker}
# Creates the PostgreSQL role postgres_exporter connects as: a member of pg_monitor (statistics and settings,
# the server's own counters), granted no table of the app, with read-only sessions. Not a superuser.
# The image runs this once, when the data volume is new; for an existing volume, run it in the db container:
#   docker compose exec db /docker-entrypoint-initdb.d/30-create-monitor-role.sh
# Running it again changes nothing but the password.
set -euo pipefail

${requireVars(m.user, m.password)}
if [ "\$${m.user}" = "\$${m.superuser}" ] || [ "\$${m.user}" = "\$${m.appUser}" ]; then
    echo "create-monitor-role: ${m.user} (\\"\$${m.user}\\") must be another role than ${m.superuser} and ${m.appUser}" >&2
    exit 1
fi

${psqlAsSuperuser(m.superuser, m.database, { monitor_user: m.user, monitor_password: m.password, app_database: m.database })}
SELECT format('CREATE ROLE %I', :'monitor_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'monitor_user') \\gexec
ALTER ROLE :"monitor_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'monitor_password';
-- Its sessions start read-only: even a table granted to PUBLIC by mistake cannot be written through it.
ALTER ROLE :"monitor_user" SET default_transaction_read_only = on;
GRANT pg_monitor TO :"monitor_user";
-- The app's database refuses connections to roles it does not name (create-app-role.sh revokes PUBLIC's).
GRANT CONNECT ON DATABASE :"app_database" TO :"monitor_user";
SQL
echo "create-monitor-role: \$${m.user} reads the server's statistics (pg_monitor); no table of \$${m.database} is granted to it"
`;
}
