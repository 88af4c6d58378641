import { X509Certificate } from 'crypto';
import { existsSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { Project } from 'projen';
import { checkOptionKeys, checkPattern, checkPort, ManagedFile, optionKeys, Problem } from '../../core';
import { PostgresEnvVars, PostgresTls } from '../../django';
import { HOST_NAME } from '../../nginx';
import {
  archiveServerArgs, PGBACKREST_CONF_PATH, renderAppRoleScript, renderDbDockerfile, renderPgbackrestConf, renderStanzaScript,
  WAL_ARCHIVE_DEFAULTS, WalArchiveModel, WalArchiveOptions,
} from '../../postgres';
import { EnvVar, Healthcheck, Image, ResourceLimits, Service, ServiceRole, Volume } from '../../model';
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
   * with its own memory: raise `limits.memory` with it. With `external`, the provider's setting: the stack does
   * not set it, but checks web's pools against it.
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
  /**
   * A PostgreSQL the stack does not run (a managed database, a server of its own): no db service, volume or
   * role script, and the app's connections encrypted and the server's certificate verified.
   * @default - the stack runs PostgreSQL itself (the db service)
   */
  readonly external?: ExternalPostgresOptions;
  /**
   * Point-in-time recovery on one host: pgBackRest archives the WAL into a repository on a volume of its own,
   * ops/backup.sh takes base backups there, ops/restore.sh --to-time restores to a moment. `false` turns it
   * off (the nightly dumps of ops/backup.sh remain). The Kubernetes base runs the database without it.
   * @default - on, with 2 full backups kept and WAL archived at least every minute
   */
  readonly archive?: false | WalArchiveOptions;
}

/** How the app reaches a PostgreSQL outside the stack. */
export interface ExternalPostgresOptions {
  /**
   * Its host name: POSTGRES_HOST's default. With `sslMode: 'verify-full'` the server's certificate must name it.
   * @default - none: POSTGRES_HOST must be set in .env (or the Kubernetes ConfigMap)
   * @example 'tau.abc123.eu-west-1.rds.amazonaws.com'
   */
  readonly host?: string;
  /**
   * Its port: POSTGRES_PORT's default.
   * @default 5432
   */
  readonly port?: number;
  /**
   * The CA certificate (PEM) that signed the server's certificate, as a path in the repository: mounted
   * read-only into web and migrate (a ConfigMap on Kubernetes). Your provider publishes it (RDS: the region's
   * bundle; Cloud SQL: the instance's server CA).
   * @example 'postgres/rds-eu-west-1-bundle.pem'
   */
  readonly caFile?: string;
  /**
   * libpq's sslmode. `verify-full` checks the certificate's CA and that it names the host; anything weaker
   * lets a machine on the path pose as the database, so it is taken only when written here.
   * @default 'verify-full'
   */
  readonly sslMode?: PostgresTls['sslMode'];
}

export const POSTGRES_OPTION_KEYS = optionKeys<PostgresOptions>()({
  version: true, database: true, user: true, webUser: true, superuser: true, limits: true, external: true,
  maxConnections: true, reservedConnections: true, archive: true,
});
const ARCHIVE_OPTION_KEYS = optionKeys<WalArchiveOptions>()({ fullRetention: true, timeout: true });
export const EXTERNAL_POSTGRES_OPTION_KEYS = optionKeys<ExternalPostgresOptions>()({ host: true, port: true, caFile: true, sslMode: true });
/** The sslmodes that encrypt: those below verify-full only when asked (disable, allow and prefer may send in clear). */
export const POSTGRES_SSL_MODES: readonly PostgresTls['sslMode'][] = ['verify-full', 'verify-ca', 'require'];
/** The options that describe a server the stack runs: meaningless, so refused, for an external one. */
const OWN_SERVER_OPTIONS = ['version', 'superuser', 'limits', 'archive'] as const;

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
  /** The db service's command without them (where the repository is not mounted: a cluster's db). */
  readonly commandWithoutArchive: readonly string[];
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
  /** Where the web image's containers find an external database's CA certificate (sslrootcert). */
  public static readonly CA_PATH = '/etc/postgresql-ca/root.crt';

  public readonly version: number;
  /** The db service; undefined when the database is external. */
  public readonly service?: Service;
  /** The db service is the stack's database. */
  public get roles(): readonly (readonly [Service, ServiceRole])[] {
    return this.service ? [[this.service, 'database']] : [];
  }
  /** Its data volume; undefined when the database is external. */
  public readonly data?: Volume;
  /**
   * What the app connects with: the database, its two roles (the owner for migrations, the runtime role for
   * web; neither a superuser), the server's address and, for an external one, TLS.
   */
  public readonly env: PostgresEnvVars;
  /** The image's superuser, for the db container and the ops scripts; undefined when the database is external. */
  public readonly superuserEnv?: { readonly user: EnvVar; readonly password: EnvVar };
  /** The script that creates the app's roles: run by the image on a fresh volume, by ops/create-app-role.sh on an existing one. */
  public readonly appRoleScript?: ManagedFile;
  /** The database outside the stack, as given; undefined when the stack runs its own. */
  public readonly external?: ExternalPostgresOptions;
  /** The server's max_connections. */
  public readonly maxConnections: number;
  /** Of maxConnections, those web's pools must leave free. */
  public readonly reservedConnections: number;
  /** WAL archiving for point-in-time recovery; undefined when turned off or the database is external. */
  public readonly archive?: PostgresArchive;
  private readonly options: PostgresOptions;
  private readonly database: string;
  private readonly user: string;
  private readonly webUser: string;
  private readonly superuser: string;
  private readonly outdir: string;

  constructor(stack: PartScope, defaultName: string, options: PostgresOptions = {}) {
    this.options = options;
    this.outdir = Project.of(stack).outdir;
    this.version = options.version ?? 17;
    this.database = options.database ?? defaultName;
    this.user = options.user ?? defaultName;
    this.webUser = options.webUser ?? `${this.user}_web`;
    this.superuser = options.superuser ?? 'postgres';
    this.external = options.external;
    this.maxConnections = options.maxConnections ?? 100;
    this.reservedConnections = options.reservedConnections ?? 10;
    // The database's variables first: the healthcheck names them.
    const name = stack.env.add('POSTGRES_DB', { description: 'Name of the PostgreSQL database', default: this.database });
    const superuser = this.external ? undefined : stack.env.add('POSTGRES_USER', {
      description: 'PostgreSQL superuser, for the db container and the ops/ scripts only (the app connects as POSTGRES_APP_USER or POSTGRES_WEB_USER)', default: this.superuser,
    });
    const superuserPassword = this.external ? undefined : stack.env.add('POSTGRES_PASSWORD', { description: 'Password of the superuser', secret: true, generate: 'password' });
    const user = stack.env.add('POSTGRES_APP_USER', {
      description: 'PostgreSQL role that owns the app\'s database and tables, not a superuser: migrations and the ops/ scripts connect as it', default: this.user,
    });
    const password = stack.env.add('POSTGRES_APP_PASSWORD', { description: 'Password of the owner role', secret: true, generate: 'password' });
    const webUser = stack.env.add('POSTGRES_WEB_USER', {
      description: 'PostgreSQL role web connects as: reads and writes rows, cannot create, alter or drop', default: this.webUser,
    });
    const webPassword = stack.env.add('POSTGRES_WEB_PASSWORD', { description: 'Password of web\'s role', secret: true, generate: 'password' });
    if (this.external) {
      const external = this.external;
      const sslMode = external.sslMode ?? 'verify-full';
      this.env = {
        name, user, password,
        web: { user: webUser, password: webPassword },
        host: stack.env.add('POSTGRES_HOST', {
          description: sslMode === 'verify-full' ? 'Host name of the external database: its certificate must name it (sslmode verify-full)' : 'Host name of the external database',
          default: external.host,
        }),
        port: stack.env.add('POSTGRES_PORT', { description: 'Port of the external database', default: String(external.port ?? 5432) }),
        tls: { sslMode, rootCert: external.caFile === undefined ? undefined : Postgres.CA_PATH },
      };
      return;
    }
    this.superuserEnv = { user: superuser!, password: superuserPassword! };
    this.data = stack.addVolume('postgres_data', { description: 'PostgreSQL data directory' });
    const baseImage = Image.fromRegistry(`postgres:${this.version}`);
    const connectionArgs = ['-c', `max_connections=${this.maxConnections}`];
    const archiveOptions = options.archive === false ? undefined : { ...WAL_ARCHIVE_DEFAULTS, ...options.archive };
    const archive: WalArchiveModel | undefined = archiveOptions && {
      stanza: 'db',
      pgdata: postgresDataDirectory(this.version),
      repository: { kind: 'volume', path: '/var/lib/pgbackrest' },
      fullRetention: archiveOptions.fullRetention,
      timeoutSeconds: archiveOptions.timeout.toSeconds(),
      superuserVar: superuser!.name,
    };
    const service = this.service = stack.addService('db', {
      // With archiving, the official image and pgBackRest, built here (postgres/Dockerfile); tagged with the
      // major, so that a new major is a new image, built by the next `up`.
      image: archive ? Image.build({ tag: `${defaultName}-postgres-${this.version}`, context: 'postgres' }) : baseImage,
      // The image's own command (with WAL archiving's settings), and the connection limit the stack's budget is
      // checked against.
      command: [...(archive ? archiveServerArgs(archive) : ['postgres']), ...connectionArgs],
      port: 5432,
      description: 'PostgreSQL database',
      // -h 127.0.0.1: the TCP listener, up only once the image's init scripts are done. -U/-d: the app's own
      // user and database (without -U, pg_isready logs 'role "root" does not exist').
      healthcheck: Healthcheck.shell(`pg_isready -h 127.0.0.1 -U "${superuser!.shellRef}" -d "${name.shellRef}"`),
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
      host: stack.env.add('POSTGRES_HOST', { description: 'Host name of the database (the db service)', default: service.name }),
      port: stack.env.add('POSTGRES_PORT', { description: 'Port of the database', default: String(service.port) }),
    };
    // The db container makes both roles (the role script), so it reads both.
    service.reads(name, superuser!, superuserPassword!, user, password, webUser, webPassword);
    service.mount(postgresDataPath(this.version), this.data, { note: postgresDataNote(this.version) });
    this.appRoleScript = new ManagedFile(stack, Postgres.APP_ROLE_SCRIPT, {
      executable: true,
      render: (marker) => renderAppRoleScript({
        superuser: superuser!.name, database: name.name, user: user.name, password: password.name, webUser: webUser.name, webPassword: webPassword.name,
      }, marker),
    });
    service.mountFile(Postgres.APP_ROLE_SCRIPT, Postgres.APP_ROLE_INIT_PATH, {
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
        model: archive, baseImage, repository, command: archiveServerArgs(archive), commandWithoutArchive: ['postgres', ...connectionArgs],
        files: [Postgres.PGBACKREST_CONF, Postgres.STANZA_SCRIPT],
      };
    }
  }

  /**
   * Gives `services` (those of the web image: web, migrate) what an external database needs: its CA
   * certificate, read-only at the path the settings name. Nothing for the stack's own database. The stack's
   * `connectToDatabase` calls it, with the network.
   */
  public connect(...services: Service[]): void {
    const caFile = this.external?.caFile;
    if (caFile === undefined || this.env.tls?.rootCert === undefined) return;
    for (const s of services.filter((x) => !x.fileMounts.some((m) => m.path === this.env.tls?.rootCert))) s.mountFile(caFile, this.env.tls.rootCert, { note: 'The CA that signed the external database\'s certificate (sslrootcert)' });
  }

  public validate(): Problem[] {
    const component = 'postgres';
    const names = 'lowercase letters, digits and "_", starting with a letter or "_", at most 63 characters, not starting with pg_';
    return [
      ...checkOptionKeys(component, this.options, POSTGRES_OPTION_KEYS),
      ...this.validateArchive(),
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
      ...this.validateExternal(),
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

  /** An external database: where it is, how it is verified, and no option of a server the stack would run. */
  private validateExternal(): Problem[] {
    const external = this.external;
    if (external === undefined) return [];
    const component = 'postgres.external';
    if (typeof external !== 'object' || external === null) {
      return [{ component: 'postgres', field: 'external', value: external, allowed: 'an object: { caFile, host?, port?, sslMode? }' }];
    }
    const problems: Problem[] = [
      ...checkOptionKeys(component, external, EXTERNAL_POSTGRES_OPTION_KEYS),
      ...OWN_SERVER_OPTIONS.filter((key) => this.options[key] !== undefined).map((key) => ({
        component: 'postgres', field: key, value: this.options[key] as unknown,
        allowed: 'no value with postgres.external: the stack runs no PostgreSQL server of its own (the provider sets its version, roles and resources)',
      })),
    ];
    if (external.host !== undefined && (typeof external.host !== 'string' || !HOST_NAME.test(external.host) || external.host.startsWith('.'))) {
      problems.push({ component, field: 'host', value: external.host, allowed: 'a host name or an IPv4 address, such as tau.abc123.eu-west-1.rds.amazonaws.com' });
    }
    if (external.port !== undefined) problems.push(...checkPort(component, 'port', external.port));
    const sslMode = external.sslMode ?? 'verify-full';
    if (!POSTGRES_SSL_MODES.includes(sslMode)) {
      problems.push({ component, field: 'sslMode', value: sslMode,
        allowed: `one of ${POSTGRES_SSL_MODES.map((m) => `"${m}"`).join(', ')} (disable, allow and prefer may send passwords and rows in clear)` });
    }
    const verifies = sslMode === 'verify-full' || sslMode === 'verify-ca';
    if (external.caFile === undefined) {
      if (verifies) {
        problems.push({ component, field: 'caFile', value: undefined,
          allowed: `the path, in the repository, of the CA certificate (PEM) that signed the database's certificate: sslmode ${sslMode} verifies the server with it` });
      }
    } else if (sslMode === 'require') {
      problems.push({ component, field: 'caFile', value: external.caFile,
        allowed: 'no CA file with sslMode "require", which verifies nothing (libpq would verify the CA after all): say sslMode "verify-full" or "verify-ca"' });
    } else {
      problems.push(...checkCaFile(component, external.caFile, this.outdir));
    }
    return problems;
  }
}

/** A CA file for sslrootcert: a path in the repository, of a file that holds PEM certificates only, each one a CA's. */
function checkCaFile(component: string, caFile: string, outdir: string): Problem[] {
  const field = 'caFile';
  if (typeof caFile !== 'string' || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(caFile) || caFile.split('/').includes('..')) {
    return [{ component, field, value: caFile, allowed: 'a path inside the repository, of letters, digits, ".", "_", "-" and "/", without ".." (it is mounted into the containers)' }];
  }
  const path = join(outdir, caFile);
  if (!existsSync(path) || !statSync(path).isFile()) return [{ component, field, value: caFile, allowed: `a file that exists (${path} does not)` }];
  const text = readFileSync(path, 'utf-8');
  const blocks = text.match(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g) ?? [];
  const certificates = blocks.filter((b) => b.startsWith('-----BEGIN CERTIFICATE-----'));
  if (certificates.length === 0 || certificates.length !== blocks.length) {
    return [{ component, field, value: caFile,
      allowed: `a PEM file of CA certificates only (-----BEGIN CERTIFICATE-----); ${path} holds ${blocks.length ? blocks.map((b) => /BEGIN ([A-Z0-9 ]+)/.exec(b)![1]).join(', ') : 'no PEM block'}` }];
  }
  for (const pem of certificates) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch (e) {
      return [{ component, field, value: caFile, allowed: `a PEM file of certificates that parse (${(e as Error).message})` }];
    }
    if (!certificate.ca) {
      return [{ component, field, value: caFile,
        allowed: `the certificate of a CA (basicConstraints CA:TRUE), not a server's: ${caFile} holds "${certificate.subject.replace(/\n/g, ', ')}"` }];
    }
  }
  return [];
}
