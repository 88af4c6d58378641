import { stringify } from 'yaml';
import { Duration } from '../core';
import { exporterAlertGroups, exporterScrapeConfigs, ExporterTargets } from './exporters';

/** What Prometheus scrapes: one job per service that serves metrics. */
export interface ScrapeTarget {
  /** The job's name: the `job` label of its series, and what the alert rules select. */
  readonly job: string;
  /** The host name the platform's DNS answers with every replica's address. */
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

/** What the scrape configuration and the alert rules are made from. */
export interface PrometheusModel {
  readonly scrapeInterval: Duration;
  /** The app's metrics. */
  readonly web: ScrapeTarget;
  /** The path of the web's health check: its answers are counted under view="health". */
  readonly healthView: string;
  /** The rules file, as Prometheus finds it (relative to its configuration file). */
  readonly rulesFile: string;
  readonly alerts: AlertThresholds;
  /** nginx's and PostgreSQL's exporters, when the stack runs them. */
  readonly exporters?: ExporterTargets;
  /** node_exporter, when the stack runs it: the volumes it mounts under `volumesDir/<name>` are labelled volume="<name>". */
  readonly node?: { readonly job: string; readonly host: string; readonly port: number; readonly volumesDir: string };
}

export interface AlertThresholds {
  /**
   * The share of the app's answers that may be 5xx, over 5 minutes, before the alert fires.
   * @default 0.05
   */
  readonly errorRatio?: number;
  /**
   * The 99th percentile of the app's answer time (the health check aside), over 5 minutes, above which the alert fires.
   * @default Duration.seconds(1)
   */
  readonly p99Latency?: Duration;
  /**
   * The alert fires when the certificate expires within this many days.
   * @default 14
   */
  readonly certificateDays?: number;
  /**
   * The alert fires when the last successful backup is older than this.
   * @default Duration.hours(24)
   */
  readonly backupAge?: Duration;
  /**
   * The alert fires when the database volume's file system has less than this share free.
   * @default 0.1
   */
  readonly databaseDiskFree?: number;
  /**
   * The share of PostgreSQL's max_connections in use above which the alert fires (postgres_exporter).
   * @default 0.8
   */
  readonly databaseConnections?: number;
}

/** The thresholds with their defaults. */
export function alertThresholds(a: AlertThresholds = {}): Required<AlertThresholds> {
  return {
    errorRatio: a.errorRatio ?? 0.05,
    p99Latency: a.p99Latency ?? Duration.seconds(1),
    certificateDays: a.certificateDays ?? 14,
    backupAge: a.backupAge ?? Duration.hours(24),
    databaseDiskFree: a.databaseDiskFree ?? 0.1,
    databaseConnections: a.databaseConnections ?? 0.8,
  };
}

/** The metrics the rules read that the app does not export, by what exports them. */
export const EXTERNAL_METRICS = {
  /** The ACME client's certificate, as a timestamp (node_exporter's textfile collector, or an exporter of the certificate). */
  certificateNotAfter: 'tau_certificate_not_after_timestamp_seconds',
  /** The last backup ops/backup.sh finished, as a timestamp (node_exporter's textfile collector). */
  backupLastSuccess: 'tau_backup_last_success_timestamp_seconds',
  /** node_exporter's free and total bytes of the file system holding the database volume. */
  diskAvailable: 'node_filesystem_avail_bytes',
  diskSize: 'node_filesystem_size_bytes',
  /** The ACME client's last attempt to obtain or renew the certificate: when, and whether it succeeded (1) or not (0). */
  renewalAttempt: 'tau_certificate_renewal_last_attempt_timestamp_seconds',
  renewalSuccess: 'tau_certificate_renewal_last_attempt_success',
} as const;

const seconds = (d: Duration) => `${d.toSeconds()}s`;

/** prometheus.yml: the app's replicas scraped at its metrics address, the rules file loaded. */
export function prometheusConfig(m: PrometheusModel): Record<string, unknown> {
  return {
    global: { scrape_interval: seconds(m.scrapeInterval), evaluation_interval: seconds(m.scrapeInterval) },
    rule_files: [m.rulesFile],
    scrape_configs: [
      {
        job_name: m.web.job,
        metrics_path: m.web.path,
        // Every replica: the platform's DNS answers the service's name with each container's address.
        dns_sd_configs: [{ names: [m.web.host], type: 'A', port: m.web.port, refresh_interval: seconds(m.scrapeInterval) }],
      },
      ...exporterScrapeConfigs(m.exporters ?? {}),
      ...(m.node ? [{
        job_name: m.node.job,
        static_configs: [{ targets: [`${m.node.host}:${m.node.port}`] }],
        // node_exporter names a file system by where it mounts it: /volumes/database becomes volume="database",
        // what the rules select, whatever the volume is called on the host.
        metric_relabel_configs: [{ source_labels: ['mountpoint'], regex: `${m.node.volumesDir}/(.+)`, target_label: 'volume', replacement: '$1' }],
      }] : []),
      { job_name: 'prometheus', static_configs: [{ targets: ['127.0.0.1:9090'] }] },
    ],
  };
}

/** alerts.yml: the rules every deployment of the stack wants. */
export function alertRules(m: PrometheusModel): Record<string, unknown> {
  const a = alertThresholds(m.alerts);
  const requests = `tau_http_requests_total{job="${m.web.job}"}`;
  return {
    groups: [
      {
        name: 'web',
        rules: [
          {
            alert: 'WebDown',
            expr: `up{job="${m.web.job}"} == 0`,
            for: '1m',
            labels: { severity: 'critical' },
            annotations: { summary: 'Prometheus cannot scrape {{ $labels.instance }}: the web replica is down or hung.' },
          },
          {
            alert: 'HealthCheckFailing',
            // The platform's health check asks every few seconds; a 503 means the database did not answer.
            expr: `sum by (instance) (rate(tau_http_requests_total{job="${m.web.job}",view="${m.healthView}",status!="200"}[1m])) > 0`,
            for: '30s',
            labels: { severity: 'critical' },
            annotations: { summary: '{{ $labels.instance }} answers its health check with an error: the database does not answer it.' },
          },
          {
            alert: 'WebErrorRatio',
            expr: `sum(rate(${requests.replace('}', ',status=~"5.."}')}[5m])) / sum(rate(${requests}[5m])) > ${a.errorRatio}`,
            for: '5m',
            labels: { severity: 'warning' },
            annotations: { summary: `More than ${a.errorRatio * 100}% of the app's answers are 5xx: {{ $value | humanizePercentage }}.` },
          },
          {
            alert: 'WebLatencyP99',
            expr: `histogram_quantile(0.99, sum by (le) (rate(tau_http_request_duration_seconds_bucket{job="${m.web.job}",view!="${m.healthView}"}[5m]))) > ${a.p99Latency.toMillis() / 1000}`,
            for: '10m',
            labels: { severity: 'warning' },
            annotations: { summary: `The app's p99 answer time is over ${a.p99Latency.toMillis() / 1000} s: {{ $value | humanizeDuration }}.` },
          },
        ],
      },
      {
        name: 'operations',
        rules: [
          {
            alert: 'CertificateExpiresSoon',
            expr: `${EXTERNAL_METRICS.certificateNotAfter} - time() < ${a.certificateDays} * 86400`,
            labels: { severity: 'warning' },
            annotations: { summary: `The certificate expires in less than ${a.certificateDays} days: renewal is failing.` },
          },
          {
            alert: 'CertificateRenewalFailing',
            // The ACME client tries again a minute after a failure: one that lasts half an hour is not a blip.
            expr: `${EXTERNAL_METRICS.renewalSuccess} == 0`,
            for: '30m',
            labels: { severity: 'warning' },
            annotations: { summary: 'The ACME client\'s attempts to obtain or renew the certificate fail: `docker compose logs acme` says why.' },
          },
          {
            alert: 'BackupTooOld',
            expr: `time() - ${EXTERNAL_METRICS.backupLastSuccess} > ${a.backupAge.toSeconds()}`,
            labels: { severity: 'warning' },
            annotations: { summary: `The last successful backup is older than ${a.backupAge.toSeconds() / 3600} hours.` },
          },
          {
            alert: 'DatabaseDiskFilling',
            expr: `${EXTERNAL_METRICS.diskAvailable}{volume="database"} / ${EXTERNAL_METRICS.diskSize}{volume="database"} < ${a.databaseDiskFree}`,
            for: '10m',
            labels: { severity: 'critical' },
            annotations: { summary: `Less than ${a.databaseDiskFree * 100}% of the database volume is free.` },
          },
        ],
      },
      ...exporterAlertGroups(m.exporters ?? {}, a.databaseConnections, m.scrapeInterval),
    ],
  };
}

/** A YAML file with a header comment. */
export function renderYaml(marker: string, comment: string[], obj: Record<string, unknown>): string {
  return [`# ${marker}`, ...comment.map((l) => `# ${l}`), stringify(obj, { lineWidth: 0 })].join('\n');
}
