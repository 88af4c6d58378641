import { checkContainerPath, checkPattern, checkPort, Problem } from '../core';
import { Healthcheck } from './healthcheck';
import { Image } from './image';
import { Volume } from './volume';

/** Service names are also host names on the compose network, so no dots or upper case. */
const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped';
const RESTART_POLICIES: readonly RestartPolicy[] = ['no', 'always', 'on-failure', 'unless-stopped'];

export interface ServiceOptions {
  /** What the service runs; a string is an image from a registry, e.g. `'redis:7.4-alpine'`. */
  readonly image: Image | string;
  /**
   * The port the service listens on inside the compose network. Other services reach it as `name:port`.
   * @default - the service listens on no port
   */
  readonly port?: number;
  /**
   * The command, overriding the image's `CMD`.
   * @default - the image's command
   */
  readonly command?: string[];
  /**
   * How compose tells the service is ready; `dependsOn(service, { healthy: true })` needs one.
   * @default - none
   */
  readonly healthcheck?: Healthcheck;
  /**
   * Restart policy. `unless-stopped` brings the stack back after a crash or a reboot of the host.
   * @default 'unless-stopped'
   */
  readonly restart?: RestartPolicy;
  /**
   * What the service is for, one line, for the generated docs.
   * @default - none
   */
  readonly description?: string;
}

/** A named volume mounted into a service. */
export interface VolumeMount {
  readonly volume: Volume;
  readonly path: string;
  readonly readOnly: boolean;
  /** Why the mount is where it is, written as a comment above it in the compose file. */
  readonly note?: string;
}

/** A file of this repository bind-mounted into a service (nginx's config). */
export interface FileMount {
  readonly source: string;
  readonly path: string;
  readonly readOnly: boolean;
  readonly note?: string;
}

export interface PublishedPort {
  readonly host: number;
  readonly container: number;
}

export interface Dependency {
  readonly service: Service;
  /** Wait for the dependency's healthcheck to pass, not only for it to start. */
  readonly healthy: boolean;
}

export interface DependsOnOptions {
  /**
   * Wait until the dependency's healthcheck passes (`condition: service_healthy`).
   * @default false
   */
  readonly healthy?: boolean;
}

export interface MountOptions {
  /**
   * Mount read-only (`:ro`).
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Why the mount is where it is, written as a comment above it in the compose file.
   * @default - none
   */
  readonly note?: string;
}

/**
 * One service of the compose file. Mounts, published ports and dependencies reference other model
 * objects, so a renamed volume or service is renamed everywhere at once.
 */
export class Service {
  public readonly name: string;
  public readonly image: Image;
  public readonly port?: number;
  public readonly command?: readonly string[];
  public readonly healthcheck?: Healthcheck;
  public readonly restart: RestartPolicy;
  public readonly description?: string;

  private readonly _mounts: VolumeMount[] = [];
  private readonly _fileMounts: FileMount[] = [];
  private readonly _published: PublishedPort[] = [];
  private readonly _dependencies: Dependency[] = [];

  constructor(name: string, options: ServiceOptions) {
    this.name = name;
    this.image = typeof options.image === 'string' ? Image.fromRegistry(options.image) : options.image;
    this.port = options.port;
    this.command = options.command ? [...options.command] : undefined;
    this.healthcheck = options.healthcheck;
    this.restart = options.restart ?? 'unless-stopped';
    this.description = options.description;
  }

  /** Mounts a named volume at `path` in the container. */
  public mount(path: string, volume: Volume, options: MountOptions = {}): this {
    if (this._mounts.some((m) => m.path === path) || this._fileMounts.some((m) => m.path === path)) {
      throw new Error(`service "${this.name}": something is already mounted at ${path}`);
    }
    this._mounts.push({ volume, path, readOnly: options.readOnly ?? false, note: options.note });
    return this;
  }

  /** Bind-mounts a file of this repository (path relative to the repository root) at `path`. */
  public mountFile(source: string, path: string, options: MountOptions = {}): this {
    if (this._mounts.some((m) => m.path === path) || this._fileMounts.some((m) => m.path === path)) {
      throw new Error(`service "${this.name}": something is already mounted at ${path}`);
    }
    this._fileMounts.push({ source, path, readOnly: options.readOnly ?? false, note: options.note });
    return this;
  }

  /**
   * Publishes a port on the host.
   * @param hostPort the port on the host
   * @param containerPort the port in the container; defaults to the service's `port`
   */
  public publish(hostPort: number, containerPort?: number): this {
    const container = containerPort ?? this.port;
    if (container === undefined) {
      throw new Error(`service "${this.name}": publish(${hostPort}) needs a container port; the service declares no port`);
    }
    this._published.push({ host: hostPort, container });
    return this;
  }

  /** Starts this service after `service` (after it is healthy with `{ healthy: true }`). */
  public dependsOn(service: Service, options: DependsOnOptions = {}): this {
    if (service === this) throw new Error(`service "${this.name}" cannot depend on itself`);
    if (this._dependencies.some((d) => d.service === service)) {
      throw new Error(`service "${this.name}" already depends on "${service.name}"`);
    }
    this._dependencies.push({ service, healthy: options.healthy ?? false });
    return this;
  }

  /** The service's address on the compose network as a URL: `redis.url('redis', 6379, '/0')`. */
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

  /** Problems local to this service; rules that span services are checked by the stack. */
  public validate(): Problem[] {
    const component = `service "${this.name}"`;
    const problems: Problem[] = [
      ...checkPattern(component, 'name', this.name, SERVICE_NAME,
        'a service name is lowercase letters, digits, "_" and "-", starting with a letter or digit (it is also a host name)'),
      ...this.image.validate(component),
      ...checkPort(component, 'port', this.port),
      ...(this.healthcheck?.validate(component) ?? []),
    ];
    if (!RESTART_POLICIES.includes(this.restart)) {
      problems.push({ component, field: 'restart', value: this.restart, allowed: `one of ${RESTART_POLICIES.join(', ')}` });
    }
    this._published.forEach((p, i) => {
      problems.push(...checkPort(component, `ports[${i}].host`, p.host), ...checkPort(component, `ports[${i}].container`, p.container));
    });
    for (const m of [...this._mounts, ...this._fileMounts]) {
      problems.push(...checkContainerPath(component, `mount path of ${'volume' in m ? `volume "${m.volume.name}"` : m.source}`, m.path));
    }
    return problems;
  }
}
