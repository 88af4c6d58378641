import { optionKeys } from '../core';

export interface TlsOptions {
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
   * Ask to be preloaded into browsers' HSTS lists (Django's check W021 wants it).
   * @default true
   */
  readonly hstsPreload?: boolean;
  /**
   * Addresses (CIDR) the TLS proxy connects to nginx from. Only from them are X-Forwarded-For and
   * X-Forwarded-Proto believed: a client reaching nginx's port directly cannot claim https or another address.
   * @example ['10.0.0.0/8']
   */
  readonly trustedProxies?: string[];
}

export const TLS_OPTION_KEYS = optionKeys<TlsOptions>()({ hstsSeconds: true, hstsIncludeSubdomains: true, hstsPreload: true, trustedProxies: true });

/**
 * TLS terminated in front of the stack (a load balancer or an ingress that speaks HTTPS to clients and
 * HTTP to nginx): secure cookies, HSTS and the redirect to HTTPS are turned on.
 */
export class Tls {
  public readonly hstsSeconds: number;
  public readonly hstsIncludeSubdomains: boolean;
  public readonly hstsPreload: boolean;
  public readonly trustedProxies: readonly string[];

  constructor(options: TlsOptions = {}) {
    this.trustedProxies = [...(options.trustedProxies ?? [])];
    this.hstsSeconds = options.hstsSeconds ?? 31536000;
    this.hstsIncludeSubdomains = options.hstsIncludeSubdomains ?? true;
    this.hstsPreload = options.hstsPreload ?? true;
  }
}
