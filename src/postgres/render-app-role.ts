/** The names of the variables the app role script reads, as the db container has them. */
export interface AppRoleModel {
  /** The image's superuser (POSTGRES_USER): the script connects as it. */
  readonly superuser: string;
  /** The app's database (POSTGRES_DB). */
  readonly database: string;
  /** The role that owns the database (migrations, ops/) and its password. */
  readonly user: string;
  readonly password: string;
  /** The runtime role web connects as, and its password. */
  readonly webUser: string;
  readonly webPassword: string;
}

/**
 * `postgres/create-app-role.sh`: makes the app's two roles, neither with any of the superuser's powers (no
 * COPY ... PROGRAM, no reading the server's files, no other databases). The owner owns the app's database
 * and what is in its public schema: migrations need that. The runtime role, which web connects as, may
 * only read and write rows: no CREATE, ALTER, DROP or TRUNCATE, so an SQL injection through the app cannot
 * change the schema or drop a table. Default privileges give it the same rights on the tables later
 * migrations create. Safe to run again: it creates a role only if it is missing, then sets the passwords
 * and attributes, hands the owner the database's objects and grants the runtime role its rights.
 */
export function renderAppRoleScript(m: AppRoleModel, marker: string): string {
  return `#!/usr/bin/env bash
# ${marker}
# Creates the PostgreSQL roles of the app, neither a superuser, so that SQL run through the app can never
# run programs or read files on the server:
#   - ${m.user} owns the app's database (${m.database}) and what is in it: migrations and ops/ connect as it;
#   - ${m.webUser}, which web connects as, may read and write rows and nothing more: no CREATE, ALTER,
#     DROP or TRUNCATE, so an SQL injection cannot change the schema or drop a table. Default privileges
#     give it the same on the tables and sequences later migrations create.
# The image runs this once, when the data volume is new; for an existing volume, ops/create-app-role.sh
# runs it in the db container. Running it again changes nothing but the passwords.
set -euo pipefail

${requireVars(m.user, m.password, m.webUser, m.webPassword)}
if [ "\$${m.user}" = "\$${m.superuser}" ]; then
    echo "create-app-role: ${m.user} and ${m.superuser} are both \\"\$${m.user}\\"; the app's role must be another role than the superuser" >&2
    exit 1
fi
if [ "\$${m.webUser}" = "\$${m.user}" ] || [ "\$${m.webUser}" = "\$${m.superuser}" ]; then
    echo "create-app-role: ${m.webUser} (\\"\$${m.webUser}\\") must be another role than ${m.user} and ${m.superuser}: web must not connect as a role that can change the schema" >&2
    exit 1
fi

${psqlAsSuperuser(m.superuser, m.database, { app_user: m.user, app_password: m.password, web_user: m.webUser, web_password: m.webPassword, app_database: m.database })}
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
-- Only the app's roles (and superusers) may connect to its database, and nobody but the owner may create
-- in its schema (PostgreSQL 15 and later grant no CREATE there; a database made earlier may still do).
-- Without TEMPORARY (revoked from PUBLIC with the rest), web cannot create temporary tables either.
REVOKE ALL ON DATABASE :"app_database" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- web's role: rows only. Nothing it is given lets it create, alter, drop or truncate.
SELECT format('CREATE ROLE %I', :'web_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'web_user') \\gexec
ALTER ROLE :"web_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'web_password';
GRANT CONNECT ON DATABASE :"app_database" TO :"web_user";
GRANT USAGE ON SCHEMA public TO :"web_user";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"web_user";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"web_user";
-- Tables and sequences the owner creates later (each migration) come with the same rights.
ALTER DEFAULT PRIVILEGES FOR ROLE :"app_user" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"web_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"app_user" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"web_user";
SQL
echo "create-app-role: \$${m.user} owns \$${m.database}; \$${m.webUser} reads and writes its rows; neither is a superuser"
`;
}

/** Shell lines that stop a script whose variables are unset or empty. */
export function requireVars(...names: string[]): string {
  return names.map((n) => `: "\${${n}:?${n} must be set (see .env.example)}"`).join('\n');
}

/**
 * psql as the image's superuser on the app's database, reading the here-document that follows (up to a
 * line SQL), with each of `vars` (psql variable: environment variable) set from the environment.
 */
export function psqlAsSuperuser(superuser: string, database: string, vars: Record<string, string>): string {
  return [
    '# The values reach psql through its environment (\\getenv), never on a command line.',
    `psql -v ON_ERROR_STOP=1 --no-psqlrc --username "\$${superuser}" --dbname "\$${database}" <<'SQL'`,
    ...Object.entries(vars).map(([v, env]) => `\\getenv ${v} ${env}`),
  ].join('\n');
}
