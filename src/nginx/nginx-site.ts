import { Duration, isCidr, named, Problem } from '../core';
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
  /**
   * The host names the site answers. A request for any other Host (a scanner trying the address, a
   * domain pointed at the server by someone else) is closed without an answer.
   * @default - every host name
   */
  readonly serverNames?: string[];
  /**
   * Addresses (CIDR) of the proxy in front (the TLS proxy of `behindTlsProxy`, a cluster's ingress
   * controller). Only from them does nginx take the client's address from X-Forwarded-For, and with
   * `behindTlsProxy` the scheme from X-Forwarded-Proto; anyone else who sends those headers is not believed.
   * @default - none
   */
  readonly trustedProxies?: string[];
  /**
   * How long nginx waits for a client between two reads of its request (headers, body) or two writes of
   * the response, and how long an idle keep-alive connection stays open. A client slower than that is
   * cut off: a slow-headers or slow-body client cannot hold a connection.
   * @default Duration.seconds(10)
   */
  readonly clientTimeout?: Duration;
  /**
   * Connections one client address may have open at once with a request in progress; more are answered 429.
   * @default 100
   */
  readonly connectionsPerClient?: number;
  /**
   * Login forms (each password check costs the app a slow hash): requests per minute one client address
   * may send to them, after a burst of as many. More are answered 429 without reaching the app.
   * @default - /admin/login/ at 10 a minute
   */
  readonly logins?: { readonly paths?: string[]; readonly perMinute?: number };
  /**
   * Connections each nginx worker may hold (nginx's main configuration); with the client timeout, how many
   * idle connections it takes to shut others out.
   * @default 4096 - the official image's is 1024
   */
  readonly workerConnections?: number;
  /**
   * nginx serves HTTPS itself: port 80 answers ACME challenges (from `challengeRoot`) and redirects the rest
   * to https; the certificate is read at each handshake, so nginx starts without one and needs no reload.
   * @default - plain HTTP (or TLS ends in front, `behindTlsProxy`)
   */
  readonly https?: HttpsSiteOptions;
}

export interface HttpsSiteOptions {
  /** The port nginx listens on for HTTPS in its container. */
  readonly port: number;
  /** The port clients reach it on, for the redirect. */
  readonly publicPort: number;
  /** The certificate chain and key, as paths in the nginx container. */
  readonly certificate: string;
  readonly key: string;
  /** Where ACME HTTP-01 challenge files are served from (`<root>/.well-known/acme-challenge/`). */
  readonly challengeRoot?: string;
  /** Strict-Transport-Security's value. */
  readonly hsts: string;
}

/**
 * Mozilla's "intermediate" configuration (ssl-config.mozilla.org, version 5.7): TLS 1.2 and 1.3, and for
 * 1.2 only forward-secret AEAD suites. Its DHE suites are left out: they need a dhparam file, and every
 * client that Mozilla's intermediate profile supports speaks ECDHE.
 */
export const TLS_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
];

/** Response headers nginx adds to everything it sends. */
/**
 * The Content-Security-Policy of the app's pages when the app sends none of its own: scripts, styles, images
 * and fonts from the site itself only (inline styles allowed: Django's admin sets a few), no plugins, no
 * framing, forms that post to the site only. An injected <script> or a script from elsewhere does not run.
 */
export const DEFAULT_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

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

/** A host name nginx's server_name and Django's ALLOWED_HOSTS both take: a DNS name (".name" for its subdomains too) or an IPv4 address. */
export const HOST_NAME = /^(\.?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*|\d{1,3}(\.\d{1,3}){3})$/;

/** The nginx site in front of the app: static and media files from volumes, everything else proxied. */
export class NginxSite {
  /** Where nginx keeps its temporary files (request bodies, proxied responses): the official image's place, a tmpfs in the read-only container. */
  public static readonly TEMP_ROOT = '/var/cache/nginx';
  /**
   * nginx's own health: a server on a Unix socket in the container, which answers 200 as long as nginx's
   * workers accept and serve. Nothing outside the container reaches it, and it depends on no other service.
   */
  public static readonly HEALTH_SOCKET = '/var/run/nginx-health.sock';
  /** The path of the status page on its socket (`serveStatus`). */
  public static readonly STATUS_PATH = '/stub_status';

  public readonly maxUploadSize: string;
  public readonly behindTlsProxy: boolean;
  public readonly resolver: string;
  public readonly resolveValidSeconds: number;
  public readonly connectTimeoutSeconds: number;
  public readonly readTimeout: Duration;
  public readonly serverNames?: readonly string[];
  public readonly trustedProxies: readonly string[];
  public readonly clientTimeout: Duration;
  public readonly connectionsPerClient: number;
  public readonly loginPaths: readonly string[];
  public readonly loginsPerMinute: number;
  public readonly workerConnections: number;
  private _https?: HttpsSiteOptions;
  private _upstream?: Service;
  private readonly _served: ServedFiles[] = [];
  private readonly _internal: string[] = [];
  private _statusSocket?: string;

  constructor(public readonly service: Service, public readonly options: NginxSiteOptions = {}) {
    this.maxUploadSize = options.maxUploadSize ?? '25m';
    this.behindTlsProxy = options.behindTlsProxy ?? false;
    this.resolver = options.resolver ?? '127.0.0.11';
    this.resolveValidSeconds = options.resolveValidSeconds ?? 1;
    this.connectTimeoutSeconds = options.connectTimeoutSeconds ?? 5;
    this.readTimeout = options.readTimeout ?? Duration.seconds(60);
    this.serverNames = options.serverNames ? [...options.serverNames] : undefined;
    this.trustedProxies = [...(options.trustedProxies ?? [])];
    this.clientTimeout = options.clientTimeout ?? Duration.seconds(10);
    this.connectionsPerClient = options.connectionsPerClient ?? 100;
    this.loginPaths = [...(options.logins?.paths ?? ['/admin/login/'])];
    this.loginsPerMinute = options.logins?.perMinute ?? 10;
    this.workerConnections = options.workerConnections ?? 4096;
    this._https = options.https;
  }

  /** Serves the site over HTTPS itself (port 80 then answers ACME challenges and redirects). */
  public serveHttps(options: HttpsSiteOptions): this {
    this._https = options;
    return this;
  }

  public get https(): HttpsSiteOptions | undefined {
    return this._https;
  }

  /** Proxies every request not served from a volume to `service`, at the port it listens on. */
  public proxyTo(service: Service): this {
    this._upstream = service;
    return this;
  }

  /**
   * Refuses `path` (and what lies under it) to clients with a 404, though the app might answer it: a path
   * that only the stack itself may ask (the app's metrics).
   */
  public keepInternal(path: string): this {
    if (!this._internal.includes(path)) this._internal.push(path);
    return this;
  }

  /**
   * Serves nginx's connection counts (stub_status) at STATUS_PATH on a Unix socket at `socket`, for an
   * exporter that shares the socket's directory: never on a port, so no client and no other service reaches it.
   */
  public serveStatus(socket: string): this {
    this._statusSocket = socket;
    return this;
  }

  /** The Unix socket of the status page (`serveStatus`); undefined when nginx serves none. */
  public get statusSocket(): string | undefined {
    return this._statusSocket;
  }

  /** The paths clients are refused (`keepInternal`). */
  public get internalPaths(): string[] {
    return [...this._internal];
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
    this.serverNames?.forEach((name, i) => {
      if (!HOST_NAME.test(name)) problems.push({ component, field: `serverNames[${i}]`, value: name, allowed: 'a lowercase host name such as tau.example.com (".example.com" for its subdomains too) or an IPv4 address' });
    });
    if (this.serverNames?.length === 0) problems.push({ component, field: 'serverNames', value: [], allowed: 'at least one host name' });
    this.trustedProxies.forEach((cidr, i) => {
      if (!isCidr(cidr, 'optional')) problems.push({ component, field: `trustedProxies[${i}]`, value: cidr, allowed: 'an address or CIDR range such as 10.0.0.0/8 or 192.0.2.10' });
    });
    const seconds = this.clientTimeout.toSeconds();
    if (!(seconds >= 1 && seconds <= 300)) problems.push({ component, field: 'clientTimeout', value: this.clientTimeout.toString(), allowed: 'from 1s to 300s' });
    if (!Number.isInteger(this.connectionsPerClient) || this.connectionsPerClient < 1 || this.connectionsPerClient > 65535) {
      problems.push({ component, field: 'connectionsPerClient', value: this.connectionsPerClient, allowed: 'a whole number from 1 to 65535' });
    }
    if (!Number.isInteger(this.workerConnections) || this.workerConnections < 512 || this.workerConnections > 65536) {
      problems.push({ component, field: 'workerConnections', value: this.workerConnections, allowed: 'a whole number from 512 to 65536' });
    }
    if (!Number.isInteger(this.loginsPerMinute) || this.loginsPerMinute < 1 || this.loginsPerMinute > 6000) {
      problems.push({ component, field: 'logins.perMinute', value: this.loginsPerMinute, allowed: 'a whole number from 1 to 6000' });
    }
    this.loginPaths.forEach((path, i) => {
      if (!/^\/[A-Za-z0-9._~\/-]*$/.test(path)) problems.push({ component, field: `logins.paths[${i}]`, value: path, allowed: 'a URL path such as /admin/login/' });
    });
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
