import { Duration } from '../core';

/**
 * The exporters that turn nginx's and PostgreSQL's own counters into Prometheus' format, as Prometheus
 * finds them: one job each, its one instance at the exporter's service name and port.
 */
export interface ExporterTargets {
  /** nginx-prometheus-exporter, reading nginx's stub_status. */
  readonly nginx?: { readonly job: string; readonly address: string };
  /** postgres_exporter, connected as the read-only monitoring role; the server's max_connections, as the model sets it. */
  readonly postgres?: { readonly job: string; readonly address: string; readonly maxConnections: number };
}

/** The exporters' scrape jobs, after the app's. */
export function exporterScrapeConfigs(t: ExporterTargets): Record<string, unknown>[] {
  return [t.nginx, t.postgres].filter((x) => x !== undefined).map((x) => ({ job_name: x.job, static_configs: [{ targets: [x.address] }] }));
}

/**
 * The exporters' alert groups: nginx or PostgreSQL down (the exporter answers but cannot read its server,
 * or the exporter itself is gone), and connections near the server's max_connections.
 */
export function exporterAlertGroups(t: ExporterTargets, connectionsShare: number, scrapeInterval: Duration): Record<string, unknown>[] {
  // Two missed scrapes at least, and never under a minute: a restart is not an outage.
  const down = `${Math.max(60, scrapeInterval.toSeconds() * 2)}s`;
  const groups: Record<string, unknown>[] = [];
  if (t.nginx) {
    groups.push({
      name: 'nginx',
      rules: [{
        alert: 'NginxDown',
        // nginx_up is the exporter's view of stub_status; up is Prometheus' view of the exporter.
        expr: `nginx_up{job="${t.nginx.job}"} == 0 or up{job="${t.nginx.job}"} == 0`,
        for: down,
        labels: { severity: 'critical' },
        annotations: { summary: 'nginx does not answer its status page (or its exporter is down): the site is unreachable.' },
      }],
    });
  }
  if (t.postgres) {
    const limit = Math.floor(t.postgres.maxConnections * connectionsShare);
    groups.push({
      name: 'postgres',
      rules: [
        {
          alert: 'PostgresDown',
          expr: `pg_up{job="${t.postgres.job}"} == 0 or up{job="${t.postgres.job}"} == 0`,
          for: down,
          labels: { severity: 'critical' },
          annotations: { summary: 'The monitoring role cannot connect to PostgreSQL (or its exporter is down).' },
        },
        {
          alert: 'PostgresConnectionsNearLimit',
          // Every backend of every database; max_connections as .projenrc.ts sets it on the server's command line.
          expr: `sum(pg_stat_database_numbackends{job="${t.postgres.job}"}) > ${limit}`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: { summary: `More than ${limit} of PostgreSQL's ${t.postgres.maxConnections} connections (max_connections) are in use: {{ $value }}.` },
        },
      ],
    });
  }
  return groups;
}
