import { checkOptionKeys, checkPattern, ManagedFile, optionKeys, Problem } from '../../core';
import { PostgresEnvVars } from '../../django';
import {
  archiveServerArgs, PGBACKREST_CONF_PATH, renderAppRoleScript, renderDbDockerfile, renderPgbackrestConf, renderStanzaScript,
  WAL_ARCHIVE_DEFAULTS, WalArchiveModel, WalArchiveOptions,
} from '../../postgres';
import { EnvVar, Healthcheck, Image, ResourceLimits, Service, Volume } from '../../model';
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
   * Point-in-time recovery on one host: pgBackRest archives the WAL into a repository on a volume of its own,
   * ops/backup.sh takes base backups there, ops/restore.sh --to-time restores to a moment. `false` turns it
   * off (the nightly dumps of ops/backup.sh remain). The Kubernetes base runs the database without it.
   * @default - on, with 2 full backups kept and WAL archived at least every minute
   */
  readonly archive?: false | WalArchiveOptions;
}

export const POSTGRES_OPTION_KEYS = optionKeys<PostgresOptions>()({ version: true, database: true, user: true, webUser: true, superuser: true, limits: true, archive: true });
const ARCHIVE_OPTION_KEYS = optionKeys<WalArchiveOptions>()({ fullRetention: true, timeout: true });

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

/** The data directory (PGDATA) of the official image of a major. */
export function postgresDataDirectory(version: number): string {
  return version >= 18 ? `/var/lib/postgresql/${version}/docker` : '/var/lib/postgresql/data';
}

/**
 * The db service's WAL archiving, on one host: the image it builds (the official one with pgBackRest), the
 * repository's volume and the files it mounts. A target that cannot build images (the Kubernetes base) runs
 * `baseImage` without the rest.
 */
export interface PostgresArchive {
  readonly model: WalArchiveModel;
  readonly baseImage: Image;
  readonly repository: Volume;
  /** The server's own arguments that turn archiving on. */
  readonly command: readonly string[];
  /** What the repository mounts into db: pgBackRest's settings and the stanza script. */
  readonly files: readonly string[];
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
  /** The files of WAL archiving in the repository, and where the db container has them. */
  public static readonly DB_DOCKERFILE = 'postgres/Dockerfile';
  public static readonly PGBACKREST_CONF = 'postgres/pgbackrest.conf';
  public static readonly STANZA_SCRIPT = 'postgres/pgbackrest-stanza.sh';
  public static readonly STANZA_INIT_PATH = '/docker-entrypoint-initdb.d/20-pgbackrest-stanza.sh';
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
  /** WAL archiving for point-in-time recovery; undefined when turned off. */
  public readonly archive?: PostgresArchive;
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
    const baseImage = Image.fromRegistry(`postgres:${this.version}`);
    const archiveOptions = options.archive === false ? undefined : { ...WAL_ARCHIVE_DEFAULTS, ...options.archive };
    const archive: WalArchiveModel | undefined = archiveOptions && {
      stanza: 'db',
      pgdata: postgresDataDirectory(this.version),
      repository: { kind: 'volume', path: '/var/lib/pgbackrest' },
      fullRetention: archiveOptions.fullRetention,
      timeoutSeconds: archiveOptions.timeout.toSeconds(),
      superuserVar: superuser.name,
    };
    this.service = stack.addService('db', {
      // With archiving, the official image and pgBackRest, built here (postgres/Dockerfile); tagged with the
      // major, so that a new major is a new image, built by the next `up`.
      image: archive ? Image.build({ tag: `${defaultName}-postgres-${this.version}`, context: 'postgres' }) : baseImage,
      ...(archive ? { command: archiveServerArgs(archive) } : {}),
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
    if (archive) {
      new ManagedFile(stack, Postgres.DB_DOCKERFILE, { render: (marker) => renderDbDockerfile(baseImage.ref, archive, marker) });
      new ManagedFile(stack, Postgres.PGBACKREST_CONF, { render: (marker) => renderPgbackrestConf(archive, marker) });
      new ManagedFile(stack, Postgres.STANZA_SCRIPT, { executable: true, render: (marker) => renderStanzaScript(archive, marker) });
      const repository = stack.addVolume('pgbackrest', { description: 'pgBackRest\'s repository: base backups and archived WAL' });
      this.service.mount(archive.repository.path, repository, { note: 'pgBackRest\'s repository: base backups and the archived WAL (docs/OPERATIONS.md)' });
      this.service.mountFile(Postgres.PGBACKREST_CONF, PGBACKREST_CONF_PATH, { note: 'pgBackRest\'s settings' });
      this.service.mountFile(Postgres.STANZA_SCRIPT, Postgres.STANZA_INIT_PATH, { note: 'Registers a new cluster in pgBackRest\'s repository, once, when the data volume is new' });
      this.archive = {
        model: archive, baseImage, repository, command: archiveServerArgs(archive),
        files: [Postgres.PGBACKREST_CONF, Postgres.STANZA_SCRIPT],
      };
    }
  }

  public validate(): Problem[] {
    const component = 'postgres';
    const names = 'lowercase letters, digits and "_", starting with a letter or "_", at most 63 characters, not starting with pg_';
    return [
      ...checkOptionKeys(component, this.options, POSTGRES_OPTION_KEYS),
      ...this.validateArchive(),
      ...(POSTGRES_VERSIONS.includes(this.version) ? []
        : [{ component, field: 'version', value: this.version, allowed: `one of ${POSTGRES_VERSIONS.join(', ')}` }]),
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

  private validateArchive(): Problem[] {
    const archive = this.options.archive;
    if (archive === undefined || archive === false) return [];
    const component = 'postgres.archive';
    const problems = [...checkOptionKeys(component, archive, ARCHIVE_OPTION_KEYS)];
    const retention = archive.fullRetention;
    // pgBackRest's own bounds for repo1-retention-full.
    if (retention !== undefined && !(Number.isInteger(retention) && retention >= 1 && retention <= 9999999)) {
      problems.push({ component, field: 'fullRetention', value: retention, allowed: 'a whole number of full backups from 1 to 9999999 (pgBackRest keeps at least one)' });
    }
    const seconds = archive.timeout?.toMillis();
    // archive_timeout: 0 turns it off (WAL then waits until 16 MB are written); PostgreSQL's limit is INT_MAX/2 seconds.
    if (seconds !== undefined && !(seconds >= 1000 && seconds <= 3600_000)) {
      problems.push({ component, field: 'timeout', value: archive.timeout!.toString(), allowed: 'from 1 second to 1 hour: without it a quiet database keeps its last writes out of the archive until 16 MB of WAL are written' });
    }
    return problems;
  }
}
