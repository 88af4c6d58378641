import { Duration, optionKeys } from '../core';

/**
 * Where TLS ends. `proxy`: a load balancer or ingress in front speaks HTTPS to clients and HTTP to nginx.
 * `files`: nginx serves HTTPS with a certificate and key the operator provides. `acme`: nginx serves HTTPS
 * with a certificate an ACME client of the stack obtains over HTTP-01 and renews (Let's Encrypt by default).
 */
export type TlsMode = 'proxy' | 'files' | 'acme';

/** Let's Encrypt's production directory. */
export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

export interface TlsOptions {
  /**
   * Where TLS ends.
   * @default 'proxy'
   */
  readonly mode?: TlsMode;
  /**
   * Seconds browsers remember to use HTTPS only (Strict-Transport-Security). Start low when trying it out.
   * @default 31536000 (one year)
   */
  readonly hstsSeconds?: number;
  /**
   * HSTS covers subdomains too.
   * @default true
   */
  readonly hstsIncludeSubdomains?: boolean;
  /**
   * Ask to be preloaded into browsers' HSTS lists. A preloaded domain is HTTPS-only in browsers for months after
   * it leaves the list, subdomains included: a commitment to opt into, not a default. Off, Django's check W021
   * (which asks for it) is silenced in the settings.
   * @default false
   */
  readonly hstsPreload?: boolean;
  /**
   * Addresses (CIDR) the TLS proxy connects to nginx from. Only from them are X-Forwarded-For and
   * X-Forwarded-Proto believed: a client reaching nginx's port directly cannot claim https or another address.
   * @example ['10.0.0.0/8']
   */
  readonly trustedProxies?: string[];
  /**
   * `files` mode: the certificate chain (PEM, the site's certificate first) and its private key, as paths on
   * the host (relative to this repository, or absolute), in one directory: nginx mounts that directory, so
   * replacing the files there reaches it, and reloads when the certificate changes.
   */
  readonly certificate?: string;
  readonly key?: string;
  /**
   * `acme` mode: the host names the certificate is for; each must be one of the stack's `hosts`, and its DNS
   * must point at this host (port 80 answers the HTTP-01 challenge).
   * @default - the stack's hosts
   */
  readonly domains?: string[];
  /** `acme` mode: the contact address the ACME account is registered with (expiry notices). */
  readonly email?: string;
  /**
   * `acme` mode: the ACME server's directory URL.
   * @default - Let's Encrypt's production directory
   */
  readonly directory?: string;
  /**
   * `acme` mode: renew when the certificate has fewer days left than this (or when the server's renewal
   * information, ARI, says so).
   * @default 30
   */
  readonly renewDaysBefore?: number;
  /**
   * `acme` mode: how often the ACME client checks whether to renew.
   * @default Duration.hours(12)
   */
  readonly checkEvery?: Duration;
  /**
   * `acme` mode: the image of the ACME client, lego (go-acme/lego).
   * @default 'goacme/lego:v4.35.2'
   */
  readonly acmeImage?: string;
}

export const TLS_OPTION_KEYS = optionKeys<TlsOptions>()({
  mode: true, hstsSeconds: true, hstsIncludeSubdomains: true, hstsPreload: true, trustedProxies: true,
  certificate: true, key: true, domains: true, email: true, directory: true, renewDaysBefore: true, checkEvery: true, acmeImage: true,
});

/** The options each mode reads, besides HSTS; any other is a mistake. */
export const TLS_MODE_OPTIONS: Record<TlsMode, readonly (keyof TlsOptions)[]> = {
  proxy: ['trustedProxies'],
  files: ['certificate', 'key'],
  acme: ['domains', 'email', 'directory', 'renewDaysBefore', 'checkEvery', 'acmeImage'],
};

/**
 * HTTPS for the site, in one of three modes (`TlsMode`). In every mode Django's secure cookies, HSTS and
 * redirect to HTTPS are on; in `files` and `acme` nginx itself listens on 443.
 */
export class Tls {
  public readonly hstsSeconds: number;
  public readonly hstsIncludeSubdomains: boolean;
  public readonly hstsPreload: boolean;
  public readonly trustedProxies: readonly string[];
  public readonly mode: TlsMode;
  public readonly certificate?: string;
  public readonly key?: string;
  public readonly domains?: readonly string[];
  public readonly email?: string;
  public readonly directory: string;
  public readonly renewDaysBefore: number;
  public readonly checkEvery: Duration;
  public readonly acmeImage: string;

  constructor(public readonly options: TlsOptions = {}) {
    this.mode = options.mode ?? 'proxy';
    this.trustedProxies = [...(options.trustedProxies ?? [])];
    this.certificate = options.certificate;
    this.key = options.key;
    this.domains = options.domains ? [...options.domains] : undefined;
    this.email = options.email;
    this.directory = options.directory ?? LETS_ENCRYPT;
    this.renewDaysBefore = options.renewDaysBefore ?? 30;
    this.checkEvery = options.checkEvery ?? Duration.hours(12);
    this.acmeImage = options.acmeImage ?? 'goacme/lego:v4.35.2';
    this.hstsSeconds = options.hstsSeconds ?? 31536000;
    this.hstsIncludeSubdomains = options.hstsIncludeSubdomains ?? true;
    this.hstsPreload = options.hstsPreload ?? false;
  }

  /** nginx itself serves HTTPS (files, acme), rather than a proxy in front. */
  public get terminatesAtNginx(): boolean {
    return this.mode !== 'proxy';
  }
}
