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
}

export const TLS_OPTION_KEYS = optionKeys<TlsOptions>()({ hstsSeconds: true, hstsIncludeSubdomains: true, hstsPreload: true });

/**
 * TLS terminated in front of the stack (a load balancer or an ingress that speaks HTTPS to clients and
 * HTTP to nginx): secure cookies, HSTS and the redirect to HTTPS are turned on.
 */
export class Tls {
  public readonly hstsSeconds: number;
  public readonly hstsIncludeSubdomains: boolean;
  public readonly hstsPreload: boolean;

  constructor(options: TlsOptions = {}) {
    this.hstsSeconds = options.hstsSeconds ?? 31536000;
    this.hstsIncludeSubdomains = options.hstsIncludeSubdomains ?? true;
    this.hstsPreload = options.hstsPreload ?? true;
  }
}
