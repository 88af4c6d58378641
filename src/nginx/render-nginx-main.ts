/** What nginx's main configuration is made from. */
export interface NginxMainModel {
  /**
   * The user the worker processes run as, when the master starts as root (the official image's nginx).
   * @default - none: the master does not run as root and the workers run as its user (a cluster's pod)
   */
  readonly user?: string;
  /** Connections each worker may hold (clients and upstreams). */
  readonly workerConnections: number;
  /**
   * Worker processes: as many as the CPUs the container may use. `auto` counts the host's CPUs, not the
   * container's limit: on a 64-CPU node, 64 workers of 4096 connections each in a container of one CPU.
   */
  readonly workerProcesses: number;
}

/** Whole CPUs a limit of `cpus` gives room for: at least one worker. */
export function workersFor(cpus: number): number {
  return Number.isFinite(cpus) ? Math.max(1, Math.ceil(cpus)) : 1;
}

/**
 * `nginx/nginx.conf`: the official image's main configuration, with room for more connections. Its
 * `worker_connections 1024` let 2,200 idle connections from one client shut everyone else out; idle
 * connections are also cut after the client timeout (`nginx/default.conf`). Each proxied request holds two
 * connections, and each connection a file descriptor: the workers may open twice as many files.
 */
export function renderNginxMainConf(m: NginxMainModel, marker: string): string {
  return [
    `# ${marker}`,
    '# nginx\'s main configuration: the official image\'s, with room for more connections. The site is',
    '# conf.d/default.conf (nginx/default.conf).',
    ...(m.user ? [`user ${m.user};`] : []),
    '# One worker per CPU the container may use (its limit), not per CPU of the host, as `auto` would.',
    `worker_processes ${m.workerProcesses};`,
    `worker_rlimit_nofile ${m.workerConnections * 2};`,
    '',
    'error_log /var/log/nginx/error.log notice;',
    'pid /var/run/nginx.pid;',
    '',
    'events {',
    `    # Per worker; the image's 1024 was exhausted by 2,200 idle connections of one client.`,
    `    worker_connections ${m.workerConnections};`,
    '}',
    '',
    'http {',
    '    include /etc/nginx/mime.types;',
    '    default_type application/octet-stream;',
    '',
    '    # The access log (one JSON line per request) is the site\'s: conf.d/default.conf.',
    '',
    '    sendfile on;',
    '',
    '    include /etc/nginx/conf.d/*.conf;',
    '}',
    '',
  ].join('\n');
}
