import { Duration, named, Problem } from '../core';
import { Service } from '../model';
import { ServedFiles } from './served-files';

export interface NginxSiteOptions {
  /**
   * Largest request body nginx accepts (uploads); nginx's own default is 1m.
   * @default '25m'
   */
  readonly maxUploadSize?: string;
  /**
   * TLS is terminated in front of nginx (a load balancer), which sets X-Forwarded-Proto; nginx passes
   * that header on instead of its own `$scheme`. Only for an nginx that nothing but the TLS proxy reaches.
   * @default false
   */
  readonly behindTlsProxy?: boolean;
  /**
   * The DNS server nginx asks for the app's address, on every request once the last answer is older than
   * `resolveValidSeconds`, instead of once at start: a restarted, recreated or scaled app container gets a
   * new address.
   * @default '127.0.0.11' - Docker's embedded DNS, on every compose network
   */
  readonly resolver?: string;
  /**
   * How long nginx uses an address it looked up for the app. Within that time after the app's container
   * goes away, requests still go to its old address and wait for `connectTimeoutSeconds`.
   * @default 1
   */
  readonly resolveValidSeconds?: number;
  /**
   * How long nginx waits to connect to the app. The app is on the same network: a connect that takes
   * longer means its address is gone, and the client gets 504 instead of waiting nginx's default 60 s.
   * @default 5
   */
  readonly connectTimeoutSeconds?: number;
  /**
   * How long nginx waits for the app's response (between two reads) before answering 504: the longest a
   * request may take, the same value the app server's graceful stop waits for.
   * @default Duration.seconds(60) - nginx's own
   */
  readonly readTimeout?: Duration;
}

/** Response headers nginx adds to everything it sends. */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'same-origin'],
];

/** Text types worth compressing; nginx always includes text/html, and listing it again is a warning. */
export const GZIP_TYPES: readonly string[] = [
  'text/css', 'text/javascript', 'text/plain', 'text/xml', 'application/javascript', 'application/json',
  'application/graphql-response+json', 'application/xml', 'application/manifest+json', 'image/svg+xml',
];

const SIZE = /^[1-9][0-9]*[kmg]?$/;

/** The nginx site in front of the app: static and media files from volumes, everything else proxied. */
export class NginxSite {
  public readonly maxUploadSize: string;
  public readonly behindTlsProxy: boolean;
  public readonly resolver: string;
  public readonly resolveValidSeconds: number;
  public readonly connectTimeoutSeconds: number;
  public readonly readTimeout: Duration;
  private _upstream?: Service;
  private readonly _served: ServedFiles[] = [];

  constructor(public readonly service: Service, options: NginxSiteOptions = {}) {
    this.maxUploadSize = options.maxUploadSize ?? '25m';
    this.behindTlsProxy = options.behindTlsProxy ?? false;
    this.resolver = options.resolver ?? '127.0.0.11';
    this.resolveValidSeconds = options.resolveValidSeconds ?? 1;
    this.connectTimeoutSeconds = options.connectTimeoutSeconds ?? 5;
    this.readTimeout = options.readTimeout ?? Duration.seconds(60);
  }

  /** Proxies every request not served from a volume to `service`, at the port it listens on. */
  public proxyTo(service: Service): this {
    this._upstream = service;
    return this;
  }

  /** Serves `files` from the volume this nginx service mounts it at. */
  public serve(files: ServedFiles): this {
    if (this._served.includes(files)) throw new Error(`nginx: ${files.name} files are already served`);
    this._served.push(files);
    return this;
  }

  public get upstream(): Service | undefined {
    return this._upstream;
  }

  public get served(): ServedFiles[] {
    return [...this._served];
  }

  public validate(): Problem[] {
    const component = 'nginx';
    const problems: Problem[] = [];
    const bytes = SIZE.test(this.maxUploadSize) ? parseInt(this.maxUploadSize, 10) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[this.maxUploadSize.slice(-1)] ?? 1) : NaN;
    if (!(bytes <= 1024 ** 4)) {
      problems.push({ component, field: 'maxUploadSize', value: this.maxUploadSize, allowed: 'a size such as 512k, 25m or 1g, at most 1024g' });
    }
    for (const [field, value, max] of [['resolveValidSeconds', this.resolveValidSeconds, 3600], ['connectTimeoutSeconds', this.connectTimeoutSeconds, 75]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > max) {
        problems.push({ component, field, value, allowed: `a whole number of seconds from 1 to ${max}` });
      }
    }
    if (!/^(\d{1,3}(\.\d{1,3}){3}|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/.test(this.resolver)) {
      problems.push({ component, field: 'resolver', value: this.resolver, allowed: 'a DNS server address or name, optionally with :port, e.g. 127.0.0.11' });
    }
    if (this.service.port === undefined) {
      problems.push({ component, field: 'port', value: undefined, allowed: 'nginx listens on a port (nginx: { port: 80 })' });
    }
    if (!this._upstream) {
      problems.push({ component, field: 'upstream', value: undefined, allowed: 'nginx proxies to a service: nginx.proxyTo(stack.web)' });
    } else if (this._upstream.port === undefined) {
      problems.push({ component, field: 'upstream', value: this._upstream.name,
        allowed: `nginx proxies to a service that listens on a port; ${named('service', this._upstream.name)} declares none` });
    }
    for (const files of this._served) {
      if (this.service.mountPathOf(files.volume) === undefined) {
        problems.push({ component, field: `serve(${files.name}).volume`, value: files.volume.name,
          allowed: `nginx serves ${files.url} from a volume it mounts; mount it with nginx.mount(path, volume, { readOnly: true })` });
      }
    }
    return problems;
  }
}
