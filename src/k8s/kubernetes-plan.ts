import { createHash } from 'crypto';
import { EnvContract, EnvVar, FileMount, memoryBytes, Service, ServiceRole, Volume, VolumeMount } from '../model';
import { NginxConfFile, NginxMainConfFile, NginxSite, renderNginxMainConf, ServedFiles, workersFor } from '../nginx';
import { AccessMode, CloudNativePgBackupOptions, CloudNativePgRecoveryOptions, DatabaseMode, KubernetesTargetOptions, ResourceOptions } from './kubernetes-options';

/** What the Kubernetes target reads of the stack: its parts, read-only. `KubernetesTarget` fills it from a `DjangoStack`. */
export interface KubernetesStackView {
  /** The Django project's name: the stack's name in labels and the default namespace. */
  readonly name: string;
  readonly services: readonly Service[];
  readonly volumes: readonly Volume[];
  readonly env: EnvContract;
  /** The stack's PostgreSQL service; undefined when its database is outside the stack (`postgres.external`). */
  readonly db?: Service;
  /** PostgreSQL's data volume; undefined with the db service. */
  readonly dbData?: Volume;
  /** The variables that name the database's address: the web image's pods connect to what they say. */
  readonly databaseAddress: { readonly host: EnvVar; readonly port: EnvVar };
  /** The app's database and its two roles' variables: the owner (migrations) and web's runtime role. */
  readonly databaseRoles: {
    readonly name: EnvVar;
    readonly owner: { readonly user: EnvVar; readonly password: EnvVar };
    readonly web: { readonly user: EnvVar; readonly password: EnvVar };
  };
  readonly postgresVersion: number;
  /** The variable set to 'true' in web's pods when they connect through PgBouncer in transaction mode (cloudnative-pg). */
  readonly transactionPoolerVariable?: string;
  /**
   * The db service's WAL archiving on one host (pgBackRest, its image, volume and files): the cluster runs the
   * database without it, from the base image (point-in-time recovery there is an operator's job).
   */
  readonly dbArchive?: { readonly baseImage: string; readonly volume: Volume; readonly files: readonly string[]; readonly args: readonly string[] };
  readonly web: Service;
  /** The web image's numeric user. */
  readonly webUser: { readonly uid: number };
  /** The variables of the host names Django answers to and the origins it trusts: the Ingress's host sets both. */
  readonly djangoHosts: { readonly allowedHosts: EnvVar; readonly csrfTrustedOrigins: EnvVar };
  /** What a service is, as the part that made it declares (db, web, nginx); undefined for the rest. */
  roleOf(service: Service): ServiceRole | undefined;
  readonly nginx: Service;
  /** The compose stack's nginx site: the Kubernetes site copies its settings, with the cluster's resolver and upstream. */
  readonly site: NginxSite;
  readonly staticFiles: ServedFiles;
  /** Undefined when uploads are in a bucket: then there is no media claim. */
  readonly mediaFiles?: ServedFiles;
  /** The variable naming the S3 service's URL, when uploads are in a bucket: its readers connect to it. */
  readonly mediaEndpoint?: EnvVar;
  readonly healthPath: string;
  /** Where web's pods serve their metrics (Prometheus' format), never through nginx. */
  readonly metrics: { readonly port: number; readonly path: string };
  /** TLS ends in front of the stack (the stack's `tls`). */
  readonly tls: boolean;
  /** nginx serves HTTPS itself (tls mode files or acme): a single host's setup, not a cluster's. */
  readonly tlsAtNginx: boolean;
  /** Gunicorn workers per web pod. */
  readonly workers: number;
  /**
   * What web's pools may hold against the database: connections per worker (undefined without a pool) and the
   * database's max_connections less its reserve.
   */
  readonly databaseConnections: { readonly perWorker?: number; readonly maxConnections: number; readonly reservedConnections: number };
  /** The text synthesis writes to a file of the repository, for a file the model writes; undefined for any other. */
  fileContent(source: string): string | undefined;
}

/** What a service is to the cluster, which decides the kind of workload and its defaults. */
export type Role = ServiceRole | 'task' | 'service';

/**
 * The user ids of the registry images the stack itself runs. The official postgres image (Debian variants,
 * which `postgres:N` are) has `postgres` as uid/gid 999, and initdb needs its passwd entry, so PostgreSQL runs
 * as that user. nginx's master runs as any user when it is not root (it then ignores its `user` directive) and
 * writes only to the pod's empty directories, so it gets a uid above 10000, clear of the node's own users.
 */
export const POSTGRES_UID = 999;
export const NGINX_UID = 10101;

/** The Kubernetes name of a model name: "_" and "." become "-" (volume names allow them, Kubernetes names do not). */
export function k8sName(name: string): string {
  return name.replace(/[_.]/g, '-');
}

/** A DNS label from any text: lowercase, "-" for the rest, at most 63 characters (a hash keeps long ones apart). */
export function dnsLabel(text: string): string {
  const label = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  if (label.length <= 63) return label || 'x';
  return `${label.slice(0, 54).replace(/-+$/, '')}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

/** The first 16 hex digits of the SHA-256 of `text`: a pod template annotation that changes when a ConfigMap does. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** One PersistentVolumeClaim and who mounts it. */
export interface Claim {
  readonly volume: Volume;
  readonly name: string;
  readonly size: string;
  readonly accessMode: AccessMode;
  /** The workloads that mount it. */
  readonly users: readonly Service[];
}

interface ResolvedResources {
  readonly cpu: string;
  readonly memory: string;
  readonly cpuLimit: string;
  readonly memoryLimit: string;
}

/**
 * The stack as the cluster runs it: every option of the target resolved to its value, and every value that the
 * manifests share (names, labels, the services each one accepts traffic from, the ConfigMap's values) computed
 * once. Rendering reads it and never validates; `validateKubernetes` reads the same plan.
 */
export class KubernetesPlan {
  public readonly namespace: string;
  public readonly createNamespace: boolean;
  public readonly clusterDomain: string;
  public readonly dnsResolver: string;
  public readonly webImage: string;
  /** The default web image: the one a local cluster is given by hand, never pulled. */
  public readonly webImageIsLocal: boolean;
  public readonly replicas: number;
  public readonly proxyReplicas: number;
  public readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly cpuUtilization: number };
  public readonly ingress?: { readonly className?: string; readonly host?: string; readonly tlsSecretName?: string; readonly clusterIssuer?: string };
  public readonly storageClass?: string;
  public readonly databaseSize: string;
  /**
   * The database outside the cluster, when there is one: the stack's (`postgres.external`), or the target's
   * `externalDatabase` in place of the stack's own db service. Its host is undefined until given somewhere.
   */
  public readonly externalDatabase?: { readonly host?: string; readonly port: number };
  /** Where PostgreSQL runs; with `externalDatabase` alone, outside the cluster (as before the choice existed). */
  public readonly database: DatabaseMode;
  /** The CloudNativePG objects' values, with `database: 'cloudnative-pg'`. */
  public readonly cnpg?: {
    readonly cluster: string;
    readonly pooler: string;
    readonly instances: number;
    readonly poolerInstances: number;
    readonly apiServer: { readonly to: string; readonly port: number };
    readonly backup?: CloudNativePgBackupOptions & {
      readonly credentialsSecret: string; readonly schedule: string; readonly retention: string; readonly serverName: string;
    };
    readonly recovery?: CloudNativePgRecoveryOptions;
    readonly podMonitor: boolean;
    readonly operatorNamespace: string;
    /** PostgreSQL's max_connections in the instances: the stack's postgres.maxConnections. */
    readonly maxConnections: number;
    /** Server connections each PgBouncer pod opens to the database at most: max_connections less the reserved, shared among the pods. */
    readonly serverConnections: number;
    /** Client connections each PgBouncer pod takes: every web pool at once (all could reach one pod), and the reserved ones. */
    readonly clientConnections?: number;
  };
  /** Where the ingress controller connects from: nginx believes X-Forwarded-For from these only. */
  public readonly trustedProxies: readonly string[];
  /** Connections out of the namespace beyond the wiring, each with the services whose pods may make it. */
  public readonly egress: readonly { readonly to: string; readonly ports: readonly number[]; readonly from: readonly string[] }[];
  /**
   * Web's metrics: its port (named `metrics` on the container), path, and who may scrape them (the pods of
   * `scraperNamespace`, those with `scraperPodLabels` if given; nobody without it).
   */
  public readonly metrics: {
    readonly port: number; readonly portName: string; readonly path: string;
    readonly scraperNamespace?: string; readonly scraperPodLabels?: { readonly [label: string]: string }; readonly podMonitor: boolean;
  };
  /**
   * The S3 service uploads are stored in, when they are in a bucket: its URL (the ConfigMap's value), the port
   * that URL names, and the services that read it. Undefined when the URL is no http(s) URL (refused).
   */
  public readonly mediaBucket?: { readonly endpoint: string; readonly port: number; readonly clients: readonly Service[] };
  /** The Secret `npx projen k8s:secret` makes from `.env`; pods read their secret variables from it. */
  public readonly secretName: string;
  /** The ConfigMap of the non-secret variables. */
  public readonly configMapName: string;
  /** The ConfigMap holding nginx's site. */
  public readonly nginxConfigMapName: string;

  constructor(public readonly stack: KubernetesStackView, public readonly options: KubernetesTargetOptions) {
    const name = String(stack.name).toLowerCase();
    this.namespace = options.namespace ?? dnsLabel(name);
    this.createNamespace = options.createNamespace ?? true;
    this.clusterDomain = options.clusterDomain ?? 'cluster.local';
    this.dnsResolver = options.dnsResolver ?? `kube-dns.kube-system.svc.${this.clusterDomain}`;
    this.webImageIsLocal = options.webImage === undefined;
    this.webImage = options.webImage ?? `${stack.web.image.ref}:local`;
    this.replicas = options.replicas ?? 2;
    this.proxyReplicas = options.proxyReplicas ?? 2;
    if (options.autoscaling) {
      this.autoscaling = {
        minReplicas: options.autoscaling.minReplicas ?? this.replicas,
        maxReplicas: options.autoscaling.maxReplicas,
        cpuUtilization: options.autoscaling.cpuUtilization ?? 70,
      };
    }
    this.ingress = options.ingress === false ? undefined : { ...(options.ingress ?? {}) };
    this.storageClass = options.storage?.className;
    this.databaseSize = options.storage?.databaseSize ?? '10Gi';
    if (options.externalDatabase) {
      this.externalDatabase = { host: options.externalDatabase.host, port: options.externalDatabase.port ?? 5432 };
    } else if (!stack.db) {
      const { host, port } = stack.databaseAddress;
      this.externalDatabase = { host: options.environment?.[host.name] ?? host.default, port: Number(options.environment?.[port.name] ?? port.default) };
    }
    // Where PostgreSQL runs: with no db service or externalDatabase alone, outside the cluster (as before the choice existed).
    this.database = options.database ?? (this.externalDatabase ? 'external' : 'statefulset');
    const c = options.cloudNativePg;
    if (this.database === 'cloudnative-pg') {
      // The Cluster keeps the db service's name: its "-rw" Service is the primary, the Pooler's the way in.
      const cluster = k8sName(stack.db?.name ?? 'db');
      const backup = c?.backup || undefined;
      const poolerInstances = c?.poolerInstances ?? 2;
      const { perWorker, maxConnections, reservedConnections } = stack.databaseConnections;
      // The most web pods at once: the autoscaler's ceiling or the fixed count, and a rollout's extra pod.
      const webPods = (this.autoscaling?.maxReplicas ?? this.replicas) + 1;
      this.cnpg = {
        cluster,
        pooler: `${cluster}-pooler-rw`,
        instances: c?.instances ?? 3,
        poolerInstances,
        maxConnections,
        serverConnections: Math.floor((maxConnections - reservedConnections) / poolerInstances),
        clientConnections: perWorker === undefined ? undefined : webPods * stack.workers * perWorker + reservedConnections,
        apiServer: { to: c?.apiServer?.to as string, port: c?.apiServer?.port ?? 6443 },
        backup: backup && {
          ...backup,
          credentialsSecret: backup.credentialsSecret ?? `${cluster}-backup-credentials`,
          schedule: backup.schedule ?? '0 0 3 * * *',
          retention: backup.retention ?? '30d',
          serverName: backup.serverName ?? cluster,
        },
        recovery: c?.recovery,
        podMonitor: c?.podMonitor ?? false,
        operatorNamespace: c?.operatorNamespace ?? 'cnpg-system',
      };
    }
    // Read as given, whatever its type: validateKubernetes refuses what is not a list.
    this.trustedProxies = Array.isArray(options.trustedProxies) ? [...options.trustedProxies] : [];
    this.egress = (Array.isArray(options.egress) ? options.egress : []).map((e) => ({
      to: e?.to,
      ports: Array.isArray(e?.ports) ? [...e.ports] : [],
      // By default the pods of the code of this repository: they are the ones that send mail and call APIs.
      from: Array.isArray(e?.from) ? [...e.from] : stack.services.filter((s) => s.image === stack.web.image).map((s) => s.name),
    }));
    this.metrics = {
      ...stack.metrics, portName: 'metrics',
      scraperNamespace: options.metrics?.scraperNamespace, scraperPodLabels: options.metrics?.scraperPodLabels, podMonitor: options.metrics?.podMonitor === true,
    };
    const endpoint = stack.mediaEndpoint;
    const url = endpoint && parseHttpUrl(options.environment?.[endpoint.name] ?? endpoint.default);
    if (endpoint && url) {
      this.mediaBucket = {
        endpoint: url.href,
        port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        clients: stack.services.filter((s) => s.environment.includes(endpoint)),
      };
    }
    this.secretName = `${dnsLabel(name)}-secrets`;
    this.configMapName = `${dnsLabel(name)}-environment`;
    this.nginxConfigMapName = `${k8sName(stack.nginx.name)}-site`;
  }

  // ---- what runs

  /** The services the cluster runs as workloads of its own: every service of the stack but db unless it is the StatefulSet. */
  public get services(): Service[] {
    return this.stack.services.filter((s) => this.database === 'statefulset' || s !== this.stack.db);
  }

  /**
   * With CloudNativePG, the basic-auth Secrets the Cluster reads its two roles from: each named after the Cluster,
   * with the role's name (its ConfigMap value) and the variable of .env create-secret.sh takes its password from.
   */
  public get cnpgRoles(): { readonly secret: string; readonly user: string; readonly password: EnvVar }[] {
    if (!this.cnpg) return [];
    const { owner, web } = this.stack.databaseRoles;
    const value = (v: EnvVar) => this.configValues.find((c) => c.variable === v)?.value ?? v.default ?? '';
    return [
      { secret: `${this.cnpg.cluster}-app`, user: value(owner.user), password: owner.password },
      { secret: `${this.cnpg.cluster}-web`, user: value(web.user), password: web.password },
    ];
  }

  /** The services that connect to the database: those that read its address, or wait for the db service. */
  public get databaseClients(): Service[] {
    const { db, databaseAddress } = this.stack;
    return this.services.filter((s) => s !== db && (s.environment.includes(databaseAddress.host)
      || (db !== undefined && s.dependencies.some((d) => d.service === db && !d.completed))));
  }

  public role(service: Service): Role {
    return this.stack.roleOf(service) ?? (service.runs === 'once' ? 'task' : 'service');
  }

  /** Runs the image built from this repository (web, the migrations, a worker). */
  public runsWebImage(service: Service): boolean {
    return service.image === this.stack.web.image;
  }

  /** The image reference the pod names. */
  public image(service: Service): string {
    if (this.role(service) === 'database' && this.stack.dbArchive) return this.stack.dbArchive.baseImage;
    return this.runsWebImage(service) ? this.webImage : service.image.ref;
  }

  /** The arguments that replace the image's CMD (the db's archiving settings stay on one host). */
  public args(service: Service): readonly string[] | undefined {
    return this.role(service) === 'database' && this.stack.dbArchive ? this.stack.dbArchive.args : service.command;
  }

  /** The volumes a service mounts on the cluster (the db's pgBackRest repository stays on one host). */
  public mounts(service: Service): readonly VolumeMount[] {
    return service.mounts.filter((m) => m.volume !== this.stack.dbArchive?.volume);
  }

  /**
   * `Always` (checkov CKV_K8S_15: a tag may be pushed again), except for the default local web image, which is
   * loaded into the cluster by hand and exists in no registry.
   */
  public pullPolicy(service: Service): 'Always' | 'IfNotPresent' {
    return this.runsWebImage(service) && this.webImageIsLocal ? 'IfNotPresent' : 'Always';
  }

  /** The numeric user the service's containers run as; undefined for a registry image nobody named the user of. */
  public uid(service: Service): number | undefined {
    if (this.runsWebImage(service)) return this.stack.webUser.uid;
    if (this.role(service) === 'database') return POSTGRES_UID;
    if (this.role(service) === 'proxy') return NGINX_UID;
    return this.options.services?.[service.name]?.runAsUser;
  }

  public replicasOf(service: Service): number {
    switch (this.role(service)) {
      case 'web': return this.autoscaling?.minReplicas ?? this.replicas;
      case 'proxy': return this.proxyReplicas;
      case 'database': case 'task': return 1;
      default: return this.options.services?.[service.name]?.replicas ?? 1;
    }
  }

  /**
   * Directories the service writes to outside its volumes, as the model gives them (compose's tmpfs): each
   * becomes an emptyDir, the root filesystem being read-only. The target's `services` option may replace them.
   */
  public writablePaths(service: Service): readonly string[] {
    return this.options.services?.[service.name]?.writablePaths ?? service.writablePaths;
  }

  /**
   * The model's `limits` are the container's ceiling on every target; the scheduler reserves a quarter of
   * each, what a server idles at, so that a node holds the stack with room for its peaks.
   */
  public resources(service: Service): ResolvedResources {
    const { cpus, memory } = service.limits;
    const bytes = memoryBytes(memory);
    const base: ResolvedResources = {
      cpu: cpuQuantityOf(cpus / RESERVED_SHARE), memory: memoryQuantityOf(bytes / RESERVED_SHARE),
      cpuLimit: cpuQuantityOf(cpus), memoryLimit: memoryQuantityOf(bytes),
    };
    const given: ResourceOptions = this.options.resources?.[service.name] ?? {};
    return { ...base, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  }

  /** collectstatic in nginx's pod: one short-lived Python process. */
  public get collectStaticResources(): ResolvedResources {
    return { cpu: '100m', memory: '128Mi', cpuLimit: '500m', memoryLimit: '256Mi' };
  }

  /** nginx's site file as the stack mounts it into nginx: on the cluster, a ConfigMap at the same path. */
  public get nginxConf(): FileMount | undefined {
    return this.stack.nginx.fileMounts.find((f) => f.source === NginxConfFile.PATH);
  }

  /**
   * The other files of the repository a service mounts (PostgreSQL's app role script): on the cluster, a
   * ConfigMap of the service's at the same paths, with the text synthesis writes. Only files the model
   * writes itself can go there.
   */
  public repositoryFiles(service: Service, marker = ''): { readonly mount: FileMount; readonly key: string; readonly content?: string }[] {
    return service.fileMounts.filter((f) => f !== this.nginxConf && !this.stack.dbArchive?.files.includes(f.source)).map((mount) => ({
      mount,
      key: mount.source.slice(mount.source.lastIndexOf('/') + 1),
      // nginx's main configuration, for a pod that runs nginx as its own user: no `user` to switch to.
      content: mount.source === NginxMainConfFile.PATH
        ? renderNginxMainConf({
          workerConnections: this.stack.site.workerConnections,
          workerProcesses: workersFor(cpuQuantity(this.resources(this.stack.nginx).cpuLimit)),
        }, marker)
        : this.stack.fileContent(mount.source),
    }));
  }

  /** The name of the headless Service that governs a StatefulSet: its pods' own DNS names (db-0.db-pods). */
  public podsServiceName(service: Service): string {
    return `${k8sName(service.name)}-pods`;
  }

  /** The name of the ConfigMap holding a service's repository files. */
  public filesConfigMapName(service: Service): string {
    return `${k8sName(service.name)}-files`;
  }

  // ---- names and labels

  public labels(service: Service): Record<string, string> {
    return {
      ...this.selector(service),
      'app.kubernetes.io/component': this.role(service) === 'service' ? k8sName(service.name) : this.componentName(service),
      'app.kubernetes.io/managed-by': 'projen',
    };
  }

  /** The labels a workload's selector, its Service and the NetworkPolicies select its pods by. */
  public selector(service: Service): Record<string, string> {
    return { 'app.kubernetes.io/name': service.name, 'app.kubernetes.io/part-of': this.partOf };
  }

  /** Labels of objects that belong to the stack as a whole. */
  public get stackLabels(): Record<string, string> {
    return { 'app.kubernetes.io/part-of': this.partOf, 'app.kubernetes.io/managed-by': 'projen' };
  }

  private get partOf(): string {
    return dnsLabel(String(this.stack.name).toLowerCase());
  }

  private componentName(service: Service): string {
    return { database: 'database', web: 'server', proxy: 'proxy', task: 'migrations', service: 'service' }[this.role(service)];
  }

  /** The name of a service's port: what Services, probes and NetworkPolicies refer to. */
  public portName(service: Service): string {
    return { database: 'postgres', web: 'http', proxy: 'http', task: 'tcp', service: 'tcp' }[this.role(service)];
  }

  /** The web Service's fully qualified name: nginx's resolver does not search the pod's DNS domains. */
  public fqdn(service: Service): string {
    return `${service.name}.${this.namespace}.svc.${this.clusterDomain}`;
  }

  // ---- storage

  /** Claims of the stack's volumes, except PostgreSQL's data (a claim template of the StatefulSet) and the static files (emptyDirs). */
  public get claims(): Claim[] {
    const services = this.services;
    return this.stack.volumes
      .filter((v) => v !== this.stack.dbData && v !== this.stack.staticFiles.volume && v !== this.stack.dbArchive?.volume)
      .map((volume) => {
        const media = volume === this.stack.mediaFiles?.volume;
        return {
          volume,
          name: k8sName(volume.name),
          size: media ? this.options.storage?.mediaSize ?? '10Gi' : this.options.storage?.volumeSize ?? '1Gi',
          accessMode: media ? this.options.storage?.mediaAccessMode ?? 'ReadWriteMany' : 'ReadWriteOnce',
          users: services.filter((s) => s.mountPathOf(volume) !== undefined),
        };
      })
      .filter((c) => c.users.length > 0);
  }

  /** The ReadWriteOnce claims that several pods mount: their pods must share a node. */
  public colocatedClaims(service: Service): Claim[] {
    return this.claims.filter((c) => c.accessMode === 'ReadWriteOnce' && c.users.includes(service)
      && c.users.reduce((pods, s) => pods + this.replicasOf(s), 0) > 1);
  }

  // ---- environment

  /** The non-secret variables the cluster's services read, with their values for the cluster. */
  public get configValues(): { variable: EnvVar; value: string | undefined; origin: string }[] {
    const read = new Set(this.services.flatMap((s) => s.environment));
    return this.stack.env.all.filter((v) => !v.secret && read.has(v)).map((v) => ({ variable: v, ...this.configValue(v) }));
  }

  private configValue(v: EnvVar): { value: string | undefined; origin: string } {
    const given = this.options.environment?.[v.name];
    if (given !== undefined) return { value: given, origin: 'kubernetes environment in .projenrc.ts' };
    const db = this.options.externalDatabase && this.externalDatabase;
    if (db && v === this.stack.databaseAddress.host) return { value: db.host, origin: 'externalDatabase.host' };
    if (db && v === this.stack.databaseAddress.port) return { value: String(db.port), origin: 'externalDatabase.port' };
    if (this.cnpg && v === this.stack.databaseAddress.host) return { value: this.cnpg.pooler, origin: 'the CloudNativePG Pooler (PgBouncer)' };
    const host = this.ingress?.host;
    if (host && v === this.stack.djangoHosts.allowedHosts) return { value: host, origin: 'ingress.host' };
    if (host && v === this.stack.djangoHosts.csrfTrustedOrigins) {
      return { value: `${this.ingress?.tlsSecretName || this.stack.tls ? 'https' : 'http'}://${host}`, origin: 'ingress.host' };
    }
    if (v.value !== undefined) return { value: v.value, origin: 'the stack' };
    return { value: v.default, origin: 'its default' };
  }

  // ---- who talks to whom

  /**
   * The services that connect to `service`: those that depend on it, and those that read a variable naming it as
   * a host (POSTGRES_HOST=db, REDIS_URL=redis://redis:6379/0). nginx's upstream connects to nginx's app.
   */
  public clients(service: Service): Service[] {
    const values = new Map(this.configValues.map((c) => [c.variable, c.value]));
    const names = (v: EnvVar) => {
      const value = values.get(v);
      if (value === undefined) return false;
      return value === service.name || new RegExp(`^[a-z][a-z0-9+.-]*://([^@/]*@)?${service.name}(:[0-9]+)?(/|$)`).test(value);
    };
    return this.services.filter((s) => s !== service && (
      s.dependencies.some((d) => d.service === service && !d.completed)
      || s.environment.some(names)
      || (this.role(s) === 'proxy' && this.stack.site.upstream === service)));
  }
}

/** The share of a container's limits the scheduler reserves for it: a quarter. */
const RESERVED_SHARE = 4;

/** CPUs as a Kubernetes quantity: whole CPUs as they are (`1`), others in millicores (`250m`), at least 1m. */
function cpuQuantityOf(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.max(1, Math.ceil(cpus * 1000))}m`;
}

/** Bytes as a Kubernetes quantity, in the largest binary unit that holds them whole (`1Gi`, `256Mi`, `1536Ki`). */
function memoryQuantityOf(bytes: number): string {
  for (const [unit, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${Math.ceil(bytes / 1024)}Ki`;
}

/** A Kubernetes CPU quantity (`500m`, `1`, `2.5`) in CPUs. */
function cpuQuantity(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** An http:// or https:// URL, parsed; undefined for anything else. */
export function parseHttpUrl(text: string | undefined): URL | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
