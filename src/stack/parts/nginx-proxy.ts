import { checkOptionKeys, Duration, optionKeys, Problem } from '../../core';
import { Healthcheck, ResourceLimits, Service, ServiceRole } from '../../model';
import { NginxConfFile, NginxMainConfFile, NginxSite, ServedFiles } from '../../nginx';
import type { PartScope, StackPart } from './stack-part';

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
   * Largest request body accepted (uploads), as nginx writes sizes: a number with k, m or g.
   * @default '25m'
   */
  readonly maxUploadSize?: string;
  /**
   * Port published on the host for HTTPS, when nginx serves it (tls mode files or acme).
   * @default 443
   */
  readonly httpsHostPort?: number;
  /**
   * The most the nginx container may use.
   * @default - 256m, 1 CPU, 128 processes
   */
  readonly limits?: ResourceLimits;
}

export const NGINX_OPTION_KEYS = optionKeys<NginxOptions>()({ port: true, hostPort: true, image: true, maxUploadSize: true, httpsHostPort: true, limits: true });

export interface NginxProxyProps {
  readonly options?: NginxOptions;
  /** The app nginx proxies to. */
  readonly app: Service;
  /** Files nginx serves itself, from the volumes the app writes them to. */
  readonly served: readonly ServedFiles[];
  /** TLS ends in front of nginx, which then passes the proxy's X-Forwarded-Proto on. */
  readonly behindTlsProxy: boolean;
  /** How long nginx waits for the app's response: the longest a request may take. */
  readonly readTimeout: Duration;
  /** The host names the site answers; nginx closes requests for any other. */
  readonly hosts: readonly string[];
  /** Addresses of the TLS proxy, whose forwarded headers are believed. */
  readonly trustedProxies: readonly string[];
}

/** Where nginx mounts the volume of served files: `/var/www/<name>`, read-only. */
const servedPath = (files: ServedFiles) => `/var/www/${files.name}`;

/**
 * The nginx proxy in front of the app: serves static and media files from the app's volumes, read-only, and
 * proxies everything else to the app; the one service reachable from outside.
 */
export class NginxProxy implements StackPart {
  /** The port clients reach the site on, before the part exists (the app's default trusted origins use it). */
  public static publicPort(options: NginxOptions = {}): number {
    return options.hostPort ?? options.port ?? 80;
  }

  public readonly service: Service;
  /** nginx is the proxy in front. */
  public get roles(): readonly (readonly [Service, ServiceRole])[] {
    return [[this.service, 'proxy']];
  }
  public readonly site: NginxSite;
  public readonly conf: NginxConfFile;
  private readonly options: NginxOptions;

  constructor(stack: PartScope, props: NginxProxyProps) {
    const options = this.options = props.options ?? {};
    this.service = stack.addService('nginx', {
      image: options.image ?? 'nginx:1.28-alpine',
      port: options.port ?? 80,
      description: `nginx: serves static and media files, proxies the rest to ${props.app.name}`,
      // The master process starts as root to bind the port (NET_BIND_SERVICE) and give its temporary
      // directories to the worker user (CHOWN), then runs the workers as that user (SETUID, SETGID).
      capabilities: ['CHOWN', 'NET_BIND_SERVICE', 'SETGID', 'SETUID'],
      writablePaths: ['/tmp', NginxSite.TEMP_ROOT, '/var/run'],
      // nginx opens a connection to the app per request (its address is looked up at run time, which keeps no
      // idle connections), and each one closed holds its local port for TIME_WAIT's 60 s, all to one address:
      // the kernel's default range, 32768-60999, lasts for about 470 requests/s, and a failover test at 535/s
      // ran out (502, "Cannot assign requested address"). The range above the privileged ports lasts for 1,070/s.
      sysctls: { 'net.ipv4.ip_local_port_range': '1024 65535' },
      limits: { memory: '256m', pids: 128, ...options.limits },
      // nginx itself answers, on its own Unix socket (curl is in the official images); whether the app
      // behind it is healthy is the app's healthcheck.
      healthcheck: Healthcheck.command('curl', '--fail', '--silent', '--output', '/dev/null', '--unix-socket', NginxSite.HEALTH_SOCKET, 'http://nginx/'),
    });
    this.site = new NginxSite(this.service, {
      maxUploadSize: options.maxUploadSize, behindTlsProxy: props.behindTlsProxy, readTimeout: props.readTimeout,
      serverNames: [...props.hosts], trustedProxies: [...props.trustedProxies],
    })
      .proxyTo(props.app);
    for (const files of props.served) {
      this.service.mount(servedPath(files), files.volume, { readOnly: true });
      this.site.serve(files);
    }
    this.conf = new NginxConfFile(stack, this.site);
    const main = new NginxMainConfFile(stack, this.site);
    this.service
      .mountFile(main.path, NginxMainConfFile.CONTAINER_PATH)
      .mountFile(this.conf.path, NginxConfFile.CONTAINER_PATH)
      .dependsOn(props.app, { healthy: true })
      .publish(NginxProxy.publicPort(options));
  }

  public validate(): Problem[] {
    return [...checkOptionKeys('nginx', this.options, NGINX_OPTION_KEYS), ...this.site.validate()];
  }
}
