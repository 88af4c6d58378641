import { checkContainerPath, checkDescription, checkDurationValue, checkOptionKeys, checkPort, Duration, named, optionKeys, Problem } from '../core';
import { EnvVar } from './env-var';
import { Healthcheck } from './healthcheck';
import { Image } from './image';
import { Network } from './network';
import { Volume } from './volume';

/**
 * A service name is its host name on every target: a DNS label (RFC 1123) as Kubernetes requires it, so
 * lowercase letters, digits and "-", at most 63 characters, starting with a letter.
 */
const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface ServiceOptions {
  /** What the service runs; a string is an image from a registry, e.g. `'redis:7.4-alpine'`. */
  readonly image: Image | string;
  /**
   * The port the service listens on. Other services reach it as `name:port`.
   * @default - the service listens on no port
   */
  readonly port?: number;
  /**
   * The command, overriding the image's own.
   * @default - the image's command
   */
  readonly command?: string[];
  /**
   * The program the command is given to, overriding the image's entrypoint (for an image whose entrypoint
   * is a tool, to run a script instead).
   * @default - the image's entrypoint
   */
  readonly entrypoint?: string[];
  /**
   * How the platform tells the service is ready; `dependsOn(service, { healthy: true })` needs one.
   * @default - none
   */
  readonly healthcheck?: Healthcheck;
  /**
   * What the service is for, one line, for the generated docs.
   * @default - none
   */
  readonly description?: string;
  /**
   * `continuously`: a server, brought back when it stops. `once`: a task that runs to completion on each
   * deploy (migrations); others wait for it with `dependsOn(task, { completed: true })`.
   * @default 'continuously'
   */
  readonly runs?: 'continuously' | 'once';
  /**
   * How long the service gets to finish what it is doing when it is stopped, before it is killed.
   * @default Duration.seconds(10) - the platform's usual
   */
  readonly stopGracePeriod?: Duration;
  /**
   * The container's own filesystem is read-only: a compromised process cannot change the code it runs or
   * leave files behind. It writes only to its volumes and to `writablePaths`.
   * @default true
   */
  readonly readOnlyRoot?: boolean;
  /**
   * The user the process starts as, a name of the image's or a numeric uid (`uid:gid` for a group too). A
   * server whose image starts it as root only to hand its files to its own user and switch to it needs
   * capabilities to do so; started as that user, it needs none.
   * @default - the image's
   */
  readonly user?: string;
  /**
   * Paths the process may write to besides its volumes, each an empty in-memory filesystem at every start.
   * @default ['/tmp']
   */
  readonly writablePaths?: string[];
  /**
   * Linux capabilities the process keeps; every other one is dropped. A server that starts as root and
   * switches to its own user (postgres, nginx) needs CHOWN, SETUID and SETGID to do so.
   * @default - none
   */
  readonly capabilities?: string[];
  /**
   * Kernel settings of the container's own network namespace (net.*), such as its local port range: compose's
   * `sysctls`, a pod's `securityContext.sysctls` (where the kubelet runs only its safe set unless told).
   * @default - the kernel's
   */
  readonly sysctls?: { readonly [name: string]: string };
  /**
   * The most the container may use: memory (k, m or g), CPUs (a share of one: 0.5, 1, 2) and processes. A
   * service under attack or with a leak is stopped at its limit instead of starving the rest of the host.
   * @default - 512m, 1 CPU, 256 processes
   */
  readonly limits?: ResourceLimits;
}

export interface ResourceLimits {
  /** @default '512m' */
  readonly memory?: string;
  /** @default 1 */
  readonly cpus?: number;
  /** @default 256 */
  readonly pids?: number;
}

const SERVICE_KEYS = optionKeys<ServiceOptions>()({
  image: true, port: true, command: true, entrypoint: true, healthcheck: true, description: true, runs: true, stopGracePeriod: true,
  readOnlyRoot: true, user: true, writablePaths: true, capabilities: true, sysctls: true, limits: true,
});

/** A user name of an image's /etc/passwd, or a uid, optionally with a group name or gid. */
const USER = /^([a-z_][a-z0-9_-]{0,31}|[0-9]{1,10})(:([a-z_][a-z0-9_-]{0,31}|[0-9]{1,10}))?$/;

const LIMIT_KEYS = optionKeys<ResourceLimits>()({ memory: true, cpus: true, pids: true });

/** The capabilities a container may keep (capabilities(7)); the container runtime knows no others. */
export const CAPABILITIES: readonly string[] = [
  'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN', 'DAC_OVERRIDE',
  'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN',
  'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE',
  'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
];

/** Docker refuses a memory limit under 6 MiB. */
const MEMORY = /^[1-9][0-9]{0,6}[kmg]$/;
const BYTES: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** The bytes of a memory size as `limits.memory` takes it (`512m`, `1g`); NaN for anything else. */
export function memoryBytes(size: string): number {
  return MEMORY.test(size) ? parseInt(size, 10) * BYTES[size.slice(-1)] : NaN;
}

/**
 * What a part's server is to a platform that runs each kind its own way (Kubernetes: the database as a
 * StatefulSet, web scaled and probed on its health path, the proxy in front). Other services have none.
 */
export type ServiceRole = 'database' | 'web' | 'proxy';

/** A named volume mounted into a service. */
export interface VolumeMount {
  readonly volume: Volume;
  readonly path: string;
  readonly readOnly: boolean;
  /** Why the mount is where it is, written as a comment beside it. */
  readonly note?: string;
}

/** A file of this repository given to a service at a path (nginx's config); always read-only. */
export interface FileMount {
  readonly source: string;
  readonly path: string;
  readonly note?: string;
}

/** A port by which the service is reached from outside the stack (the host, a load balancer). */
export interface PublishedPort {
  readonly host: number;
  readonly container: number;
}

export interface Dependency {
  readonly service: Service;
  /** Wait for the dependency's healthcheck to pass, not only for it to start. */
  readonly healthy: boolean;
  /** Wait for the dependency (a task that runs once) to finish successfully. */
  readonly completed: boolean;
}

export interface DependsOnOptions {
  /**
   * Wait until the dependency's healthcheck passes.
   * @default false
   */
  readonly healthy?: boolean;
  /**
   * Wait until the dependency, a service that runs once, has finished successfully.
   * @default false
   */
  readonly completed?: boolean;
}

export interface MountOptions {
  /**
   * Mount read-only.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Why the mount is where it is, written as a comment beside it.
   * @default - none
   */
  readonly note?: string;
}

/**
 * One service of the stack: an image, the port it listens on, what it mounts, the variables it reads, how
 * its health is checked and what it waits for. Mounts, dependencies and variables reference other model
 * objects, so a renamed volume, service or variable is renamed everywhere at once. Mistakes made while
 * declaring (a path mounted twice, a service waiting for itself) are kept and reported with every other
 * problem of the stack, not thrown at the call.
 */
export class Service {
  public readonly name: string;
  public readonly image: Image;
  public readonly port?: number;
  public readonly command?: readonly string[];
  public readonly entrypoint?: readonly string[];
  public readonly healthcheck?: Healthcheck;
  public readonly description?: string;
  public readonly runs: 'continuously' | 'once';
  public readonly stopGracePeriod?: Duration;
  public readonly readOnlyRoot: boolean;
  public readonly user?: string;
  public readonly writablePaths: readonly string[];
  public readonly capabilities: readonly string[];
  public readonly sysctls: { readonly [name: string]: string };
  public readonly limits: Required<ResourceLimits>;

  private readonly options: ServiceOptions;
  private readonly _networks: Network[] = [];
  private _defaultNetwork?: Network;
  private readonly _mounts: VolumeMount[] = [];
  private readonly _fileMounts: FileMount[] = [];
  private readonly _published: PublishedPort[] = [];
  private readonly _dependencies: Dependency[] = [];
  private readonly _environment: EnvVar[] = [];
  private readonly _problems: Problem[] = [];

  constructor(name: string, options: ServiceOptions) {
    this.name = name;
    this.options = options;
    this.image = typeof options.image === 'string' ? Image.fromRegistry(options.image) : options.image;
    this.port = options.port;
    this.command = options.command ? [...options.command] : undefined;
    this.entrypoint = options.entrypoint ? [...options.entrypoint] : undefined;
    this.healthcheck = options.healthcheck;
    this.description = options.description;
    this.runs = options.runs ?? 'continuously';
    this.stopGracePeriod = options.stopGracePeriod;
    this.readOnlyRoot = options.readOnlyRoot ?? true;
    this.user = options.user;
    this.writablePaths = [...(options.writablePaths ?? ['/tmp'])];
    this.capabilities = [...(options.capabilities ?? [])];
    this.sysctls = { ...(options.sysctls ?? {}) };
    this.limits = { memory: options.limits?.memory ?? '512m', cpus: options.limits?.cpus ?? 1, pids: options.limits?.pids ?? 256 };
  }

  private get component(): string {
    return named('service', this.name);
  }

  private taken(path: string): boolean {
    if (this._mounts.some((m) => m.path === path) || this._fileMounts.some((m) => m.path === path)) {
      this._problems.push({ component: this.component, field: 'mounts', value: path, allowed: 'one mount per path' });
      return true;
    }
    return false;
  }

  /** Mounts a named volume at `path` in the container. */
  public mount(path: string, volume: Volume, options: MountOptions = {}): this {
    if (!this.taken(path)) this._mounts.push({ volume, path, readOnly: options.readOnly ?? false, note: options.note });
    return this;
  }

  /** Gives the service a file of this repository (path relative to the repository root), read-only, at `path`. */
  public mountFile(source: string, path: string, options: { readonly note?: string } = {}): this {
    if (!this.taken(path)) this._fileMounts.push({ source, path, note: options.note });
    return this;
  }

  /**
   * Makes the service reachable from outside the stack.
   * @param hostPort the port outside
   * @param containerPort the port the service listens on; defaults to the service's `port`
   */
  public publish(hostPort: number, containerPort?: number): this {
    const container = containerPort ?? this.port;
    if (container === undefined) {
      this._problems.push({ component: this.component, field: 'ports', value: hostPort,
        allowed: `publish(${hostPort}) needs the port the service listens on: give the service a port, or publish(${hostPort}, containerPort)` });
      return this;
    }
    this._published.push({ host: hostPort, container });
    return this;
  }

  /** Starts this service after `service` (after it is healthy with `{ healthy: true }`). */
  public dependsOn(service: Service, options: DependsOnOptions = {}): this {
    if (service === this) {
      this._problems.push({ component: this.component, field: 'dependsOn', value: service.name, allowed: 'another service: a service cannot wait for itself' });
    } else if (this._dependencies.some((d) => d.service === service)) {
      this._problems.push({ component: this.component, field: 'dependsOn', value: service.name, allowed: 'each dependency once' });
    } else {
      this._dependencies.push({ service, healthy: options.healthy ?? false, completed: options.completed ?? false });
    }
    return this;
  }

  /** Puts the service on `networks`: it reaches, and is reached by, the services on them only. */
  public joins(...networks: Network[]): this {
    for (const n of networks) if (!this._networks.includes(n)) this._networks.push(n);
    return this;
  }

  /** The network the service is on as long as it joins none itself. */
  public joinsByDefault(network: Network): this {
    this._defaultNetwork = network;
    return this;
  }

  /** The service reads these variables of the stack's environment contract. */
  public reads(...variables: EnvVar[]): this {
    for (const v of variables) if (!this._environment.includes(v)) this._environment.push(v);
    return this;
  }

  /** The service's address inside the stack as a URL: `redis.url('redis', 6379, '/0')`. */
  public url(scheme: string, port: number | undefined = this.port, path = ''): string {
    return `${scheme}://${this.name}${port === undefined ? '' : `:${port}`}${path}`;
  }

  /** Where this service mounts `volume`, if it does. */
  public mountPathOf(volume: Volume): string | undefined {
    return this._mounts.find((m) => m.volume === volume)?.path;
  }

  public get mounts(): VolumeMount[] {
    return [...this._mounts];
  }

  public get fileMounts(): FileMount[] {
    return [...this._fileMounts];
  }

  public get publishedPorts(): PublishedPort[] {
    return [...this._published];
  }

  public get dependencies(): Dependency[] {
    return [...this._dependencies];
  }

  /** The networks the service is on (those it joined, else its default one); none means the platform's default network. */
  public get networks(): Network[] {
    if (this._networks.length === 0 && this._defaultNetwork) return [this._defaultNetwork];
    return [...this._networks];
  }

  /** The variables the service reads, in the order it was given them. */
  public get environment(): EnvVar[] {
    return [...this._environment];
  }

  /** Problems local to this service; rules that span services are checked by the stack. */
  public validate(): Problem[] {
    const component = this.component;
    const problems: Problem[] = [
      ...checkOptionKeys(component, this.options, SERVICE_KEYS),
      ...(SERVICE_NAME.test(this.name) ? [] : [{ component, field: 'name', value: this.name,
        allowed: 'a DNS label, the service\'s host name on every target: lowercase letters, digits and "-", starting with a letter, at most 63 characters' }]),
      ...this.image.validate(component),
      ...checkPort(component, 'port', this.port),
      ...(this.healthcheck?.validate(component) ?? []),
      ...checkDescription(component, 'description', this.description),
      ...checkDurationValue(component, 'stopGracePeriod', this.stopGracePeriod, { max: Duration.hours(1) }),
      ...this._problems,
      ...this.validateConfinement(component),
    ];
    if (this.runs !== 'continuously' && this.runs !== 'once') {
      problems.push({ component, field: 'runs', value: this.runs, allowed: '"continuously" (a server) or "once" (a task run on each deploy)' });
    }
    for (const d of this._dependencies) {
      if (d.healthy && d.completed) {
        problems.push({ component, field: `dependsOn(${d.service.name})`, value: 'healthy and completed',
          allowed: 'one of them: healthy for a server, completed for a task that runs once' });
      } else if (d.completed && d.service.runs !== 'once') {
        problems.push({ component, field: `dependsOn(${d.service.name}).completed`, value: true,
          allowed: `waiting for completion needs a service that runs once; "${d.service.name}" runs continuously` });
      }
    }
    this._published.forEach((p, i) => {
      problems.push(...checkPort(component, `ports[${i}].host`, p.host), ...checkPort(component, `ports[${i}].container`, p.container));
    });
    for (const m of [...this._mounts, ...this._fileMounts]) {
      const field = `mount path of ${'volume' in m ? named('volume', m.volume.name) : m.source}`;
      problems.push(...checkContainerPath(component, field, m.path));
      if (m.path === '/') problems.push({ component, field, value: m.path, allowed: 'a directory below /: a mount at / would hide the whole image' });
    }
    return problems;
  }

  private validateConfinement(component: string): Problem[] {
    const problems: Problem[] = [...checkOptionKeys(`${component} limits`, this.options.limits, LIMIT_KEYS)];
    if (typeof this.readOnlyRoot !== 'boolean') problems.push({ component, field: 'readOnlyRoot', value: this.readOnlyRoot, allowed: 'true or false' });
    if (this.user !== undefined && !(typeof this.user === 'string' && USER.test(this.user))) {
      problems.push({ component, field: 'user', value: this.user, allowed: 'a user name or uid, optionally with :group or :gid, such as postgres or 999:999' });
    }
    this.writablePaths.forEach((path, i) => {
      problems.push(...checkContainerPath(component, `writablePaths[${i}]`, path));
      if (path === '/') problems.push({ component, field: `writablePaths[${i}]`, value: path, allowed: 'a directory below /; to write anywhere, set readOnlyRoot: false' });
    });
    this.capabilities.forEach((cap, i) => {
      if (!CAPABILITIES.includes(cap)) {
        problems.push({ component, field: `capabilities[${i}]`, value: cap, allowed: 'a Linux capability without the CAP_ prefix, such as CHOWN, SETUID or NET_BIND_SERVICE' });
      }
    });
    for (const [name, value] of Object.entries(this.sysctls)) {
      if (!/^net\.[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(name)) {
        problems.push({ component, field: `sysctls.${name}`, value, allowed: "a setting of the container's own network namespace, net.*, such as net.ipv4.ip_local_port_range" });
      } else if (typeof value !== 'string' || !/^[0-9]+( [0-9]+)*$/.test(value)) {
        problems.push({ component, field: `sysctls.${name}`, value, allowed: "its value as a string of numbers, such as '1024 65535'" });
      }
    }
    const { memory, cpus, pids } = this.limits;
    const bytes = memoryBytes(memory);
    if (!(bytes >= 6 * 1024 ** 2)) problems.push({ component, field: 'limits.memory', value: memory, allowed: 'a size with k, m or g of at least 6m, such as 512m or 1g' });
    if (typeof cpus !== 'number' || !(cpus >= 0.01 && cpus <= 256) || Math.round(cpus * 100) !== cpus * 100) {
      problems.push({ component, field: 'limits.cpus', value: cpus, allowed: 'a number of CPUs from 0.01 to 256, at most two decimals, such as 0.5 or 2' });
    }
    if (!Number.isInteger(pids) || pids < 16 || pids > 1_000_000) {
      problems.push({ component, field: 'limits.pids', value: pids, allowed: 'a whole number of processes from 16 to 1000000' });
    }
    for (const path of this.writablePaths) {
      if ([...this._mounts, ...this._fileMounts].some((m) => m.path === path)) {
        problems.push({ component, field: 'writablePaths', value: path, allowed: 'a path no volume or file is mounted at' });
      }
    }
    return problems;
  }
}
