import { posix } from 'path';
import { Project } from 'projen';
import { checkDurationValue, checkOptionKeys, checkPattern, Duration, ManagedFile, optionKeys, Problem } from '../../core';
import {
  DatabasePool, DatabasePoolOptions, DjangoEnvVars, GUNICORN_CONFIG_FILE, gunicornCommand, MediaOptions, metricsDirectory, PostgresEnvVars, S3Media, TRANSACTION_POOLER_VARIABLE,
  validateMediaOptions, renderEntrypoint, renderGunicornConfig, renderRequirements, renderSettingsModule, Requirements,
  RequirementsLock, RequirementsLockOptions, Tls, TlsOptions, TLS_OPTION_KEYS,
} from '../../django';
import { DockerfileFile, PYTHON_IMAGE_OPTION_KEYS, PythonImage, PythonImageOptions } from '../../docker';
import { DevelopmentOverride, EnvVar, Healthcheck, Image, ResourceLimits, Service, ServiceRole } from '../../model';
import { ServedFiles } from '../../nginx';
import { ImageSbom, SbomOptions } from '../../sbom';
import type { PartScope, StackPart } from './stack-part';

export interface DjangoOptions {
  /**
   * The Django project package (the folder holding settings.py, asgi.py).
   * @example 'Tau'
   */
  readonly project: string;
  /**
   * The app's own Python dependencies, pinned; the production server's are added to requirements.txt.
   * @example ['Django~=5.2.0', 'graphene-django~=3.2.3']
   */
  readonly requirements: string[];
  /**
   * The hash-locked dependency set the image installs, made from requirements.txt by `npx projen lock`.
   * @default - requirements.lock, universal from Python 3.11
   */
  readonly lock?: RequirementsLockOptions;
  /**
   * The web image's CycloneDX SBOM (its base images and the locked packages with their hashes), written by
   * `npx projen sbom` and at the end of `npx projen lock`.
   * @default - sbom.cdx.json
   */
  readonly sbom?: SbomOptions;
  /**
   * How the web image is built.
   * @default - python:3.12-slim, user app, code in /app
   */
  readonly image?: PythonImageOptions;
  /**
   * Path of the health endpoint: 200 when the database answers, 503 otherwise.
   * @default '/healthz'
   */
  readonly healthPath?: string;
}

export interface WebOptions {
  /**
   * Port Gunicorn listens on inside the stack; nginx proxies to it.
   * @default 8000
   */
  readonly port?: number;
  /**
   * Number of Uvicorn workers (WEB_CONCURRENCY's default). Two per core is a common start.
   * @default 2
   */
  readonly workers?: number;
  /**
   * The longest a request may take. One value for everything that must agree on it: nginx waits this long
   * for a response, Gunicorn's graceful stop lets requests in flight finish for this long (and takes a
   * worker silent for longer as hung), and the platform waits 5 s more before it kills a stopping web.
   * @default Duration.seconds(30)
   */
  readonly requestTimeout?: Duration;
  /**
   * The most each web container (each replica) and the release task may use. Raise `cpus` with `workers`.
   * @default - 1g, 1 CPU, 256 processes
   */
  readonly limits?: ResourceLimits;
  /**
   * Django's connection pool (psycopg 3) in each worker process, or `false` for a new connection per request.
   * The connections web may hold, replicas × workers × (maxSize + 1 for the health check's own), must fit in
   * the database's `postgres.maxConnections` less `postgres.reservedConnections`: synthesis refuses more.
   * @default - on: 1 to 2 connections per worker, a request waits at most web.requestTimeout for one
   */
  readonly databasePool?: boolean | DatabasePoolOptions;
  /**
   * The port Gunicorn binds besides `port`, where the app answers /metrics (Prometheus' format, summed
   * across workers) and nothing else. No port is published for it and nginx never proxies to it: only
   * what runs inside the stack (Prometheus) reaches it.
   * @default 9000
   */
  readonly metricsPort?: number;
}

export interface FilesOptions {
  /**
   * URL prefix.
   * @default '/static/' for static files, '/media/' for media
   */
  readonly url?: string;
  /**
   * Where the web service mounts the volume (STATIC_ROOT / MEDIA_ROOT).
   * @default '<workdir>/staticfiles', '<workdir>/mediafiles'
   */
  readonly path?: string;
}

export const DJANGO_OPTION_KEYS = optionKeys<DjangoOptions>()({ project: true, requirements: true, lock: true, sbom: true, image: true, healthPath: true });
export const WEB_OPTION_KEYS = optionKeys<WebOptions>()({ port: true, workers: true, requestTimeout: true, limits: true, databasePool: true, metricsPort: true });
export const FILES_OPTION_KEYS = optionKeys<FilesOptions>()({ url: true, path: true });
const LOCK_OPTION_KEYS = optionKeys<RequirementsLockOptions>()({ file: true, python: true });
const SBOM_OPTION_KEYS = optionKeys<SbomOptions>()({ file: true });

/**
 * The longest a migration waits for a table's lock. Behind a waiting ALTER TABLE every query of the table
 * queues; 5 s of that is a slow page, not an outage, and a migration that cannot get its lock in 5 s fails,
 * rolled back, to be retried (docs/KUBERNETES.md, docs/OPERATIONS.md).
 */
export const MIGRATION_LOCK_TIMEOUT_SECONDS = 5;

/** The command the one-shot service gives the entrypoint: migrate and collectstatic, then exit. */
const RELEASE_COMMAND = 'release';

/** What the Django app is declared with: its own options and what the rest of the stack tells it. */
export interface DjangoAppProps {
  readonly django: DjangoOptions;
  readonly web?: WebOptions;
  readonly staticFiles?: FilesOptions;
  readonly mediaFiles?: FilesOptions;
  readonly media?: MediaOptions;
  readonly tls?: boolean | TlsOptions;
  /** The database it connects to. */
  readonly database: PostgresEnvVars;
  /** The stack's database service, which web and migrate wait for; undefined for a database outside the stack. */
  readonly db?: Service;
  /** The port clients reach the site on, for the default trusted origins. */
  readonly publicPort: number;
  /** The port clients reach HTTPS on, when nginx serves it. */
  readonly httpsPublicPort: number;
  /** The host names clients reach the site by: the default allowed hosts and trusted origins. */
  readonly hosts: readonly string[];
  /** The env file's committed example, and the other generated files that share the settings' names and paths. */
  readonly files: { readonly envExample: string; readonly others: readonly string[] };
}

/**
 * The Django app: the web image (Dockerfile, dependencies and their lock, entrypoint), the web service that
 * runs it under Gunicorn with Uvicorn workers, its settings module and the variables it reads, and the
 * static and media files it writes for nginx to serve.
 */
export class DjangoApp implements StackPart {
  public readonly project: string;
  public readonly image: PythonImage;
  public readonly requirements: Requirements;
  public readonly lock: RequirementsLock;
  public readonly sbom: ImageSbom;
  public readonly healthPath: string;
  public readonly tls?: Tls;
  public readonly service: Service;
  /** web is the app's server; the release task is a task by its `runs`. */
  public get roles(): readonly (readonly [Service, ServiceRole])[] {
    return [[this.service, 'web']];
  }
  /** The one-shot service that migrates and collects static files, once per deploy, before web starts. */
  public readonly release: Service;
  public readonly requestTimeout: Duration;
  /** The connection pool of each worker process; undefined when web opens a connection per request. */
  public readonly databasePool?: DatabasePool;
  /** Where the app answers /metrics: a second address of Gunicorn, inside the stack only. */
  public readonly metricsPort: number;
  /** The path of the metrics on the metrics port; nginx refuses it to clients. */
  public readonly metricsPath = '/metrics';
  public readonly staticFiles: ServedFiles;
  /** Uploads on a volume, served by nginx; undefined when they are in a bucket (`s3Media`). */
  public readonly mediaFiles?: ServedFiles;
  /** Uploads in an S3 bucket; undefined when they are on a volume (`mediaFiles`). */
  public readonly s3Media?: S3Media;
  public readonly env: DjangoEnvVars;
  public readonly dockerfile: DockerfileFile;
  public readonly files: readonly ManagedFile[];
  private readonly workers: number;
  /** Whether some target puts a pooler in transaction mode between web and PostgreSQL (connectsThroughTransactionPooler). */
  private transactionPooler = false;
  private readonly webConcurrency: EnvVar;
  private readonly props: DjangoAppProps;

  constructor(stack: PartScope, props: DjangoAppProps) {
    this.props = props;
    const django = props.django;
    this.project = django.project;
    this.image = new PythonImage(django.image);
    this.requirements = new Requirements(django.requirements ?? [], props.media?.storage === 's3' ? S3Media.REQUIREMENTS : []);
    this.lock = new RequirementsLock(django.lock);
    this.sbom = new ImageSbom(django.sbom);
    this.healthPath = django.healthPath ?? '/healthz';
    this.tls = props.tls === true ? new Tls() : props.tls ? new Tls(props.tls) : undefined;
    this.workers = props.web?.workers ?? 2;
    this.requestTimeout = props.web?.requestTimeout ?? Duration.seconds(30);
    const pool = props.web?.databasePool ?? true;
    if (pool !== false) this.databasePool = new DatabasePool(pool === true ? {} : pool, this.requestTimeout);
    this.metricsPort = props.web?.metricsPort ?? 9000;
    const lower = String(this.project).toLowerCase();
    const workdir = this.image.workdir;
    const port = props.web?.port ?? 8000;
    // Browsers send the page's origin: https when the site has TLS (at the proxy in front, or at nginx).
    const [scheme, publicPort, usual] = this.tls ? ['https', this.tls.terminatesAtNginx ? props.httpsPublicPort : 443, 443] : ['http', props.publicPort, 80];
    const origin = (host: string) => `${scheme}://${host}${publicPort === usual ? '' : `:${publicPort}`}`;

    const staticVolume = stack.addVolume('static_volume', { description: 'Static files collected by collectstatic' });
    this.staticFiles = new ServedFiles('static', { url: props.staticFiles?.url ?? '/static/', volume: staticVolume, maxAge: '30d' });
    // Uploads in a bucket need no volume: web reaches the bucket over the network, and browsers download
    // from it with the URLs web signs.
    if (props.media?.storage === 's3') {
      this.s3Media = new S3Media(props.media, (name, options) => stack.env.add(name, options));
    } else {
      const mediaVolume = stack.addVolume('media_volume', { description: 'Files uploaded by users' });
      this.mediaFiles = new ServedFiles('media', { url: props.mediaFiles?.url ?? '/media/', volume: mediaVolume, userContent: true });
    }

    this.env = {
      secretKey: stack.env.add('DJANGO_SECRET_KEY', { description: 'Django SECRET_KEY: signs sessions and tokens', secret: true, generate: 'django-secret-key' }),
      debug: stack.env.add('DJANGO_DEBUG', { description: 'Django DEBUG: 1/true/yes/on or 0/false/no/off; never on in production', default: '0' }),
      allowedHosts: stack.env.add('DJANGO_ALLOWED_HOSTS', { description: 'Comma-separated host names the site answers to (ALLOWED_HOSTS)', default: props.hosts.join(',') }),
      csrfTrustedOrigins: stack.env.add('DJANGO_CSRF_TRUSTED_ORIGINS', {
        description: 'Comma-separated origins, with scheme, trusted for unsafe requests (CSRF_TRUSTED_ORIGINS)',
        default: props.hosts.map(origin).join(','),
      }),
    };
    this.webConcurrency = stack.env.add('WEB_CONCURRENCY', { description: 'Number of Gunicorn workers', default: String(this.workers) });
    const forwardedAllowIps = stack.env.add('FORWARDED_ALLOW_IPS', {
      description: 'Gunicorn trusts X-Forwarded-For/-Proto from these addresses: web publishes no port, and nginx, its one peer on the front network, replaces both headers on every request',
      value: '*',
    });

    // libpq reads PGOPTIONS: PostgreSQL cancels any query of web's that outlives a request. The release task
    // (migrations) does not read it and has no such limit.
    const statementTimeout = stack.env.add('PGOPTIONS', {
      description: `PostgreSQL cancels a query of web's that runs longer than a request may take (web.requestTimeout, ${this.requestTimeout.toSeconds()}s)`,
      value: `-c statement_timeout=${this.requestTimeout.toSeconds() * 1000}`,
    });

    const image = Image.build({ tag: `${lower}-web` });
    // The code is read-only in the image; the app writes only to its volumes and /tmp (Gunicorn's worker heartbeat files).
    const limits = { memory: '1g', ...props.web?.limits };
    // Migrations and collectstatic, once per deploy, on the web image: never in each replica of web.
    this.release = stack.addService('migrate', {
      image,
      command: [RELEASE_COMMAND],
      runs: 'once',
      description: 'Applies migrations and collects static files, once per deploy, before web starts',
      limits,
    });
    this.service = stack.addService('web', {
      image,
      port,
      description: 'Django (ASGI) under Gunicorn with Uvicorn workers',
      // Any failure (refused, 503, timeout) raises, and the check exits non-zero.
      healthcheck: Healthcheck.command('python', '-c',
        `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}${this.healthPath}', timeout=4)`),
      // Longer than Gunicorn's graceful timeout, so requests in flight finish before the engine kills it.
      stopGracePeriod: Duration.seconds(this.requestTimeout.toSeconds() + 5),
      limits,
    });
    // migrate connects as the owner of the database (migrations change the schema); web, and services given
    // web's environment, as the runtime role, which can read and write rows but not change the schema.
    const { web: runtimeRole, user: owner, password: ownerPassword } = props.database;
    const server = { name: props.database.name, host: props.database.host, port: props.database.port };
    this.release
      .reads(...Object.values(server), owner, ownerPassword, ...Object.values(this.env))
      .mount(props.staticFiles?.path ?? `${workdir}/staticfiles`, staticVolume);
    this.service
      .reads(...Object.values(server), runtimeRole.user, runtimeRole.password, ...Object.values(this.env), this.webConcurrency, forwardedAllowIps, statementTimeout)
      .mount(props.staticFiles?.path ?? `${workdir}/staticfiles`, staticVolume);
    if (this.mediaFiles) this.service.mount(props.mediaFiles?.path ?? `${workdir}/mediafiles`, this.mediaFiles.volume);
    if (this.s3Media) this.service.reads(...Object.values(this.s3Media.env));
    if (props.db) {
      this.release.dependsOn(props.db, { healthy: true });
      this.service.dependsOn(props.db, { healthy: true });
    }
    this.service.dependsOn(this.release, { completed: true });

    const project = Project.of(stack);
    // Made by the resolver, not by hand: reviews fold it away like the managed files.
    project.gitattributes.addAttributes(`/${this.lock.file}`, 'linguist-generated');
    const lockTask = project.addTask('lock', {
      description: `Resolve ${this.requirements.file} into ${this.lock.file}: every package pinned and hashed (needs uv)`,
      exec: this.lock.command(this.requirements.file).join(' '),
    });
    // The SBOM follows the lock: the same task rewrites both, so they are committed together.
    project.gitattributes.addAttributes(`/${this.sbom.file}`, 'linguist-generated');
    lockTask.spawn(project.addTask(ImageSbom.TASK, {
      description: `Write ${this.sbom.file}: a CycloneDX SBOM of the web image (its base image, every package of ${this.lock.file} with its hashes)`,
      exec: this.sbom.command({ image: image.ref, baseImages: this.image.baseImages.map((i) => i.ref), lockFile: this.lock.file }).join(' '),
    }));
    const entrypoint = new ManagedFile(stack, 'docker-entrypoint.sh', {
      executable: true,
      render: (marker) => renderEntrypoint({ release: RELEASE_COMMAND, databaseTimeoutSeconds: 60, migrationLockTimeoutSeconds: MIGRATION_LOCK_TIMEOUT_SECONDS }, marker),
    });
    this.dockerfile = new DockerfileFile(stack, () => ({
      image: this.image,
      lockFile: this.lock.file,
      entrypoint: entrypoint.path,
      command: this.serverCommand,
      env: [
        { name: 'DJANGO_SETTINGS_MODULE', value: `${this.project}.settings` },
        // Gunicorn's worker count when .env does not set it.
        { name: this.webConcurrency.name, value: this.webConcurrency.default! },
      ],
      writableDirs: this.service.mounts.filter((m) => !m.readOnly).map((m) => m.path),
      port: this.service.port,
    }));
    this.files = [
      new ManagedFile(stack, GUNICORN_CONFIG_FILE, { render: (marker) => renderGunicornConfig(metricsDirectory(this.service), marker) }),
      new ManagedFile(stack, this.requirements.file, { render: (marker) => renderRequirements(this.requirements, marker) }),
      entrypoint,
      this.dockerfile,
      new ManagedFile(stack, posix.join(String(this.project), 'settings_env.py'), {
        render: (marker) => renderSettingsModule({
          project: this.project,
          env: this.env,
          database: props.database,
          web: this.service,
          release: this.release,
          staticFiles: this.staticFiles,
          mediaFiles: this.mediaFiles,
          s3Media: this.s3Media,
          healthPath: this.healthPath,
          databasePool: this.databasePool,
          transactionPooler: this.transactionPooler,
          metrics: { port: this.metricsPort, path: this.metricsPath },
          tls: this.tls,
          envExample: props.files.envExample,
          otherFiles: [...props.files.others, props.files.envExample],
        }, marker),
      }),
    ];
  }

  /**
   * A target (Kubernetes with CloudNativePG) connects web through PgBouncer in transaction mode: the settings
   * then read the variable returned, which that target sets to 'true', and turn off what needs one server session.
   */
  public connectsThroughTransactionPooler(): string {
    this.transactionPooler = true;
    return TRANSACTION_POOLER_VARIABLE;
  }

  /**
   * The most PostgreSQL connections one worker process holds at once: its pool's maxSize and the health check's
   * own connection (Tau/health.py). Undefined without a pool: then nothing bounds them.
   */
  public get databaseConnectionsPerWorker(): number | undefined {
    return this.databasePool && this.databasePool.maxSize + 1;
  }

  /** The number of Uvicorn workers in each web replica (WEB_CONCURRENCY's default). */
  public get workerCount(): number {
    return this.workers;
  }

  /** The web image's command: Gunicorn with Uvicorn workers on the web port. */
  public get serverCommand(): string[] {
    return gunicornCommand({
      app: `${this.project}.asgi:application`, service: this.service, requestTimeout: this.requestTimeout,
      metricsPort: this.metricsPort, configFile: GUNICORN_CONFIG_FILE,
    });
  }

  /**
   * The development server: Uvicorn alone, serving the same ASGI application (websockets included) on the
   * same port, restarting when a file of the code changes.
   */
  public get devCommand(): string[] {
    return ['uvicorn', `${this.project}.asgi:application`, '--host', '0.0.0.0', '--port', String(this.service.port),
      '--reload', '--reload-dir', this.image.workdir];
  }

  /**
   * How the app runs in development mode: the reloading server on the working tree, DEBUG on, its port on
   * 127.0.0.1; the one-shot release service migrates from the working tree too.
   */
  public get development(): DevelopmentOverride[] {
    return [
      {
        service: this.service,
        command: this.devCommand,
        sourceAt: this.image.workdir,
        environment: { [this.env.debug.name]: '1' },
        localPorts: this.service.port === undefined ? [] : [this.service.port],
      },
      { service: this.release, sourceAt: this.image.workdir },
    ];
  }

  /** Directories Django writes to when run outside a container, relative to the repository (kept out of git and the image). */
  public get localArtefacts(): string[] {
    const workdir = this.image.workdir;
    return this.service.mounts.map((m) => m.path).filter((p) => p.startsWith(`${workdir}/`)).map((p) => p.slice(workdir.length + 1));
  }

  public validate(): Problem[] {
    const { django, web, staticFiles, mediaFiles, media, tls } = this.props;
    return [
      ...checkOptionKeys('django', django, DJANGO_OPTION_KEYS),
      ...checkOptionKeys('django.lock', django.lock, LOCK_OPTION_KEYS),
      ...checkOptionKeys('django.sbom', django.sbom, SBOM_OPTION_KEYS),
      ...checkOptionKeys('django.image', django.image, PYTHON_IMAGE_OPTION_KEYS),
      ...checkOptionKeys('web', web, WEB_OPTION_KEYS),
      ...checkOptionKeys('staticFiles', staticFiles, FILES_OPTION_KEYS),
      ...checkOptionKeys('mediaFiles', mediaFiles, FILES_OPTION_KEYS),
      ...(typeof tls === 'object' ? checkOptionKeys('tls', tls, TLS_OPTION_KEYS) : []),
      ...checkPattern('django', 'project', String(this.project), /^[A-Za-z_][A-Za-z0-9_]*$/, 'the Django project package: a Python identifier such as Tau'),
      ...checkPattern('django', 'healthPath', this.healthPath, /^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'a URL path such as /healthz'),
      ...this.image.validate(),
      ...this.requirements.validate(),
      ...this.lock.validate(),
      ...this.sbom.validate(),
      ...checkDurationValue('web', 'requestTimeout', web?.requestTimeout, { min: Duration.seconds(1), max: Duration.hours(1) }),
      ...(web?.databasePool === undefined || typeof web.databasePool === 'boolean' || (typeof web.databasePool === 'object' && web.databasePool !== null && !Array.isArray(web.databasePool))
        ? [] : [{ component: 'web', field: 'databasePool', value: web.databasePool as unknown, allowed: 'true, false or { minSize, maxSize, timeout }' }]),
      ...(this.databasePool?.validate(this.requestTimeout) ?? []),
      ...(Number.isInteger(this.metricsPort) && this.metricsPort >= 1 && this.metricsPort <= 65535 && this.metricsPort !== this.service.port
        ? [] : [{ component: 'web', field: 'metricsPort', value: this.metricsPort, allowed: `a port from 1 to 65535 other than web's port (${this.service.port})` }]),
      ...(Number.isInteger(this.workers) && this.workers >= 1 && this.workers <= 64
        ? [] : [{ component: 'web', field: 'workers', value: this.workers, allowed: 'a whole number from 1 to 64' }]),
      ...this.staticFiles.validate(),
      ...(this.mediaFiles?.validate() ?? []),
      ...validateMediaOptions(media),
      // A bucket has no path in web's container and no URL prefix of the site: what mediaFiles sets does not apply.
      ...(this.s3Media && mediaFiles !== undefined
        ? [{ component: 'mediaFiles', field: Object.keys(mediaFiles).join(', ') || 'mediaFiles', value: JSON.stringify(mediaFiles),
          allowed: 'mediaFiles (the volume\'s path and URL prefix) is for media on a volume; with media.storage "s3" leave it out' }]
        : []),
    ];
  }
}
