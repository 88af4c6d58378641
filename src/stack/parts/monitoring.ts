import { posix } from 'path';
import { checkDurationValue, checkOptionKeys, Duration, ManagedFile, optionKeys, Problem } from '../../core';
import { Healthcheck, Service, Volume } from '../../model';
import { AlertThresholds, alertRules, alertThresholds, ExporterTargets, prometheusConfig, PrometheusModel, renderYaml } from '../../monitoring';
import { NginxSite } from '../../nginx';
import { addNginxExporter, addPostgresExporter, EXPORTER_IMAGES, ExportedDatabase, ExporterOptions } from './exporters';
import type { PartScope, StackPart } from './stack-part';

export interface MonitoringOptions {
  /**
   * Run Prometheus in the stack, as the `monitoring` service, with the generated configuration. Off, the
   * files are still written, for a Prometheus of your own that reaches the stack's network.
   * @default true when `monitoring` is given
   */
  readonly enabled?: boolean;
  /**
   * The Prometheus image.
   * @default 'prom/prometheus:v3.16.0'
   */
  readonly image?: string;
  /**
   * How often Prometheus scrapes the app and evaluates the rules.
   * @default Duration.seconds(15)
   */
  readonly scrapeInterval?: Duration;
  /**
   * How long Prometheus keeps samples.
   * @default Duration.days(15)
   */
  readonly retention?: Duration;
  /** When the alerts fire. @default - 5% of 5xx, p99 over 1 s, certificate within 14 days, backup over a day old, under 10% of the database disk free */
  readonly alerts?: AlertThresholds;
  /**
   * nginx-prometheus-exporter, reading nginx's stub_status on a Unix socket (never on a port), scraped as
   * job `nginx`; `false` for none.
   * @default true
   */
  readonly nginxExporter?: boolean | ExporterOptions;
  /**
   * postgres_exporter, connected as a read-only monitoring role of its own (pg_monitor), scraped as job
   * `postgres`; `false` for none. The stack's own database only: an external one is not exported.
   * @default - true with the stack's own database
   */
  readonly postgresExporter?: boolean | ExporterOptions;
  /**
   * node_exporter, with Prometheus in the stack and its own database: reports the database volume's free space
   * and the metrics the stack's scripts write (the last backup, the certificate), and nothing else of the
   * host; `false` for none (the disk, backup and certificate alerts then have no series).
   * @default true
   */
  readonly nodeExporter?: boolean | ExporterOptions;
}

export const MONITORING_OPTION_KEYS = optionKeys<MonitoringOptions>()({
  enabled: true, image: true, scrapeInterval: true, retention: true, alerts: true, nginxExporter: true, postgresExporter: true, nodeExporter: true,
});
const ALERT_KEYS = optionKeys<AlertThresholds>()({ errorRatio: true, p99Latency: true, certificateDays: true, backupAge: true, databaseDiskFree: true, databaseConnections: true });
const EXPORTER_KEYS = optionKeys<ExporterOptions>()({ image: true });

export interface MonitoringProps {
  readonly options?: boolean | MonitoringOptions;
  /** The service whose metrics are scraped, at its metrics address. */
  readonly web: Service;
  readonly metrics: { readonly port: number; readonly path: string };
  /** The label the app counts its health check's answers under. */
  readonly healthView: string;
  /** nginx, whose status page its exporter reads. */
  readonly nginx: { readonly service: Service; readonly site: NginxSite };
  /** The stack's own database; undefined when it is external. */
  readonly database?: ExportedDatabase;
  /** The database's data volume, when the stack runs the database: node_exporter reports its file system's space. */
  readonly databaseVolume?: Volume;
}

/**
 * Prometheus' scrape configuration and alert rules, generated from the model (monitoring/), and optionally
 * Prometheus itself as the `monitoring` service: on the back network, where it reaches the app's metrics
 * address; no port published (`docker compose exec monitoring ...`, or a tunnel, to look at it).
 */
export class Monitoring implements StackPart {
  public static readonly DIR = 'monitoring';
  public static readonly CONTAINER_DIR = '/etc/prometheus';
  public static readonly PORT = 9090;
  public static readonly NODE_EXPORTER_PORT = 9100;
  /**
   * Where node_exporter reads the `*.prom` files of its textfile collector, and where the services that write
   * them (the ACME client, the db container for ops/backup.sh) mount the same volume.
   */
  public static readonly TEXTFILE_DIR = '/metrics';
  /** Where node_exporter mounts each volume it reports on: `/volumes/<label>`, the series' `volume` label. */
  public static readonly VOLUMES_DIR = '/volumes';
  /** node_exporter, when `monitoring` is given and the stack runs its database. */
  public readonly nodeExporter?: Service;
  /** The textfile collector's directory, shared with the services that write metrics into it. */
  public readonly textfiles?: Volume;
  public readonly config: ManagedFile;
  public readonly rules: ManagedFile;
  public readonly service?: Service;
  public readonly model: PrometheusModel;
  private readonly options: MonitoringOptions;
  private readonly hasDatabase: boolean;

  constructor(stack: PartScope, props: MonitoringProps) {
    const options = this.options = typeof props.options === 'object' ? props.options : {};
    this.hasDatabase = props.database !== undefined;
    const enabled = props.options === undefined || props.options === false ? false : options.enabled ?? true;
    const rulesFile = 'alerts.yml';
    this.model = {
      scrapeInterval: options.scrapeInterval ?? Duration.seconds(15),
      web: { job: props.web.name, host: props.web.name, port: props.metrics.port, path: props.metrics.path },
      healthView: props.healthView,
      rulesFile,
      alerts: options.alerts ?? {},
      exporters: props.options === undefined || props.options === false ? {} : this.addExporters(stack, props),
      node: enabled && props.databaseVolume && options.nodeExporter !== false ? { job: 'node', host: 'node-exporter', port: Monitoring.NODE_EXPORTER_PORT, volumesDir: Monitoring.VOLUMES_DIR } : undefined,
    };
    const configPath = posix.join(Monitoring.DIR, 'prometheus.yml');
    this.config = new ManagedFile(stack, configPath, {
      render: (marker) => renderYaml(marker, [
        'Prometheus\' configuration: the app\'s replicas scraped at their metrics address (never published,',
        'refused by nginx), the alert rules of alerts.yml. Generated from .projenrc.ts.',
      ], prometheusConfig(this.model)),
    });
    this.rules = new ManagedFile(stack, posix.join(Monitoring.DIR, rulesFile), {
      render: (marker) => renderYaml(marker, [
        'Alert rules. The app exports tau_http_*; the operations group reads what node_exporter reports with',
        '`monitoring` on: the database volume\'s disk, and the textfiles of ops/backup.sh and the ACME client.',
      ], alertRules(this.model)),
    });
    if (!enabled) return;
    const retention = options.retention ?? Duration.days(15);
    this.service = stack.addService('monitoring', {
      image: options.image ?? 'prom/prometheus:v3.16.0',
      port: Monitoring.PORT,
      description: 'Prometheus: scrapes the app\'s metrics and evaluates the alert rules',
      command: [
        `--config.file=${Monitoring.CONTAINER_DIR}/prometheus.yml`,
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${retention.toSeconds()}s`,
      ],
      // promtool ships in the image beside prometheus: ready once the configuration is loaded and storage is open.
      healthcheck: Healthcheck.command('promtool', 'check', 'ready', `--url=http://127.0.0.1:${Monitoring.PORT}`),
      limits: { memory: '512m' },
    });
    const data = stack.addVolume('prometheus_data', { description: 'Prometheus\' samples' });
    this.service
      .mount('/prometheus', data)
      .mountFile(configPath, `${Monitoring.CONTAINER_DIR}/prometheus.yml`)
      .mountFile(this.rules.path, `${Monitoring.CONTAINER_DIR}/${rulesFile}`);
    if (!this.model.node || !props.databaseVolume) return;

    // node_exporter with every collector off but two: the file systems of what it mounts (the database volume,
    // read-only; the series labelled volume="database" by the scrape's relabelling of the mount point) and the
    // textfile collector (what ops/backup.sh and the ACME client write). Nothing of the host is mounted.
    this.textfiles = stack.addVolume('metrics_textfiles', { description: 'Metrics written by the stack\'s scripts (the last backup, the certificate), read by node_exporter' });
    const databaseAt = `${Monitoring.VOLUMES_DIR}/database`;
    this.nodeExporter = stack.addService(this.model.node.host, {
      image: (typeof options.nodeExporter === 'object' ? options.nodeExporter.image : undefined) ?? EXPORTER_IMAGES.node,
      port: Monitoring.NODE_EXPORTER_PORT,
      description: 'node_exporter: the database volume\'s free space, and the metrics the stack\'s scripts write',
      command: [
        '--collector.disable-defaults',
        '--collector.filesystem',
        // Its own root, /etc's bind mounts and the kernel's file systems are not what anyone asks about.
        `--collector.filesystem.mount-points-include=^${Monitoring.VOLUMES_DIR}/`,
        '--collector.textfile',
        `--collector.textfile.directory=${Monitoring.TEXTFILE_DIR}`,
        `--web.listen-address=:${Monitoring.NODE_EXPORTER_PORT}`,
      ],
      // The image's user; it reads the textfiles (written world-readable) and stats the mounts, nothing more.
      user: 'nobody',
      limits: { memory: '64m', cpus: 0.25, pids: 32 },
    });
    this.nodeExporter
      .mount(databaseAt, props.databaseVolume, { readOnly: true, note: 'Only its file system\'s size and free space are read' })
      .mount(Monitoring.TEXTFILE_DIR, this.textfiles, { readOnly: true });
  }

  /**
   * Lets `service` write textfile metrics: mounts the shared directory at TEXTFILE_DIR and returns that path,
   * or undefined when no node_exporter reads them.
   */
  public writeMetricsFrom(service: Service): string | undefined {
    if (!this.textfiles) return undefined;
    service.mount(Monitoring.TEXTFILE_DIR, this.textfiles);
    return Monitoring.TEXTFILE_DIR;
  }

  /**
   * The exporters, whenever `monitoring` is given: with Prometheus in the stack, or for one of your own
   * that reaches the back network.
   */
  private addExporters(stack: PartScope, props: MonitoringProps): ExporterTargets {
    const { nginxExporter, postgresExporter } = this.options;
    const options = (o: unknown): ExporterOptions => (typeof o === 'object' && o !== null ? o : {});
    return {
      nginx: nginxExporter === false ? undefined : addNginxExporter(stack, props.nginx, options(nginxExporter)),
      postgres: postgresExporter === false || !props.database ? undefined : addPostgresExporter(stack, props.database, options(postgresExporter)),
    };
  }

  /** The exporters' options: each true, false or an object of known keys; postgres_exporter needs the stack's own database. */
  private validateExporters(): Problem[] {
    const images = { nginxExporter: EXPORTER_IMAGES.nginx, postgresExporter: EXPORTER_IMAGES.postgres, nodeExporter: EXPORTER_IMAGES.node };
    return (['nginxExporter', 'postgresExporter', 'nodeExporter'] as const).flatMap((field) => {
      const value = this.options[field];
      if (value === undefined || typeof value === 'boolean') return [];
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return [{ component: 'monitoring', field, value, allowed: 'true, false or { image }' }];
      }
      return [
        ...checkOptionKeys(`monitoring.${field}`, value, EXPORTER_KEYS),
        ...(value.image === undefined || (typeof value.image === 'string' && value.image.trim() !== '') ? []
          : [{ component: `monitoring.${field}`, field: 'image', value: value.image, allowed: `an image reference with a tag, such as ${images[field]}` }]),
      ];
    });
  }

  public validate(): Problem[] {
    const a = alertThresholds(this.options.alerts);
    const share = (field: string, v: number) => (typeof v === 'number' && v > 0 && v < 1 ? []
      : [{ component: 'monitoring.alerts', field, value: v, allowed: 'a share between 0 and 1, such as 0.05' }]);
    return [
      ...checkOptionKeys('monitoring', this.options, MONITORING_OPTION_KEYS),
      ...checkOptionKeys('monitoring.alerts', this.options.alerts, ALERT_KEYS),
      ...checkDurationValue('monitoring', 'scrapeInterval', this.options.scrapeInterval, { min: Duration.seconds(1), max: Duration.minutes(5) }),
      ...checkDurationValue('monitoring', 'retention', this.options.retention, { min: Duration.hours(2), max: Duration.days(3650) }),
      ...share('errorRatio', a.errorRatio),
      ...share('databaseDiskFree', a.databaseDiskFree),
      ...share('databaseConnections', a.databaseConnections),
      ...this.validateExporters(),
      ...(this.options.postgresExporter !== undefined && this.options.postgresExporter !== false && !this.hasDatabase
        ? [{ component: 'monitoring', field: 'postgresExporter', value: this.options.postgresExporter, allowed: 'false, or left out, with an external database: the stack runs postgres_exporter for its own database only (docs/OPERATIONS.md)' }]
        : []),
      ...(Number.isInteger(a.certificateDays) && a.certificateDays >= 1 && a.certificateDays <= 89 ? []
        : [{ component: 'monitoring.alerts', field: 'certificateDays', value: a.certificateDays, allowed: 'a whole number of days from 1 to 89 (certificates of the ACME CAs last 90 days)' }]),
      ...checkDurationValue('monitoring.alerts', 'p99Latency', this.options.alerts?.p99Latency, { min: Duration.millis(1), max: Duration.hours(1) }),
      ...checkDurationValue('monitoring.alerts', 'backupAge', this.options.alerts?.backupAge, { min: Duration.hours(1), max: Duration.days(365) }),
    ];
  }
}
