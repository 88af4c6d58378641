import { checkOptionKeys, checkPattern, ManagedFile, optionKeys, Problem } from '../../core';
import { PostgresEnvVars } from '../../django';
import { renderAppRoleScript } from '../../postgres';
import { EnvVar, Healthcheck, ResourceLimits, Service, Volume } from '../../model';
import type { PartScope, StackPart } from './stack-part';

export interface PostgresOptions {
  /**
   * Major version of PostgreSQL. Never change it under an existing data volume without a dump and
   * restore (or pg_upgrade): the server refuses a data directory of another major.
   * @default 17
   */
  readonly version?: number;
  /**
   * Name of the database (POSTGRES_DB's default).
   * @default - the Django project's name in lower case
   */
  readonly database?: string;
  /**
   * Name of the role that owns the app's database and its tables (POSTGRES_APP_USER's default): migrations
   * and the ops/ scripts connect as it. It owns nothing else and is not a superuser.
   * @default - the Django project's name in lower case
   */
  readonly user?: string;
  /**
   * Name of the runtime role web connects as (POSTGRES_WEB_USER's default): it may read and write the rows
   * of the app's tables, and may not create, alter or drop anything, so an SQL injection cannot change the
   * schema or drop a table.
   * @default - the owner's name with `_web` added, e.g. 'tau_web'
   */
  readonly webUser?: string;
  /**
   * Name of the superuser the image creates (POSTGRES_USER's default), used by the db container and the
   * scripts under ops/ only, never by the app.
   * @default 'postgres'
   */
  readonly superuser?: string;
  /**
   * The most the database container may use.
   * @default - 1g, 1 CPU, 256 processes
   */
  readonly limits?: ResourceLimits;
  /**
   * The server's `max_connections`, given to postgres on its command line. Each connection is a server process
   * with its own memory: raise `limits.memory` with it.
   * @default 100 (PostgreSQL's own default)
   */
  readonly maxConnections?: number;
  /**
   * Of maxConnections, those kept out of web's reach: PostgreSQL's 3 for superusers
   * (superuser_reserved_connections), the migrate task, the ops/ scripts and an operator's psql. Web's pools
   * (replicas × workers × connections per worker) must fit in the rest, or synthesis refuses the stack.
   * @default 10
   */
  readonly reservedConnections?: number;
}

export const POSTGRES_OPTION_KEYS = optionKeys<PostgresOptions>()({
  version: true, database: true, user: true, webUser: true, superuser: true, limits: true, maxConnections: true, reservedConnections: true,
});

/** PostgreSQL keeps this many of max_connections for superusers (superuser_reserved_connections' default). */
const SUPERUSER_RESERVED_CONNECTIONS = 3;

/** Majors this stack knows how to run: 15 and later, up to the newest it has been checked against. */
export const POSTGRES_VERSIONS: readonly number[] = [15, 16, 17, 18];

/**
 * A database or role name that needs no quoting anywhere (SQL, a URL, a shell): lowercase, digits and "_",
 * at most 63 bytes (PostgreSQL's NAMEDATALEN - 1). `pg_` names are reserved for the server's own roles.
 */
const IDENTIFIER = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/;

/**
 * Where the data volume goes. The official image keeps its data in /var/lib/postgresql/data up to 17;
 * from 18 on PGDATA is /var/lib/postgresql/<major>/docker and the volume belongs at /var/lib/postgresql
 * (docker-library/postgres#1259). A volume at the old path on 18 is refused at start.
 */
export function postgresDataPath(version: number): string {
  return version >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
}

export function postgresDataNote(version: number): string {
  return version >= 18
    ? `PostgreSQL ${version}: the volume belongs at /var/lib/postgresql (PGDATA is /var/lib/postgresql/${version}/docker)`
    : `PostgreSQL ${version}: PGDATA is /var/lib/postgresql/data (from 18 on, the volume moves to /var/lib/postgresql)`;
}

/**
 * PostgreSQL, as the official `postgres:N` image runs it: the data volume where that major keeps its data,
 * the POSTGRES_* variables it initializes from, and a healthcheck that the app waits for.
 */
export class Postgres implements StackPart {
  /** The app role script in the repository. */
  public static readonly APP_ROLE_SCRIPT = 'postgres/create-app-role.sh';
  /** Where the image runs it: scripts in this directory run once, when the data directory is initialized. */
  public static readonly APP_ROLE_INIT_PATH = '/docker-entrypoint-initdb.d/10-create-app-role.sh';

  public readonly version: number;
  public readonly service: Service;
  public readonly data: Volume;
  /**
   * What the app connects with: the database, its two roles (the owner for migrations, the runtime role for
   * web; neither a superuser) and the server's address.
   */
  public readonly env: PostgresEnvVars;
  /** The image's superuser, for the db container and the ops scripts. */
  public readonly superuserEnv: { readonly user: EnvVar; readonly password: EnvVar };
  /** The script that creates the app's roles: run by the image on a fresh volume, by ops/create-app-role.sh on an existing one. */
  public readonly appRoleScript: ManagedFile;
  /** The server's max_connections. */
  public readonly maxConnections: number;
  /** Of maxConnections, those web's pools must leave free. */
  public readonly reservedConnections: number;
  private readonly options: PostgresOptions;
  private readonly database: string;
  private readonly user: string;
  private readonly webUser: string;
  private readonly superuser: string;

  constructor(stack: PartScope, defaultName: string, options: PostgresOptions = {}) {
    this.options = options;
    this.version = options.version ?? 17;
    this.database = options.database ?? defaultName;
    this.user = options.user ?? defaultName;
    this.webUser = options.webUser ?? `${this.user}_web`;
    this.superuser = options.superuser ?? 'postgres';
    this.maxConnections = options.maxConnections ?? 100;
    this.reservedConnections = options.reservedConnections ?? 10;
    // The database's variables first: the healthcheck names them.
    const name = stack.env.add('POSTGRES_DB', { description: 'Name of the PostgreSQL database', default: this.database });
    const superuser = stack.env.add('POSTGRES_USER', {
      description: 'PostgreSQL superuser, for the db container and the ops/ scripts only (the app connects as POSTGRES_APP_USER or POSTGRES_WEB_USER)', default: this.superuser,
    });
    const superuserPassword = stack.env.add('POSTGRES_PASSWORD', { description: 'Password of the superuser', secret: true, generate: 'password' });
    const user = stack.env.add('POSTGRES_APP_USER', {
      description: 'PostgreSQL role that owns the app\'s database and tables, not a superuser: migrations and the ops/ scripts connect as it', default: this.user,
    });
    const password = stack.env.add('POSTGRES_APP_PASSWORD', { description: 'Password of the owner role', secret: true, generate: 'password' });
    const webUser = stack.env.add('POSTGRES_WEB_USER', {
      description: 'PostgreSQL role web connects as: reads and writes rows, cannot create, alter or drop', default: this.webUser,
    });
    const webPassword = stack.env.add('POSTGRES_WEB_PASSWORD', { description: 'Password of web\'s role', secret: true, generate: 'password' });
    this.superuserEnv = { user: superuser, password: superuserPassword };
    this.data = stack.addVolume('postgres_data', { description: 'PostgreSQL data directory' });
    this.service = stack.addService('db', {
      image: `postgres:${this.version}`,
      // The image's own command, with the connection limit the stack's budget is checked against.
      command: ['postgres', '-c', `max_connections=${this.maxConnections}`],
      port: 5432,
      description: 'PostgreSQL database',
      // -h 127.0.0.1: the TCP listener, up only once the image's init scripts are done. -U/-d: the app's own
      // user and database (without -U, pg_isready logs 'role "root" does not exist').
      healthcheck: Healthcheck.shell(`pg_isready -h 127.0.0.1 -U "${superuser.shellRef}" -d "${name.shellRef}"`),
      // Started as the image's postgres user, with no capability at all: the image's data directory (and so a
      // new volume's first copy of it) already belongs to that user, and its entrypoint skips the chown and
      // the switch from root it would otherwise need CHOWN, DAC_OVERRIDE, FOWNER, SETUID and SETGID for.
      user: 'postgres',
      writablePaths: ['/tmp', '/var/run/postgresql'],
      limits: { memory: '1g', ...options.limits },
    });
    this.env = {
      name, user, password,
      web: { user: webUser, password: webPassword },
      host: stack.env.add('POSTGRES_HOST', { description: 'Host name of the database (the db service)', default: this.service.name }),
      port: stack.env.add('POSTGRES_PORT', { description: 'Port of the database', default: String(this.service.port) }),
    };
    // The db container makes both roles (the role script), so it reads both.
    this.service.reads(name, superuser, superuserPassword, user, password, webUser, webPassword);
    this.service.mount(postgresDataPath(this.version), this.data, { note: postgresDataNote(this.version) });
    this.appRoleScript = new ManagedFile(stack, Postgres.APP_ROLE_SCRIPT, {
      executable: true,
      render: (marker) => renderAppRoleScript({
        superuser: superuser.name, database: name.name, user: user.name, password: password.name, webUser: webUser.name, webPassword: webPassword.name,
      }, marker),
    });
    this.service.mountFile(Postgres.APP_ROLE_SCRIPT, Postgres.APP_ROLE_INIT_PATH, {
      note: 'Creates the app\'s roles when the data volume is new; ops/create-app-role.sh runs it on an existing one',
    });
  }

  public validate(): Problem[] {
    const component = 'postgres';
    const names = 'lowercase letters, digits and "_", starting with a letter or "_", at most 63 characters, not starting with pg_';
    return [
      ...checkOptionKeys(component, this.options, POSTGRES_OPTION_KEYS),
      ...(POSTGRES_VERSIONS.includes(this.version) ? []
        : [{ component, field: 'version', value: this.version, allowed: `one of ${POSTGRES_VERSIONS.join(', ')}` }]),
      ...(Number.isInteger(this.maxConnections) && this.maxConnections >= 20 && this.maxConnections <= 10000 ? []
        : [{ component, field: 'maxConnections', value: this.maxConnections, allowed: 'a whole number from 20 to 10000' }]),
      ...(Number.isInteger(this.reservedConnections) && this.reservedConnections > SUPERUSER_RESERVED_CONNECTIONS && this.reservedConnections < this.maxConnections ? []
        : [{ component, field: 'reservedConnections', value: this.reservedConnections,
          allowed: `a whole number above ${SUPERUSER_RESERVED_CONNECTIONS} (PostgreSQL's superuser_reserved_connections, plus migrate and ops) and below maxConnections (${this.maxConnections})` }]),
      ...checkPattern(component, 'database', this.database, IDENTIFIER, names),
      ...checkPattern(component, 'user', this.user, IDENTIFIER, names),
      ...checkPattern(component, 'webUser', this.webUser, IDENTIFIER, names),
      ...checkPattern(component, 'superuser', this.superuser, IDENTIFIER, names),
      ...(this.user === this.superuser
        ? [{ component, field: 'user', value: this.user, allowed: `a name other than the superuser's ("${this.superuser}"): the app must not connect as a superuser` }]
        : []),
      ...(this.webUser === this.user || this.webUser === this.superuser
        ? [{ component, field: 'webUser', value: this.webUser,
          allowed: `a name other than the owner's ("${this.user}") and the superuser's ("${this.superuser}"): web must not connect as a role that can change the schema` }]
        : []),
    ];
  }
}
