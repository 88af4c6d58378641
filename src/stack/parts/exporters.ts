import { posix } from 'path';
import { ManagedFile } from '../../core';
import { PostgresEnvVars } from '../../django';
import { EnvVar, Service } from '../../model';
import { ExporterTargets } from '../../monitoring';
import { NginxSite } from '../../nginx';
import { renderMonitorRoleScript } from '../../postgres';
import type { PartScope } from './stack-part';

/** An exporter's image, when not the upstream one of the pinned version. */
export interface ExporterOptions {
  /**
   * The exporter's image.
   * @default - the upstream image of the version the stack is tested with (docs/OPERATIONS.md)
   */
  readonly image?: string;
}

/**
 * The upstream images, at the versions test/prometheus/build-exporters.sh builds from the Go module proxy
 * for the tests: change both together.
 */
export const EXPORTER_IMAGES = {
  nginx: 'nginx/nginx-prometheus-exporter:1.5.1',
  postgres: 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1',
  node: 'prom/node-exporter:v1.12.1',
} as const;

/** The directory of nginx's status socket, in nginx's container and the exporter's: a volume only they mount. */
const STATUS_DIR = '/var/run/nginx-status';

/**
 * nginx-prometheus-exporter, reading nginx's stub_status through a Unix socket in a volume only the two of
 * them mount: the status page is on no port at all. On the back network, where Prometheus scrapes it;
 * nginx is not there, and the exporter needs no network to reach it.
 */
export function addNginxExporter(stack: PartScope, nginx: { readonly service: Service; readonly site: NginxSite }, options: ExporterOptions): NonNullable<ExporterTargets['nginx']> {
  const port = 9113;
  const socket = posix.join(STATUS_DIR, 'status.sock');
  const volume = stack.addVolume('nginx_status', { description: 'nginx\'s status socket, shared with its exporter' });
  // nginx deletes its socket when it stops, but not when it is killed; bound anew at start, a file left
  // there would keep it from starting. The image's entrypoint runs this, as root, before nginx.
  const cleanup = new ManagedFile(stack, 'nginx/10-remove-status-socket.sh', {
    executable: true,
    render: (marker) => [
      '#!/bin/sh',
      `# ${marker}`,
      '# Removes the status socket a killed nginx may have left in its volume: nginx binds it anew at start,',
      '# and would refuse to start while the old file is there. Run by the image\'s entrypoint, before nginx.',
      `rm -f ${socket}`,
      '',
    ].join('\n'),
  });
  nginx.site.serveStatus(socket);
  nginx.service
    .mount(STATUS_DIR, volume, { note: 'nginx\'s status socket (stub_status), read by nginx-exporter' })
    .mountFile(cleanup.path, '/docker-entrypoint.d/10-remove-status-socket.sh', { note: 'Removes a status socket a killed nginx left' });
  const exporter = stack.addService('nginx-exporter', {
    image: options.image ?? EXPORTER_IMAGES.nginx,
    port,
    description: 'nginx-prometheus-exporter: nginx\'s connection and request counts, for Prometheus',
    command: [`--nginx.scrape-uri=unix:${socket}:${NginxSite.STATUS_PATH}`, `--web.listen-address=:${port}`],
    limits: { memory: '64m', pids: 32 },
  });
  exporter.mount(STATUS_DIR, volume, { readOnly: true, note: 'nginx\'s status socket' });
  return { job: 'nginx', address: `${exporter.name}:${port}` };
}

/** What postgres_exporter needs of the stack's own database. */
export interface ExportedDatabase {
  readonly service: Service;
  readonly superuser: EnvVar;
  readonly env: PostgresEnvVars;
  readonly maxConnections: number;
}

/**
 * postgres_exporter, connected as a role of its own: a member of pg_monitor, granted no table, its sessions
 * read-only (postgres/create-monitor-role.sh, run by the db image on a new volume). On the back network,
 * with the database and Prometheus.
 */
export function addPostgresExporter(stack: PartScope, db: ExportedDatabase, options: ExporterOptions): NonNullable<ExporterTargets['postgres']> {
  const port = 9187;
  const scriptPath = 'postgres/create-monitor-role.sh';
  const user = stack.env.add('POSTGRES_MONITOR_USER', {
    description: 'PostgreSQL role postgres_exporter connects as: reads the server\'s statistics (pg_monitor), no table of the app',
    default: `${db.env.user.default ?? 'app'}_monitor`,
  });
  const password = stack.env.add('POSTGRES_MONITOR_PASSWORD', { description: 'Password of the monitoring role', secret: true, generate: 'password' });
  new ManagedFile(stack, scriptPath, {
    executable: true,
    render: (marker) => renderMonitorRoleScript({
      superuser: db.superuser.name, database: db.env.name.name, user: user.name, password: password.name, appUser: db.env.user.name,
    }, marker),
  });
  db.service
    .reads(user, password)
    .mountFile(scriptPath, '/docker-entrypoint-initdb.d/30-create-monitor-role.sh', {
      note: 'Creates the monitoring role when the data volume is new; run it in the container for an existing one',
    });
  const env = db.env;
  const exporter = stack.addService('postgres-exporter', {
    image: options.image ?? EXPORTER_IMAGES.postgres,
    port,
    description: 'postgres_exporter: PostgreSQL\'s statistics, read as the monitoring role, for Prometheus',
    // The exporter reads its connection from DATA_SOURCE_*; the stack's variables are named after the
    // database. The shell of the image sets one from the other, so the password is on no command line.
    entrypoint: ['/bin/sh', '-c', [
      `export DATA_SOURCE_URI="${env.host.shellRef}:${env.port.shellRef}/${env.name.shellRef}?sslmode=disable"`,
      `export DATA_SOURCE_USER="${user.shellRef}" DATA_SOURCE_PASS="${password.shellRef}"`,
      `exec /bin/postgres_exporter --web.listen-address=:${port}`,
    ].join('\n')],
    limits: { memory: '128m', pids: 32 },
  });
  exporter.reads(env.host, env.port, env.name, user, password).dependsOn(db.service, { healthy: true });
  return { job: 'postgres', address: `${exporter.name}:${port}`, maxConnections: db.maxConnections };
}
