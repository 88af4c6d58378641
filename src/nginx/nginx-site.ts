import { checkPattern, Problem } from '../core';
import { Service } from '../compose';
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
   * Seconds nginx keeps an idle connection to the app open for reuse. The app server's own keep-alive
   * is set longer (see `appKeepAliveSeconds`), so nginx never sends on a connection the app just closed.
   * @default 60
   */
  readonly upstreamKeepaliveSeconds?: number;
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
  public readonly upstreamKeepaliveSeconds: number;
  private _upstream?: Service;
  private readonly _served: ServedFiles[] = [];

  constructor(public readonly service: Service, options: NginxSiteOptions = {}) {
    this.maxUploadSize = options.maxUploadSize ?? '25m';
    this.behindTlsProxy = options.behindTlsProxy ?? false;
    this.upstreamKeepaliveSeconds = options.upstreamKeepaliveSeconds ?? 60;
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

  /** Keep-alive the app server should use: longer than nginx's idle timeout to it. */
  public get appKeepAliveSeconds(): number {
    return this.upstreamKeepaliveSeconds + 5;
  }

  public get upstream(): Service | undefined {
    return this._upstream;
  }

  public get served(): ServedFiles[] {
    return [...this._served];
  }

  public validate(): Problem[] {
    const component = 'nginx';
    const problems: Problem[] = [
      ...checkPattern(component, 'maxUploadSize', this.maxUploadSize, SIZE, 'a size such as 512k, 25m or 1g'),
    ];
    if (!Number.isInteger(this.upstreamKeepaliveSeconds) || this.upstreamKeepaliveSeconds < 1 || this.upstreamKeepaliveSeconds > 3600) {
      problems.push({ component, field: 'upstreamKeepaliveSeconds', value: this.upstreamKeepaliveSeconds, allowed: 'a whole number of seconds from 1 to 3600' });
    }
    if (this.service.port === undefined) {
      problems.push({ component, field: 'port', value: undefined, allowed: 'nginx listens on a port (nginx: { port: 80 })' });
    }
    if (!this._upstream) {
      problems.push({ component, field: 'upstream', value: undefined, allowed: 'nginx proxies to a service: nginx.proxyTo(stack.web)' });
    } else if (this._upstream.port === undefined) {
      problems.push({ component, field: 'upstream', value: this._upstream.name,
        allowed: `nginx proxies to a service that listens on a port; service "${this._upstream.name}" declares none` });
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
