import { existsSync, readFileSync } from 'fs';
import { isAbsolute, join, posix } from 'path';
import { Component, Project } from 'projen';
import { parse } from 'yaml';
import { addProblemCheck, checkOptionKeys, named, optionKeys, Problem, problemsOf, reportStackValidationErrorsPlainly, StackValidationError } from '../core';
import { ComposeFile, DevComposeFile } from '../compose';
import { DjangoEnvVars, MediaOptions, Requirements, RequirementsLock, S3Media, Tls, TlsOptions } from '../django';
import { DockerIgnore, PythonImage } from '../docker';
import { StackDocs, StackSummary, StackView } from '../docs';
import { DotEnv, EnvExampleFile, EnvFileNames } from '../env';
import { EnvContract, Network, NetworkOptions, Service, ServiceOptions, ServiceRole, Volume, VolumeOptions } from '../model';
import { NginxConfFile, NginxSite, ServedFiles } from '../nginx';
import { DjangoApp, DjangoOptions, FilesOptions, WebOptions } from './parts/django-app';
import { Monitoring, MonitoringOptions } from './parts/monitoring';
import { EXTERNAL_METRICS } from '../monitoring';
import { NginxOptions, NginxProxy } from './parts/nginx-proxy';
import { OpsScripts } from '../ops';
import { checkConnectionBudget } from '../postgres';
import { Postgres, postgresDataPath, PostgresOptions } from './parts/postgres';
import { StackPart } from './parts/stack-part';
import { Https } from './parts/https';
import { Backups, BackupsOptions } from './parts/backups';
import { Logs, LogsOptions } from './parts/logs';
import { validateStackParts } from './validate';

export interface DjangoStackOptions {
  readonly django: DjangoOptions;
  /**
   * The host names clients reach the site by. nginx answers only these (any other Host is closed without
   * an answer), and they are the default of DJANGO_ALLOWED_HOSTS and DJANGO_CSRF_TRUSTED_ORIGINS.
   * @default ['localhost', '127.0.0.1']
   */
  readonly hosts?: string[];
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
   * Where uploads live: a volume (the default), or an S3 bucket that web replicas on any host share.
   * @default - a named volume, served by nginx from /media/
   */
  readonly media?: MediaOptions;
  /**
   * HTTPS: at a proxy in front (`mode: 'proxy'`, with its `trustedProxies`), or at nginx with a certificate
   * you provide (`'files'`) or one the stack obtains and renews over ACME (`'acme'`). Every mode turns on
   * Django's secure cookies, HSTS and redirect to HTTPS.
   * @default - off: plain HTTP, as on a laptop or behind a proxy that is not yet set up
   */
  readonly tls?: boolean | TlsOptions;
  /**
   * Write `docker-compose.dev.yml`: the development overlay (the reloading server on the working tree, DEBUG
   * on, web and db ports on 127.0.0.1), used only with `docker compose -f docker-compose.yml -f docker-compose.dev.yml`.
   * @default true
   */
  readonly development?: boolean;
  /**
   * How much output the engine keeps per container: json-file logs rotated at `maxSize`, `maxFiles` kept.
   * @default - 10m, 5 files
   */
  readonly logs?: LogsOptions;
  /**
   * Where ops/backup.sh writes backups, relative to the repository (git- and docker-ignored), and how many it keeps.
   * @default - backups/, the newest 7
   */
  readonly backups?: BackupsOptions;
  /**
   * Prometheus: the scrape configuration and alert rules under monitoring/ are always written; given,
   * Prometheus runs in the stack as the `monitoring` service with them.
   * @default - the files only, no Prometheus service
   */
  readonly monitoring?: boolean | MonitoringOptions;
}

const STACK_OPTION_KEYS = optionKeys<DjangoStackOptions>()({
  django: true, hosts: true, postgres: true, web: true, nginx: true, staticFiles: true, mediaFiles: true, media: true, tls: true, development: true, logs: true, backups: true, monitoring: true,
});

/** The files the stack writes whose names other files mention. */
const FILES: EnvFileNames & { readonly compose: string } = {
  envFile: '.env',
  envExample: '.env.example',
  fixedIn: ComposeFile.PATH,
  compose: ComposeFile.PATH,
};

/**
 * The Tau backend's production stack: PostgreSQL, Django under Gunicorn with Uvicorn workers, and nginx
 * in front, with every deployment file synthesized from this one model. The stack composes its parts
 * (`Postgres`, `DjangoApp`, `NginxProxy`), holds the services and volumes they and `.projenrc.ts` add, and
 * checks what spans them; each part declares and validates its own.
 */
export class DjangoStack extends Component {
  /** Name of the env file the services' variables come from. */
  public readonly envFile = FILES.envFile;
  public readonly env: EnvContract;

  public readonly postgres: Postgres;
  public readonly app: DjangoApp;
  public readonly proxy: NginxProxy;
  public readonly dotEnv: DotEnv;
  /** `.dockerignore`: add what else of the repository stays out of the image with `addGroup`. */
  public readonly dockerIgnore: DockerIgnore;
  /** Prometheus' configuration and alert rules, and Prometheus itself when `monitoring` is given. */
  public readonly monitoring: Monitoring;
  /** The operations scripts under ops/. */
  public readonly ops: OpsScripts;
  /** HTTPS served by nginx itself (tls mode files or acme), with the ACME client in acme mode. */
  public readonly https?: Https;
  /** nginx and the app (and the ACME client in tls mode acme): the network clients' requests come in by, with a route out. */
  public readonly frontNetwork: Network;
  /**
   * The app, its database and the release task, with no route out of the stack: nginx cannot reach the
   * database. A service you add is on it unless it joins another network itself.
   */
  public readonly backNetwork: Network;

  /** Set by synthesis when the compose file on disk ran another PostgreSQL major than the model now asks for. */
  public postgresMajorChange?: { readonly from: number; readonly to: number };

  private readonly options: DjangoStackOptions;
  /** The host names clients reach the site by. */
  public readonly hosts: readonly string[];
  private readonly _services: Service[] = [];
  private readonly _volumes: Volume[] = [];
  private readonly _networks: Network[] = [];
  private readonly _problems: Problem[] = [];
  private readonly _roles = new Map<Service, ServiceRole>();
  /** Container log rotation on the engine. */
  private readonly logs: Logs;
  /** Where ops/backup.sh writes and how many it keeps. */
  private readonly backups: Backups;
  /** `docker-compose.yml`; `addOverride` sets a Compose key the model does not have. */
  public readonly composeFile: ComposeFile;

  constructor(project: Project, options: DjangoStackOptions) {
    super(project);
    reportStackValidationErrorsPlainly();
    this.options = options;
    // The stack's problems, in this order, then those of the objects under it (a Kubernetes target), in one walk.
    addProblemCheck(this, { validate: () => checkOptionKeys('DjangoStack', this.options, STACK_OPTION_KEYS) });
    this.logs = this.addPart(new Logs(options.logs));
    this.backups = this.addPart(new Backups(options.backups));
    addProblemCheck(this, { validate: () => this._problems });
    this.env = new EnvContract(() => this.services);
    const django = options.django ?? ({} as DjangoOptions);
    const defaultName = String(django.project).toLowerCase();
    const hosts = this.hosts = options.hosts ?? ['localhost', '127.0.0.1'];
    // The port clients reach HTTPS on, when nginx serves it.
    const httpsPort = options.nginx?.httpsHostPort ?? Https.PORT;

    this.postgres = this.addPart(new Postgres(this, defaultName, options.postgres));
    this.app = this.addPart(new DjangoApp(this, {
      django,
      web: options.web,
      staticFiles: options.staticFiles,
      mediaFiles: options.mediaFiles,
      media: options.media,
      tls: options.tls,
      database: this.postgres.env,
      db: this.postgres.service,
      publicPort: NginxProxy.publicPort(options.nginx),
      httpsPublicPort: httpsPort,
      hosts,
      files: { envExample: FILES.envExample, others: [FILES.compose, NginxConfFile.PATH] },
    }));
    this.proxy = this.addPart(new NginxProxy(this, {
      options: options.nginx,
      app: this.app.service,
      served: this.app.mediaFiles ? [this.app.staticFiles, this.app.mediaFiles] : [this.app.staticFiles],
      behindTlsProxy: this.app.tls?.mode === 'proxy',
      readTimeout: this.app.requestTimeout,
      hosts,
      trustedProxies: this.app.tls?.trustedProxies ?? [],
    }));

    this.proxy.site.keepInternal(this.app.metricsPath);
    this.frontNetwork = this.addNetwork('front', { description: 'the way requests come in, and out of the stack' });
    this.backNetwork = this.addNetwork('back', { internal: true, description: this.postgres.service ? 'the app and its database, with no route out' : 'the app, with no route out' });
    if (this.app.tls) {
      const https = this.addPart(new Https(this, {
        tls: this.app.tls, nginx: this.proxy.service, publicPort: httpsPort, network: this.frontNetwork, hosts,
      }));
      if (https.siteOptions) {
        this.https = https;
        this.proxy.site.serveHttps(https.siteOptions);
      }
    }
    this.proxy.service.joins(this.frontNetwork);
    this.app.service.joins(this.frontNetwork, this.backNetwork);
    this.app.release.joins(this.backNetwork);
    this.postgres.service?.joins(this.backNetwork);
    this.connectToDatabase(this.app.service);
    this.connectToDatabase(this.app.release);
    // Prometheus on the back network: it reaches the app's metrics address, nginx cannot reach it, no route out.
    this.monitoring = this.addPart(new Monitoring(this, {
      options: options.monitoring, web: this.app.service, metrics: { port: this.app.metricsPort, path: this.app.metricsPath }, healthView: 'health',
      nginx: { service: this.proxy.service, site: this.proxy.site },
      database: this.postgres.service && this.postgres.superuserEnv ? {
        service: this.postgres.service, superuser: this.postgres.superuserEnv.user, env: this.postgres.env, maxConnections: this.postgres.maxConnections,
      } : undefined,
      databaseVolume: this.postgres.data,
    }));
    // What node_exporter's textfile collector reads: the ACME client's certificate, and ops/backup.sh's last
    // success, which it writes through the db container (it runs there already).
    if (this.https?.acme) this.https.writeMetricsTo(this.monitoring.writeMetricsFrom(this.https.acme));
    const backupMetrics = this.postgres.service && this.monitoring.writeMetricsFrom(this.postgres.service);

    this.composeFile = new ComposeFile(this, () => ({
      services: this.services, volumes: this.volumes, networks: this.networks, env: this.env, envFile: this.envFile, docs: StackDocs.ARCHITECTURE, logs: this.logs.rotation,
    }));
    if (options.development ?? true) {
      new DevComposeFile(this, () => [
        ...this.app.development,
        ...(this.postgres.service ? [{ service: this.postgres.service, localPorts: this.postgres.service.port === undefined ? [] : [this.postgres.service.port] }] : []),
      ]);
    }
    const backups = this.backups;
    this.ops = new OpsScripts(this, () => ({
      composeFile: this.composeFile.path,
      // The scripts that work inside the db container (backup, restore, upgrade, roles) exist only with one.
      db: this.postgres.service && this.postgres.superuserEnv && this.postgres.data ? {
        service: this.postgres.service.name, userVar: this.postgres.superuserEnv.user.name,
        appUserVar: this.postgres.env.user.name, appPasswordVar: this.postgres.env.password.name,
        webUserVar: this.postgres.env.web.user.name, webPasswordVar: this.postgres.env.web.password.name,
        databaseVar: this.postgres.env.name.name, hostVar: this.postgres.env.host.name, appRoleScript: Postgres.APP_ROLE_INIT_PATH,
        version: this.postgres.version, volume: this.postgres.data.name, dataPath: postgresDataPath,
      } : undefined,
      web: {
        service: this.app.service.name, release: this.app.release.name, media: this.app.mediaFiles
          ? { path: this.app.service.mountPathOf(this.app.mediaFiles.volume)! }
          : { bucketVar: this.app.s3Media!.env.bucket.name },
        stopGraceSeconds: this.app.service.stopGracePeriod?.toSeconds() ?? 10,
        addressCacheSeconds: this.proxy.site.resolveValidSeconds + 1,
        proxyNetwork: this.frontNetwork.name,
        healthyWithinSeconds: this.app.service.healthcheck?.healthyWithin.toSeconds() ?? 60,
      },
      backups: { dir: backups.dir, keep: backups.keep },
      archive: this.postgres.archive?.model,
      metrics: backupMetrics ? { dir: backupMetrics, name: EXTERNAL_METRICS.backupLastSuccess } : undefined,
    }), { database: this.postgres.service !== undefined, drill: this.postgres.archive !== undefined });
    new EnvExampleFile(this, this.env, FILES);
    this.dockerIgnore = new DockerIgnore(this, [
      { why: 'Secrets never enter the image: they reach the container at run time.', patterns: [this.envFile, `${this.envFile}.*`] },
      { why: 'Version control', patterns: ['.git', '.gitignore', '.gitattributes'] },
      { why: 'Backups hold the database and uploads: never in an image', patterns: [backups.dir] },
      {
        why: 'The stack\'s definition and its tooling (Node), and deployment files the image does not run',
        patterns: ['node_modules', '.projen', '.projenrc.ts', 'package.json', 'package-lock.json', 'tsconfig*.json', '*.md',
          this.proxy.conf.path.split('/')[0], this.composeFile.path, DevComposeFile.PATH, this.app.dockerfile.path, '.dockerignore', this.app.sbom.file],
      },
      {
        why: 'Python and editor leftovers, and what Django writes locally',
        patterns: ['**/__pycache__', '**/*.py[cod]', '.venv', 'venv', '.vscode', '.idea', ...this.app.localArtefacts],
      },
    ]);
    this.dotEnv = new DotEnv(this, this.env, FILES);
    const stack = this;
    const view: StackView = {
      name: String(this.app.project),
      get services() { return stack.services; },
      get volumes() { return stack.volumes; },
      env: this.env,
      site: this.proxy.site,
      db: this.postgres.service,
      get externalDatabase() { return stack.externalDatabaseView; },
      envFile: FILES.envFile,
      envExample: FILES.envExample,
      composeFile: FILES.compose,
      imageCommand: (service) => (service.image === this.app.service.image ? this.app.serverCommand : undefined),
    };
    new StackDocs(this, view);
    new StackSummary(this, view, this.dotEnv);

    // A certificate's key kept in the repository's tree (tls mode files) stays out of git and the image.
    const keyDir = this.app.tls?.mode === 'files' && this.app.tls.key && !isAbsolute(this.app.tls.key) ? posix.dirname(this.app.tls.key) : undefined;
    if (keyDir && keyDir !== '.') {
      project.gitignore.exclude(`/${keyDir}/`);
      this.dockerIgnore.addGroup({ why: 'The TLS certificate and its key (tls.certificate, tls.key): nginx mounts them at run time', patterns: [keyDir] });
    }
    addProblemCheck(this, { validate: () => this.stackProblems() });
    project.gitignore.exclude(`/${this.envFile}`, `/${backups.dir}/`, '__pycache__/', '*.py[cod]', '.venv/', ...this.app.localArtefacts.map((p) => `/${p}/`));
  }

  /**
   * Lets a service of the web image (a worker, say) reach the database as web does. The stack's own database is
   * on the back network, and the service waits for it to be healthy; one outside the stack is reached through
   * the front network (the way out), with its CA certificate mounted where the settings look for it. A service
   * that reads the database's address without this is refused when the database is external.
   */
  public connectToDatabase(service: Service): Service {
    if (this.postgres.service) {
      service.joins(this.backNetwork);
      // web and migrate wait for the database through migrate and their own dependency (DjangoApp).
      if (service !== this.app.service && service !== this.app.release) service.dependsOn(this.postgres.service, { healthy: true });
      return service;
    }
    this.postgres.connect(service);
    return service.joins(this.frontNetwork);
  }

  /** A database outside the stack, as the docs draw it. */
  private get externalDatabaseView(): StackView['externalDatabase'] {
    const { tls, host, port } = this.postgres.env;
    if (this.postgres.service || !tls) return undefined;
    return {
      label: `<b>external PostgreSQL</b><br/>${host.default ?? `$${host.name}`}:${port.default ?? `$${port.name}`}<br/>sslmode ${tls.sslMode}`,
      clients: this._services.filter((s) => s.environment.includes(host)),
    };
  }

  /** With an external database: the services that read its address but could not reach it or verify it. */
  private externalDatabaseProblems(): Problem[] {
    const tls = this.postgres.env.tls;
    if (this.postgres.service || !tls) return [];
    const host = this.postgres.env.host;
    return this._services.filter((s) => s.environment.includes(host)).flatMap((s) => {
      const verifies = tls.rootCert === undefined || s.fileMounts.some((m) => m.path === tls.rootCert);
      const routed = s.networks.length === 0 || s.networks.some((n) => !n.internal);
      return verifies && routed ? [] : [{
        component: named('service', s.name), field: verifies ? 'networks' : 'volumes', value: host.name,
        allowed: `a service that reads ${host.name} connects to the external database: ${verifies ? 'it needs a network with a route out' : `it needs the CA file at ${tls.rootCert}`}; stack.connectToDatabase(service) gives it both`,
      }];
    });
  }

  /** A part joins the stack's problems, after those of the parts before it, and tells the roles of its servers. */
  private addPart<T extends StackPart>(part: T): T {
    addProblemCheck(this, part);
    for (const [service, role] of part.roles ?? []) this._roles.set(service, role);
    return part;
  }

  /** What a service is to a platform that runs each kind its own way, as its part declares; undefined for the rest. */
  public roleOf(service: Service): ServiceRole | undefined {
    return this._roles.get(service);
  }

  /**
   * Adds a service; names are unique within the stack (a second one of a name is reported as a problem). A
   * service added once the stack stands is on the back network unless it joins another itself: it reaches the
   * app and its database, nginx cannot reach it, and it has no route out (a cache, a queue, a worker). One
   * that must reach the outside joins the front network: `.joins(stack.frontNetwork)`.
   */
  public addService(name: string, options: ServiceOptions): Service {
    const service = new Service(name, options);
    if (this.backNetwork) service.joinsByDefault(this.backNetwork);
    if (this._services.some((s) => s.name === name)) {
      this._problems.push({ component: named('service', name), field: 'name', value: name, allowed: 'a name no other service of the stack has' });
    } else {
      this._services.push(service);
    }
    return service;
  }

  /** Declares a named volume (or adds one made with `Volume.named`). */
  public addVolume(volume: string | Volume, options: VolumeOptions = {}): Volume {
    const v = typeof volume === 'string' ? Volume.named(volume, options) : volume;
    if (this._volumes.some((x) => x.name === v.name)) {
      this._problems.push({ component: named('volume', v.name), field: 'name', value: v.name, allowed: 'a name no other volume of the stack has' });
    } else {
      this._volumes.push(v);
    }
    return v;
  }

  /** Declares a network (or adds one made with `Network.named`); services join it with `service.joins(network)`. */
  public addNetwork(network: string | Network, options: NetworkOptions = {}): Network {
    const n = typeof network === 'string' ? Network.named(network, options) : network;
    if (this._networks.some((x) => x.name === n.name)) {
      this._problems.push({ component: named('network', n.name), field: 'name', value: n.name, allowed: 'a name no other network of the stack has' });
    } else {
      this._networks.push(n);
    }
    return n;
  }

  public get networks(): Network[] {
    return [...this._networks];
  }

  public get services(): Service[] {
    return [...this._services];
  }

  public get volumes(): Volume[] {
    return [...this._volumes];
  }

  // ---- the parts' objects, under the names the stack has always offered

  /** The db service; undefined when the database is external (`postgres.external`). */
  public get db(): Service | undefined {
    return this.postgres.service;
  }

  public get web(): Service {
    return this.app.service;
  }

  public get nginx(): Service {
    return this.proxy.service;
  }

  public get site(): NginxSite {
    return this.proxy.site;
  }

  public get djangoProject(): string {
    return this.app.project;
  }

  public get postgresVersion(): number {
    return this.postgres.version;
  }

  public get image(): PythonImage {
    return this.app.image;
  }

  public get requirements(): Requirements {
    return this.app.requirements;
  }

  public get lock(): RequirementsLock {
    return this.app.lock;
  }

  public get healthPath(): string {
    return this.app.healthPath;
  }

  public get tls(): Tls | undefined {
    return this.app.tls;
  }

  public get staticFiles(): ServedFiles {
    return this.app.staticFiles;
  }

  /** Uploads on a volume; undefined when they are in a bucket (`s3Media`). */
  public get mediaFiles(): ServedFiles | undefined {
    return this.app.mediaFiles;
  }

  /** Uploads in an S3 bucket; undefined when they are on a volume (`mediaFiles`). */
  public get s3Media(): S3Media | undefined {
    return this.app.s3Media;
  }

  public get djangoEnv(): DjangoEnvVars {
    return this.app.env;
  }

  /** The web image's command: Gunicorn with Uvicorn workers on the web port. */
  public get serverCommand(): string[] {
    return this.app.serverCommand;
  }

  /**
   * Every problem of the model, across all objects, and of `.env`, and of the targets made on the stack (a
   * Kubernetes target): one walk over the tree. Empty when the stack can be synthesized.
   */
  public validate(): Problem[] {
    return problemsOf(this);
  }

  /** Rules that span the parts: the objects they and `.projenrc.ts` declared, and how they connect. */
  private stackProblems(): Problem[] {
    return [
      ...this._volumes.flatMap((v) => v.validate()),
      ...this._networks.flatMap((n) => n.validate()),
      ...this._services.flatMap((s) => s.validate()),
      ...this.env.validate(),
      ...validateStackParts({
        services: this._services,
        volumes: this._volumes,
        networks: this._networks,
        web: this.app.service,
        workdir: this.app.image.workdir,
        staticFiles: this.app.staticFiles,
        mediaFiles: this.app.mediaFiles,
      }),
      ...this.externalDatabaseProblems(),
      ...this.composeConnectionBudget(),
      ...this.dotEnv.check(),
    ];
  }

  /**
   * Web's pools on compose against the database's max_connections: one web container, and for the length of
   * ops/redeploy.sh its replacement beside it, each with its workers' pools.
   */
  private composeConnectionBudget(): Problem[] {
    const perWorker = this.app.databaseConnectionsPerWorker;
    if (perWorker === undefined) return [];
    return checkConnectionBudget({
      component: 'web', replicasField: 'replicas', replicas: 2, replicasWhy: '1, and its replacement during ops/redeploy.sh',
      workers: this.app.workerCount, perWorker,
    }, this.postgres);
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
    const previous = this.postgres.service ? this.previousPostgresVersion() : undefined;
    if (previous !== undefined && previous !== this.postgres.version) {
      this.postgresMajorChange = { from: previous, to: this.postgres.version };
      this.project.logger.warn(`PostgreSQL ${previous} -> ${this.postgres.version}: a server refuses the data directory of another major. ` +
        `Before running the new files against an existing ${this.postgres.data?.name} volume, dump it with pg_dumpall ` +
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
      const image = parse(readFileSync(path, 'utf-8'))?.services?.[this.postgres.service?.name ?? '']?.image;
      // The official image (postgres:17), or the one built on it with pgBackRest (tau-postgres-17).
      const major = /(?:^postgres:|-postgres-)(\d+)/.exec(String(image))?.[1];
      return major === undefined ? undefined : Number(major);
    } catch {
      return undefined;
    }
  }
}
