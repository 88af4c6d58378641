import { existsSync, readFileSync } from 'fs';
import { join, posix } from 'path';
import { Component, Project } from 'projen';
import { parse } from 'yaml';
import { Problem, StackValidationError, ManagedFile } from '../core';
import { CiWorkflow } from '../ci';
import { StackDocs, StackSummary, StackView } from '../docs';
import { ComposeFile, Healthcheck, Image, Service, ServiceOptions, Volume, VolumeOptions } from '../compose';
import {
  DjangoEnvVars, gunicornCommand, PostgresEnvVars, renderEntrypoint, renderRequirements, renderSettingsModule, Requirements,
  RequirementsLock, RequirementsLockOptions, Tls, TlsOptions,
} from '../django';
import { DockerfileFile, DockerIgnore, IgnoreGroup, PythonImage, PythonImageOptions } from '../docker';
import { DotEnv, EnvContract, EnvExampleFile, EnvVar } from '../env';
import { NginxConfFile, NginxSite, ServedFiles } from '../nginx';
import { postgresDataNote, postgresDataPath, validatePostgresVersion } from './postgres';
import { checkHealthPath, checkProjectName, validateStackParts } from './validate';

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
   * Name of the database user (POSTGRES_USER's default).
   * @default - the Django project's name in lower case
   */
  readonly user?: string;
}

export interface WebOptions {
  /**
   * Port Gunicorn listens on inside the compose network; nginx proxies to it.
   * @default 8000
   */
  readonly port?: number;
  /**
   * Number of Uvicorn workers (WEB_CONCURRENCY's default). Two per core is a common start.
   * @default 2
   */
  readonly workers?: number;
}

export interface NginxOptions {
  /**
   * Port nginx listens on in its container.
   * @default 80
   */
  readonly port?: number;
  /**
   * Port published on the host.
   * @default - the same as `port`
   */
  readonly hostPort?: number;
  /**
   * The nginx image.
   * @default 'nginx:1.28-alpine'
   */
  readonly image?: string;
  /**
   * Largest request body accepted (uploads).
   * @default '25m'
   */
  readonly maxUploadSize?: string;
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

export interface DjangoStackOptions {
  readonly django: DjangoOptions;
  /** @default - PostgreSQL 17 */
  readonly postgres?: PostgresOptions;
  /** @default - Gunicorn on port 8000 with 2 workers */
  readonly web?: WebOptions;
  /** @default - nginx on port 80 */
  readonly nginx?: NginxOptions;
  /** @default - static files at /static/ */
  readonly staticFiles?: FilesOptions;
  /** @default - media files at /media/ */
  readonly mediaFiles?: FilesOptions;
  /**
   * TLS is terminated in front of the stack: turns on secure cookies, HSTS and the HTTPS redirect.
   * @default - off: plain HTTP, as on a laptop or behind a proxy that is not yet set up
   */
  readonly tls?: boolean | TlsOptions;
}

/**
 * The Tau backend's production stack: PostgreSQL, Django under Gunicorn with Uvicorn workers, and nginx
 * in front, with every deployment file synthesized from this one model.
 */
export class DjangoStack extends Component {
  /** Name of the env file every service reads its `.env` variables from. */
  public readonly envFile = '.env';
  public readonly env = new EnvContract();
  public readonly djangoProject: string;
  public readonly postgresVersion: number;
  public readonly image: PythonImage;
  public readonly requirements: Requirements;
  public readonly lock: RequirementsLock;
  public readonly healthPath: string;
  public readonly tls?: Tls;

  public readonly db: Service;
  public readonly web: Service;
  public readonly nginx: Service;
  public readonly site: NginxSite;
  public readonly staticFiles: ServedFiles;
  public readonly mediaFiles: ServedFiles;
  public readonly djangoEnv: DjangoEnvVars;
  public readonly databaseEnv: PostgresEnvVars;
  public readonly dotEnv: DotEnv;

  private readonly _services: Service[] = [];
  private readonly _volumes: Volume[] = [];
  /** Set by synthesis when the compose file on disk ran another PostgreSQL major than the model now asks for. */
  public postgresMajorChange?: { readonly from: number; readonly to: number };

  private readonly webConcurrency: EnvVar;
  private readonly composeFile: ComposeFile;
  private readonly workers: number;

  constructor(project: Project, options: DjangoStackOptions) {
    super(project);
    const stack = this;
    const django = options.django;
    this.djangoProject = django.project;
    this.image = new PythonImage(django.image);
    this.requirements = new Requirements(django.requirements);
    this.lock = new RequirementsLock(django.lock);
    this.healthPath = django.healthPath ?? '/healthz';
    this.postgresVersion = options.postgres?.version ?? 17;
    this.tls = options.tls === true ? new Tls() : options.tls ? new Tls(options.tls) : undefined;
    this.workers = options.web?.workers ?? 2;
    const lower = this.djangoProject.toLowerCase();
    const workdir = this.image.workdir;

    const webPort = options.web?.port ?? 8000;
    const nginxPort = options.nginx?.port ?? 80;
    const hostPort = options.nginx?.hostPort ?? nginxPort;
    const origin = (host: string) => `http://${host}${hostPort === 80 ? '' : `:${hostPort}`}`;

    // ---- the database's variables first: the db healthcheck names them (services are granted them below)
    const dbName = this.env.add('POSTGRES_DB', { description: 'Name of the PostgreSQL database', default: options.postgres?.database ?? lower });
    const dbUser = this.env.add('POSTGRES_USER', { description: 'PostgreSQL user the app connects as', default: options.postgres?.user ?? lower });
    const dbPassword = this.env.add('POSTGRES_PASSWORD', { description: 'Password of that user', secret: true, generate: 'password' });

    // ---- volumes
    const postgresData = this.addVolume('postgres_data', { description: 'PostgreSQL data directory' });
    const staticVolume = this.addVolume('static_volume', { description: 'Static files collected by collectstatic' });
    const mediaVolume = this.addVolume('media_volume', { description: 'Files uploaded by users' });
    this.staticFiles = new ServedFiles('static', { url: options.staticFiles?.url ?? '/static/', volume: staticVolume, maxAge: '30d' });
    this.mediaFiles = new ServedFiles('media', { url: options.mediaFiles?.url ?? '/media/', volume: mediaVolume, userContent: true });

    // ---- services
    this.db = this.addService('db', {
      image: `postgres:${this.postgresVersion}`,
      port: 5432,
      description: 'PostgreSQL database',
      // -h 127.0.0.1: the TCP listener, up only once the image's init scripts are done. -U/-d: the app's own
      // user and database (without -U, pg_isready logs 'role "root" does not exist').
      healthcheck: Healthcheck.shell(`pg_isready -h 127.0.0.1 -U "${dbUser.shellRef}" -d "${dbName.shellRef}"`),
    });
    this.databaseEnv = {
      name: dbName,
      user: dbUser,
      password: dbPassword,
      host: this.env.add('POSTGRES_HOST', { description: 'Host name of the database (the db service)', default: this.db.name }),
      port: this.env.add('POSTGRES_PORT', { description: 'Port of the database', default: String(this.db.port) }),
    };
    // ---- the rest of the environment contract
    this.djangoEnv = {
      secretKey: this.env.add('DJANGO_SECRET_KEY', { description: 'Django SECRET_KEY: signs sessions and tokens', secret: true, generate: 'django-secret-key' }),
      debug: this.env.add('DJANGO_DEBUG', { description: 'Django DEBUG: 1/true/yes/on or 0/false/no/off; never on in production', default: '0' }),
      allowedHosts: this.env.add('DJANGO_ALLOWED_HOSTS', { description: 'Comma-separated host names the site answers to (ALLOWED_HOSTS)', default: 'localhost,127.0.0.1' }),
      csrfTrustedOrigins: this.env.add('DJANGO_CSRF_TRUSTED_ORIGINS', {
        description: 'Comma-separated origins, with scheme, trusted for unsafe requests (CSRF_TRUSTED_ORIGINS)',
        default: [origin('localhost'), origin('127.0.0.1')].join(','),
      }),
    };
    this.webConcurrency = this.env.add('WEB_CONCURRENCY', { description: 'Number of Gunicorn workers', default: String(this.workers) });
    const forwardedAllowIps = this.env.add('FORWARDED_ALLOW_IPS', {
      description: 'Gunicorn trusts X-Forwarded-For/-Proto from these addresses; web publishes no port, so only the compose network (nginx) reaches it',
      value: '*',
    });

    this.web = this.addService('web', {
      image: Image.build({ tag: `${lower}-web` }),
      port: webPort,
      description: 'Django (ASGI) under Gunicorn with Uvicorn workers',
      // Any failure (refused, 503, timeout) raises, and the check exits non-zero.
      healthcheck: Healthcheck.command('python', '-c',
        `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${webPort}${this.healthPath}', timeout=4)`),
    });
    this.nginx = this.addService('nginx', {
      image: options.nginx?.image ?? 'nginx:1.28-alpine',
      port: nginxPort,
      description: 'nginx: serves static and media files, proxies the rest to web',
    });

    for (const v of [dbName, dbUser, dbPassword]) v.grant(this.db);
    for (const v of Object.values(this.databaseEnv)) v.grant(this.web);
    for (const v of [...Object.values(this.djangoEnv), this.webConcurrency, forwardedAllowIps]) v.grant(this.web);

    this.db.mount(postgresDataPath(this.postgresVersion), postgresData, { note: postgresDataNote(this.postgresVersion) });
    this.web
      .mount(options.staticFiles?.path ?? `${workdir}/staticfiles`, staticVolume)
      .mount(options.mediaFiles?.path ?? `${workdir}/mediafiles`, mediaVolume)
      .dependsOn(this.db, { healthy: true });

    // ---- files
    this.site = new NginxSite(this.nginx, { maxUploadSize: options.nginx?.maxUploadSize, behindTlsProxy: this.tls !== undefined })
      .proxyTo(this.web)
      .serve(this.staticFiles)
      .serve(this.mediaFiles);
    const nginxConf = new NginxConfFile(this, this.site);
    this.nginx
      .mountFile(nginxConf.path, NginxConfFile.CONTAINER_PATH, { readOnly: true })
      .mount('/var/www/static', staticVolume, { readOnly: true })
      .mount('/var/www/media', mediaVolume, { readOnly: true })
      .dependsOn(this.web, { healthy: true })
      .publish(hostPort);

    const compose = this.composeFile = new ComposeFile(this, () => ({
      services: this.services, volumes: this.volumes, env: this.env, envFile: this.envFile, docs: StackDocs.ARCHITECTURE,
    }));
    new ManagedFile(this, this.requirements.file, { render: (marker) => renderRequirements(this.requirements, marker) });
    // Made by the resolver, not by hand: reviews fold it away like the managed files.
    project.gitattributes.addAttributes(`/${this.lock.file}`, 'linguist-generated');
    project.addTask('lock', {
      description: `Resolve ${this.requirements.file} into ${this.lock.file}: every package pinned and hashed (needs uv)`,
      exec: this.lock.command(this.requirements.file).join(' '),
    });
    const entrypoint = new ManagedFile(this, 'docker-entrypoint.sh', {
      executable: true,
      render: (marker) => renderEntrypoint({ server: this.serverCommand[0], databaseTimeoutSeconds: 60 }, marker),
    });
    const dockerfile = new DockerfileFile(this, () => ({
      image: this.image,
      lockFile: this.lock.file,
      entrypoint: entrypoint.path,
      command: this.serverCommand,
      env: [
        { name: 'DJANGO_SETTINGS_MODULE', value: `${this.djangoProject}.settings` },
        // Gunicorn's worker count when .env does not set it.
        { name: this.webConcurrency.name, value: this.webConcurrency.default! },
      ],
      writableDirs: this.web.mounts.filter((m) => !m.readOnly).map((m) => m.path),
      port: this.web.port,
    }));
    new ManagedFile(this, posix.join(this.djangoProject, 'settings_env.py'), {
      render: (marker) => renderSettingsModule({
        project: this.djangoProject,
        env: this.djangoEnv,
        database: this.databaseEnv,
        web: this.web,
        staticFiles: this.staticFiles,
        mediaFiles: this.mediaFiles,
        healthPath: this.healthPath,
        tls: this.tls,
      }, marker),
    });
    new EnvExampleFile(this, this.env, this.envFile);
    new DockerIgnore(this, this.dockerIgnoreGroups([posix.dirname(nginxConf.path), compose.path, dockerfile.path]));
    new CiWorkflow(this, { script: '.ci/run' });
    this.dotEnv = new DotEnv(this, this.env, this.envFile);
    const view: StackView = {
      name: this.djangoProject,
      get services() { return stack.services; },
      get volumes() { return stack.volumes; },
      env: this.env,
      site: this.site,
      db: this.db,
      envFile: this.envFile,
      imageCommand: (service) => (service.image === this.web.image ? this.serverCommand : undefined),
    };
    new StackDocs(this, view);
    new StackSummary(this, view, this.dotEnv);

    project.gitignore.exclude(
      `/${this.envFile}`,
      '__pycache__/',
      '*.py[cod]',
      '.venv/',
      ...this.localArtefacts().map((p) => `/${p}/`),
    );
  }

  /** Adds a service; names are unique within the stack. */
  public addService(name: string, options: ServiceOptions): Service {
    if (this._services.some((s) => s.name === name)) {
      throw new Error(`DjangoStack: a service named "${name}" exists already`);
    }
    const service = new Service(name, options);
    this._services.push(service);
    return service;
  }

  /** Declares a named volume (or adds one made with `Volume.named`). */
  public addVolume(volume: string | Volume, options: VolumeOptions = {}): Volume {
    const v = typeof volume === 'string' ? Volume.named(volume, options) : volume;
    if (this._volumes.some((x) => x.name === v.name)) {
      throw new Error(`DjangoStack: a volume named "${v.name}" exists already`);
    }
    this._volumes.push(v);
    return v;
  }

  public get services(): Service[] {
    return [...this._services];
  }

  public get volumes(): Volume[] {
    return [...this._volumes];
  }

  /** The web image's command: Gunicorn with Uvicorn workers on the web port. */
  public get serverCommand(): string[] {
    return gunicornCommand({ app: `${this.djangoProject}.asgi:application`, service: this.web });
  }

  /** Every problem of the model, across all objects. Empty when the stack can be synthesized. */
  public validate(): Problem[] {
    return [
      ...validatePostgresVersion(this.postgresVersion),
      ...checkProjectName(this.djangoProject),
      ...checkHealthPath(this.healthPath),
      ...this.image.validate(),
      ...this.requirements.validate(),
      ...(Number.isInteger(this.workers) && this.workers >= 1
        ? [] : [{ component: 'web', field: 'workers', value: this.workers, allowed: 'a whole number of at least 1' }]),
      ...this._volumes.flatMap((v) => v.validate()),
      ...this._services.flatMap((s) => s.validate()),
      ...this.env.all.flatMap((v) => v.validate()),
      ...this.staticFiles.validate(),
      ...this.mediaFiles.validate(),
      ...this.site.validate(),
      ...validateStackParts({
        services: this._services,
        volumes: this._volumes,
        env: this.env,
        web: this.web,
        staticFiles: this.staticFiles,
        mediaFiles: this.mediaFiles,
      }),
    ];
  }

  /** Runs before projen deletes or writes any file: a stack with problems stops synthesis here. */
  public preSynthesize(): void {
    const problems = this.validate();
    if (problems.length > 0) throw new StackValidationError(problems);
    const stale = this.lockFindings();
    if (stale.length > 0) {
      // A warning, not a refusal: the lock is made after requirements.txt changes, so it lags one synthesis.
      this.project.logger.warn(`${this.lock.file} does not match ${this.requirements.file}; the image build would fail:\n  ${stale.join('\n  ')}`);
    }
    const previous = this.previousPostgresVersion();
    if (previous !== undefined && previous !== this.postgresVersion) {
      this.postgresMajorChange = { from: previous, to: this.postgresVersion };
      this.project.logger.warn(`PostgreSQL ${previous} -> ${this.postgresVersion}: a server refuses the data directory of another major. ` +
        `Before running the new files against an existing ${this.db.mounts[0]?.volume.name ?? 'data'} volume, dump it with pg_dumpall ` +
        '(or run pg_upgrade) and restore into the new version.');
    }
  }

  /** Why the committed lock cannot serve the requirements; empty when it can. */
  private lockFindings(): string[] {
    const path = join(this.project.outdir, this.lock.file);
    if (!existsSync(path)) return [`${this.lock.file} is missing: run \`npx projen lock\` and commit it`];
    return this.lock.check(this.requirements, readFileSync(path, 'utf-8'));
  }

  /** The PostgreSQL major of the compose file this stack wrote last time, if there is one. */
  private previousPostgresVersion(): number | undefined {
    const path = join(this.project.outdir, this.composeFile.path);
    if (!existsSync(path)) return undefined;
    try {
      const image = parse(readFileSync(path, 'utf-8'))?.services?.[this.db.name]?.image;
      const major = /^postgres:(\d+)/.exec(String(image))?.[1];
      return major === undefined ? undefined : Number(major);
    } catch {
      return undefined;
    }
  }

  /** Directories Django writes to when run outside docker, relative to the repository (kept out of git and the image). */
  private localArtefacts(): string[] {
    const workdir = this.image.workdir;
    return this.web.mounts
      .map((m) => m.path)
      .filter((p) => p.startsWith(`${workdir}/`))
      .map((p) => p.slice(workdir.length + 1));
  }

  private dockerIgnoreGroups(deploymentFiles: string[]): IgnoreGroup[] {
    return [
      { why: 'Secrets never enter the image: they reach the container at run time.', patterns: [this.envFile, `${this.envFile}.*`] },
      { why: 'Version control, CI and scripts', patterns: ['.git', '.gitignore', '.gitattributes', '.github', '.ci', 'scripts'] },
      {
        why: 'The stack\'s definition and its tooling (Node), and files the image does not run',
        patterns: ['node_modules', '.projen', '.projenrc.ts', 'projenrc', 'package.json', 'package-lock.json', 'tsconfig*.json',
          'src', 'test', 'test-reports', 'coverage', 'bench', 'docs', '*.md',
          ...deploymentFiles, '.dockerignore'],
      },
      {
        why: 'Python and editor leftovers, and what Django writes locally',
        patterns: ['**/__pycache__', '**/*.py[cod]', '.venv', 'venv', '.vscode', '.idea', ...this.localArtefacts()],
      },
    ];
  }
}
