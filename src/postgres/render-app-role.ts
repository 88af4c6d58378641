/** The names of the variables the app role script reads, as the db container has them. */
export interface AppRoleModel {
  /** The image's superuser (POSTGRES_USER): the script connects as it. */
  readonly superuser: string;
  /** The app's database (POSTGRES_DB). */
  readonly database: string;
  /** The app's role and its password. */
  readonly user: string;
  readonly password: string;
}

/**
 * `postgres/create-app-role.sh`: makes the role the app connects as, an owner of the app's database and
 * of what is in its public schema, without any of the superuser's powers (no COPY ... PROGRAM, no reading
 * the server's files, no other databases). Safe to run again: it creates the role only if it is missing,
 * then sets its password and attributes and hands it the database's objects.
 */
export function renderAppRoleScript(m: AppRoleModel, marker: string): string {
  return `#!/usr/bin/env bash
# ${marker}
# Creates the PostgreSQL role the app connects as (${m.user}): it owns the app's database (${m.database}) and
# what is in it, and is not a superuser, so that SQL run through the app can never run programs or read
# files on the server. The image runs this once, when the data volume is new; for an existing volume,
# ops/create-app-role.sh runs it in the db container. Running it again changes nothing but the password.
set -euo pipefail

: "\${${m.user}:?${m.user} must be set (see .env.example)}"
: "\${${m.password}:?${m.password} must be set (see .env.example)}"
if [ "\$${m.user}" = "\$${m.superuser}" ]; then
    echo "create-app-role: ${m.user} and ${m.superuser} are both \\"\$${m.user}\\"; the app's role must be another role than the superuser" >&2
    exit 1
fi

# The values reach psql through its environment (\\getenv), never on a command line.
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "\$${m.superuser}" --dbname "\$${m.database}" <<'SQL'
\\getenv app_user ${m.user}
\\getenv app_password ${m.password}
\\getenv app_database ${m.database}
SELECT format('CREATE ROLE %I', :'app_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \\gexec
ALTER ROLE :"app_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_password';
ALTER DATABASE :"app_database" OWNER TO :"app_user";
ALTER SCHEMA public OWNER TO :"app_user";
-- An existing database: its tables (with the sequences they own), views and free-standing sequences.
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'app_user') FROM pg_tables WHERE schemaname = 'public' \\gexec
SELECT format('ALTER VIEW public.%I OWNER TO %I', viewname, :'app_user') FROM pg_views WHERE schemaname = 'public' \\gexec
SELECT format('ALTER SEQUENCE public.%I OWNER TO %I', c.relname, :'app_user')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind = 'S'
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) \\gexec
-- Only the app's role (and superusers) may connect to its database.
REVOKE ALL ON DATABASE :"app_database" FROM PUBLIC;
SQL
echo "create-app-role: \$${m.user} owns \$${m.database} and is not a superuser"
`;
}
