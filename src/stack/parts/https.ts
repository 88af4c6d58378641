import { existsSync, statSync } from 'fs';
import { dirname, isAbsolute, join, posix } from 'path';
import { Project } from 'projen';
import { checkDurationValue, Duration, ManagedFile, Problem } from '../../core';
import { AcmeScriptModel, renderAcmeScript } from '../../acme';
import { TLS_MODE_OPTIONS, Tls, TlsMode } from '../../django';
import { Network, Service } from '../../model';
import { EXTERNAL_METRICS } from '../../monitoring';
import { HOST_NAME, HttpsSiteOptions } from '../../nginx';
import type { PartScope, StackPart } from './stack-part';

/** Where nginx keeps what HTTPS needs, in its container. */
const NGINX_CERTS = '/etc/nginx/certs';
const NGINX_CHALLENGES = '/var/www/acme';
/** The names the ACME client publishes the certificate under. */
const ACME_CERTIFICATE = 'fullchain.pem';
const ACME_KEY = 'privkey.pem';
/** After a failed attempt (DNS not pointing here yet, the ACME server unreachable), the ACME client tries again this soon. */
export const ACME_RETRY_AFTER = Duration.seconds(60);

/** The group of nginx's worker processes in the official image (nginx, 101): they read the key at each handshake. */
export const NGINX_WORKER_GROUP = 101;

const EMAIL = /^[^@\s'"`$\\]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

/** The HTTPS side of nginx in `files` and `acme` modes: its files, ports and mounts. */
export interface HttpsProps {
  readonly tls: Tls;
  readonly nginx: Service;
  /** The port published for HTTPS on the host. */
  readonly publicPort: number;
  readonly network: Network;
  /** The stack's host names: the certificate's names unless tls.domains says otherwise. */
  readonly hosts: readonly string[];
}

/**
 * The stack's HTTPS, and its rules (`validateTls`) in every mode. In `proxy` mode TLS ends in front of the
 * stack and this part adds nothing else. In `files` and `acme` modes, nginx serves HTTPS itself, on 443,
 * with the certificate read at each handshake from `/etc/nginx/certs`:
 * the operator's directory in `files` mode; in `acme` mode a volume that the stack's ACME client (lego)
 * fills, having obtained the certificate over HTTP-01 through nginx's port 80, and renews.
 */
export class Https implements StackPart {
  public static readonly ACME_SCRIPT = 'acme/lego.sh';
  public static readonly PORT = 443;

  /** nginx's HTTPS server; undefined when TLS ends in front of the stack. */
  public readonly siteOptions?: HttpsSiteOptions;
  /** The ACME client, in `acme` mode. */
  public readonly acme?: Service;
  private metrics?: AcmeScriptModel['metrics'];
  private readonly tls: Tls;
  private readonly hosts: readonly string[];
  private readonly outdir: string;

  constructor(stack: PartScope, props: HttpsProps) {
    const { tls, nginx } = props;
    this.tls = tls;
    this.hosts = props.hosts;
    this.outdir = Project.of(stack).outdir;
    if (!tls.terminatesAtNginx) return;
    const files = tls.mode === 'files';
    const certificate = files && tls.certificate ? posix.basename(tls.certificate) : ACME_CERTIFICATE;
    const key = files && tls.key ? posix.basename(tls.key) : ACME_KEY;
    this.siteOptions = {
      port: Https.PORT,
      publicPort: props.publicPort,
      certificate: `${NGINX_CERTS}/${certificate}`,
      key: `${NGINX_CERTS}/${key}`,
      hsts: `max-age=${tls.hstsSeconds}${tls.hstsIncludeSubdomains ? '; includeSubDomains' : ''}${tls.hstsPreload ? '; preload' : ''}`,
      challengeRoot: files ? undefined : NGINX_CHALLENGES,
    };

    nginx.publish(props.publicPort, Https.PORT);

    if (files) {
      if (tls.certificate) {
        nginx.mountFile(dirname(tls.certificate), NGINX_CERTS, { note: 'The certificate and key (tls.certificate, tls.key): their directory, so that replaced files reach nginx' });
      }
      return;
    }

    // acme: lego in a container of its own; its state, the challenges and the published certificate in volumes.
    const state = stack.addVolume('acme_state', { description: 'The ACME client\'s account and certificates (lego)' });
    const challenges = stack.addVolume('acme_challenges', { description: 'ACME HTTP-01 challenge files, served by nginx on port 80' });
    const certificates = stack.addVolume('certificates', { description: 'The certificate and key nginx serves HTTPS with' });
    nginx.mount(NGINX_CHALLENGES, challenges, { readOnly: true }).mount(NGINX_CERTS, certificates, { readOnly: true });

    const paths = { statePath: '/var/lib/lego', webroot: '/var/www/acme', certificatesPath: '/certs' };
    const vars = {
      server: stack.env.add('ACME_SERVER', { description: 'The ACME directory the certificate comes from (tls.directory)', value: tls.directory }),
      email: stack.env.add('ACME_EMAIL', { description: 'The ACME account\'s contact address (tls.email)', value: tls.email ?? '' }),
      domains: stack.env.add('ACME_DOMAINS', { description: 'The names the certificate is for (tls.domains)', value: (tls.domains ?? props.hosts).join(',') }),
      renewDays: stack.env.add('ACME_RENEW_DAYS', { description: 'Renew when fewer days are left (tls.renewDaysBefore)', value: String(tls.renewDaysBefore) }),
      checkEvery: stack.env.add('ACME_CHECK_EVERY', { description: 'Seconds between two renewal checks (tls.checkEvery)', value: String(tls.checkEvery.toSeconds()) }),
      keyGroup: stack.env.add('ACME_KEY_GROUP', { description: 'The group that may read the published key: nginx\'s workers\' (the nginx image\'s nginx group)', value: String(NGINX_WORKER_GROUP) }),
    };
    const model: AcmeScriptModel = {
      ...paths, certificateFile: ACME_CERTIFICATE, keyFile: ACME_KEY, retryAfter: ACME_RETRY_AFTER,
      vars: { server: vars.server.name, email: vars.email.name, domains: vars.domains.name, renewDays: vars.renewDays.name, checkEvery: vars.checkEvery.name, keyGroup: vars.keyGroup.name },
    };
    new ManagedFile(stack, Https.ACME_SCRIPT, { executable: true, render: (marker) => renderAcmeScript({ ...model, metrics: this.metrics }, marker) });
    this.acme = stack.addService('acme', {
      image: tls.acmeImage,
      description: 'ACME client (lego): obtains the HTTPS certificate through nginx\'s port 80, renews it',
      // The image's entrypoint is lego itself; the script runs it on a schedule.
      entrypoint: ['/bin/sh', '/acme/lego.sh'],
      // To give the published key to nginx's group.
      capabilities: ['CHOWN'],
      limits: { memory: '128m', pids: 64 },
    });
    this.acme
      .reads(...Object.values(vars))
      .mountFile(Https.ACME_SCRIPT, '/acme/lego.sh')
      .mount(paths.statePath, state)
      .mount(paths.webroot, challenges)
      .mount(paths.certificatesPath, certificates)
      // It reaches the ACME server (the internet), and the server reaches nginx on port 80.
      .joins(props.network)
      .dependsOn(nginx);
  }

  /**
   * Has the ACME client write the certificate's expiry and its last attempt's outcome as textfile metrics into
   * `dir` (a directory of its container that node_exporter reads); nothing when undefined.
   */
  public writeMetricsTo(dir: string | undefined): void {
    this.metrics = dir === undefined ? undefined : {
      dir, notAfter: EXTERNAL_METRICS.certificateNotAfter, attempt: EXTERNAL_METRICS.renewalAttempt, success: EXTERNAL_METRICS.renewalSuccess,
    };
  }

  public validate(): Problem[] {
    return validateTls(this.tls, this.hosts, this.outdir);
  }
}

/** The mode's own checks: what each mode needs, and nothing another mode reads. `outdir`: the repository, for `files` paths. */
export function validateTls(tls: Tls | undefined, hosts: readonly string[], outdir: string): Problem[] {
  if (!tls) return [];
  const component = 'tls';
  const problems: Problem[] = [];
  const modes = Object.keys(TLS_MODE_OPTIONS) as TlsMode[];
  if (!modes.includes(tls.mode)) {
    return [{ component, field: 'mode', value: tls.mode, allowed: `one of ${modes.map((m) => `"${m}"`).join(', ')}` }];
  }
  for (const [mode, keys] of Object.entries(TLS_MODE_OPTIONS)) {
    if (mode === tls.mode) continue;
    for (const key of keys) {
      if (tls.options[key] !== undefined) {
        problems.push({ component, field: key, value: tls.options[key] as unknown, allowed: `an option of mode "${mode}"; this stack's mode is "${tls.mode}"` });
      }
    }
  }
  if (tls.mode === 'proxy' && tls.trustedProxies.length === 0) {
    problems.push({ component, field: 'trustedProxies', value: [],
      allowed: 'the addresses (CIDR) the TLS proxy connects from, such as { trustedProxies: [\'10.0.0.0/8\'] }: without them nothing tells a proxied https request from a client that claims https' });
  }
  if (tls.mode === 'files') {
    for (const field of ['certificate', 'key'] as const) {
      const value = tls[field];
      const path = value === undefined ? undefined : isAbsolute(value) ? value : join(outdir, value);
      if (value === undefined || value === '') {
        problems.push({ component, field, value, allowed: `the path of the ${field === 'key' ? 'private key' : 'certificate chain (PEM)'} on this host` });
      } else if (!/^[A-Za-z0-9._/-]+$/.test(value) || value.split('/').includes('..')) {
        problems.push({ component, field, value, allowed: 'a path of letters, digits, ".", "_", "-" and "/", without ".."' });
      } else if (!existsSync(path!) || !statSync(path!).isFile()) {
        problems.push({ component, field, value, allowed: `a file that exists (${path} does not)` });
      }
    }
    const keyPath = tls.key && (isAbsolute(tls.key) ? tls.key : join(outdir, tls.key));
    if (keyPath && existsSync(keyPath) && statSync(keyPath).isFile()) {
      const { mode, gid } = statSync(keyPath);
      if (!(mode & 0o004) && !((mode & 0o040) && gid === NGINX_WORKER_GROUP)) {
        problems.push({ component, field: 'key', value: tls.key,
          allowed: `a key nginx's workers can read at each handshake (group ${NGINX_WORKER_GROUP} in the nginx image): chgrp ${NGINX_WORKER_GROUP} ${tls.key} && chmod 640 ${tls.key}` });
      }
    }
    if (tls.certificate && tls.key && dirname(tls.certificate) !== dirname(tls.key)) {
      problems.push({ component, field: 'key', value: tls.key, allowed: `a file in the certificate's directory (${dirname(tls.certificate)}): nginx mounts that one directory` });
    }
  }
  if (tls.mode === 'acme') {
    if (!tls.email || !EMAIL.test(tls.email)) {
      problems.push({ component, field: 'email', value: tls.email, allowed: 'the contact address of the ACME account, such as ops@example.com' });
    }
    const domains = tls.domains ?? hosts;
    if (domains.length === 0) problems.push({ component, field: 'domains', value: [], allowed: 'at least one host name' });
    domains.forEach((domain, i) => {
      const field = tls.domains ? `domains[${i}]` : `domains (the stack's hosts)[${i}]`;
      // A name a public ACME server can resolve: no IP address, no "." prefix (a wildcard), no single label.
      // Local names (.test and the like) only with an ACME server of your own (tls.directory).
      const publicName = HOST_NAME.test(domain) && !/^\d+(\.\d+){3}$/.test(domain) && domain.includes('.') && !domain.startsWith('.');
      const localName = /(^|\.)localhost$|\.(test|local|internal|invalid)$/.test(domain);
      if (!publicName || (localName && !tls.options.directory)) {
        problems.push({ component, field, value: domain,
          allowed: 'a public DNS name that points at this host, such as tau.example.com (no IP address, wildcard or local name: HTTP-01 validates it from the internet)' });
      } else if (!hosts.includes(domain)) {
        problems.push({ component, field, value: domain, allowed: `one of the stack's hosts (${hosts.join(', ')}): nginx answers only those` });
      }
    });
    if (!/^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~/-]*)?$/.test(tls.directory)) {
      problems.push({ component, field: 'directory', value: tls.directory, allowed: 'the https URL of an ACME directory, such as https://acme-v02.api.letsencrypt.org/directory' });
    }
    if (!Number.isInteger(tls.renewDaysBefore) || tls.renewDaysBefore < 1 || tls.renewDaysBefore > 60) {
      problems.push({ component, field: 'renewDaysBefore', value: tls.renewDaysBefore, allowed: 'a whole number of days from 1 to 60' });
    }
    problems.push(...checkDurationValue(component, 'checkEvery', tls.options.checkEvery, { min: Duration.minutes(1), max: Duration.hours(24) }));
  }
  return problems;
}
