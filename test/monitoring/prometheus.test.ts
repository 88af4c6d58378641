import { parse } from 'yaml';
import { Duration } from '../../src/internal';
import { cleanTempDirs, synthFiles, TAU } from '../helpers/synth';
import { usePromtool } from './promtool';

/**
 * The generated Prometheus files, judged by promtool (built from the Go module proxy by
 * test/prometheus/build.sh): `check config`, `check rules`, and `test rules`, which evaluates the rules
 * over series written here and asserts which alerts fire.
 */

afterAll(cleanTempDirs);

const { write, writeFile, run } = usePromtool('tau-prometheus-');

describe('the scrape configuration and the alert rules', () => {
  const files = synthFiles();

  test('promtool accepts both', () => {
    write(files);
    const config = run('check', 'config', 'prometheus.yml');
    expect(config.output).toContain('SUCCESS: 1 rule files found');
    expect(config.status).toBe(0);
    const rules = run('check', 'rules', 'alerts.yml');
    expect(rules.output).toContain('SUCCESS: 8 rules found');
    expect(rules.status).toBe(0);
  });

  test('every replica of web is scraped at its metrics address, never through nginx', () => {
    const config = parse(files['monitoring/prometheus.yml']);
    expect(config.scrape_configs[0]).toEqual({
      job_name: 'web', metrics_path: '/metrics',
      dns_sd_configs: [{ names: ['web'], type: 'A', port: 9000, refresh_interval: '15s' }],
    });
  });

  test('the rules cover errors, latency, health, the certificate, backups and the database disk', () => {
    const names = parse(files['monitoring/alerts.yml']).groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert));
    expect(names).toEqual(['WebDown', 'HealthCheckFailing', 'WebErrorRatio', 'WebLatencyP99', 'CertificateExpiresSoon', 'CertificateRenewalFailing', 'BackupTooOld', 'DatabaseDiskFilling']);
  });

  test('the thresholds are options, and a changed one reaches the rules that promtool accepts', () => {
    const other = synthFiles({ ...TAU, monitoring: { scrapeInterval: Duration.seconds(5), alerts: { errorRatio: 0.01, p99Latency: Duration.millis(250) } } });
    write(other);
    expect(run('check', 'config', 'prometheus.yml').status).toBe(0);
    expect(run('check', 'rules', 'alerts.yml').status).toBe(0);
    expect(other['monitoring/alerts.yml']).toContain('> 0.01');
    expect(other['monitoring/alerts.yml']).toContain('> 0.25');
    expect(parse(other['monitoring/prometheus.yml']).global.scrape_interval).toBe('5s');
  });

  test('promtool test rules: each alert fires on the series that should fire it, and not on a healthy stack', () => {
    write(files);
    // Series by the minute: a healthy replica, then 503s from the health check (the database stopped), 10% 5xx,
    // slow answers, and the externally exported timestamps.
    const healthy = 'web:9000';
    const unit = {
      rule_files: ['alerts.yml'],
      evaluation_interval: '15s',
      tests: [
        {
          interval: '15s',
          input_series: [
            { series: `up{job="web",instance="${healthy}"}`, values: '1x40' },
            { series: `tau_http_requests_total{job="web",instance="${healthy}",view="health",method="GET",status="200"}`, values: '0+1x40' },
            { series: `tau_http_requests_total{job="web",instance="${healthy}",view="graphql",method="POST",status="200"}`, values: '0+100x40' },
          ],
          alert_rule_test: ['WebDown', 'HealthCheckFailing', 'WebErrorRatio', 'WebLatencyP99', 'CertificateExpiresSoon', 'CertificateRenewalFailing', 'BackupTooOld', 'DatabaseDiskFilling']
            .map((alertname) => ({ eval_time: '10m', alertname, exp_alerts: [] })),
        },
        {
          interval: '15s',
          input_series: [
            { series: 'up{job="web",instance="web:9000"}', values: '1x4 0x20' },
            { series: 'tau_http_requests_total{job="web",instance="web:9000",view="health",method="GET",status="503"}', values: '0+1x20' },
            { series: 'tau_http_requests_total{job="web",instance="web:9000",view="graphql",method="POST",status="200"}', values: '0+90x80' },
            { series: 'tau_http_requests_total{job="web",instance="web:9000",view="graphql",method="POST",status="500"}', values: '0+10x80' },
            { series: 'tau_http_request_duration_seconds_bucket{job="web",instance="web:9000",view="graphql",method="POST",status="200",le="1.0"}', values: '0+10x80' },
            { series: 'tau_http_request_duration_seconds_bucket{job="web",instance="web:9000",view="graphql",method="POST",status="200",le="2.5"}', values: '0+100x80' },
            { series: 'tau_http_request_duration_seconds_bucket{job="web",instance="web:9000",view="graphql",method="POST",status="200",le="+Inf"}', values: '0+100x80' },
            { series: 'tau_certificate_not_after_timestamp_seconds{host="tau.example.com"}', values: `${10 * 86400}x80` },
            { series: 'tau_backup_last_success_timestamp_seconds', values: '0x80' },
            { series: 'node_filesystem_avail_bytes{volume="database"}', values: '5x80' },
            { series: 'node_filesystem_size_bytes{volume="database"}', values: '100x80' },
          ],
          alert_rule_test: [
            { eval_time: '3m', alertname: 'WebDown', exp_alerts: [{ exp_labels: { severity: 'critical', job: 'web', instance: 'web:9000' }, exp_annotations: { summary: 'Prometheus cannot scrape web:9000: the web replica is down or hung.' } }] },
            { eval_time: '2m', alertname: 'HealthCheckFailing', exp_alerts: [{ exp_labels: { severity: 'critical', instance: 'web:9000' }, exp_annotations: { summary: 'web:9000 answers its health check with an error: the database does not answer it.' } }] },
            { eval_time: '15m', alertname: 'WebErrorRatio', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: { summary: 'More than 5% of the app\'s answers are 5xx: 10%.' } }] },
            { eval_time: '18m', alertname: 'WebLatencyP99', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: { summary: 'The app\'s p99 answer time is over 1 s: 2.483s.' } }] },
            { eval_time: '1m', alertname: 'CertificateExpiresSoon', exp_alerts: [{ exp_labels: { severity: 'warning', host: 'tau.example.com' }, exp_annotations: { summary: 'The certificate expires in less than 14 days: renewal is failing.' } }] },
            { eval_time: '1m', alertname: 'BackupTooOld', exp_alerts: [] },
            { eval_time: '15m', alertname: 'DatabaseDiskFilling', exp_alerts: [{ exp_labels: { severity: 'critical', volume: 'database' }, exp_annotations: { summary: 'Less than 10% of the database volume is free.' } }] },
          ],
        },
        {
          // The ACME client's attempts fail from the 10th minute on (it tries again every minute): the alert waits
          // half an hour for a blip to pass, then fires; a success clears it.
          interval: '1m',
          input_series: [{ series: 'tau_certificate_renewal_last_attempt_success{job="node",instance="node-exporter:9100"}', values: '1x9 0x50 1x10' }],
          alert_rule_test: [
            { eval_time: '35m', alertname: 'CertificateRenewalFailing', exp_alerts: [] },
            { eval_time: '45m', alertname: 'CertificateRenewalFailing', exp_alerts: [{ exp_labels: { severity: 'warning', job: 'node', instance: 'node-exporter:9100' }, exp_annotations: { summary: 'The ACME client\'s attempts to obtain or renew the certificate fail: `docker compose logs acme` says why.' } }] },
            { eval_time: '65m', alertname: 'CertificateRenewalFailing', exp_alerts: [] },
          ],
        },
        {
          // A backup finished at the start (timestamp 0), none since: a day later the alert fires.
          interval: '1h',
          input_series: [{ series: 'tau_backup_last_success_timestamp_seconds', values: '0x30' }],
          alert_rule_test: [
            { eval_time: '23h', alertname: 'BackupTooOld', exp_alerts: [] },
            { eval_time: '25h', alertname: 'BackupTooOld', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: { summary: 'The last successful backup is older than 24 hours.' } }] },
          ],
        },
      ],
    };
    writeFile('alerts.test.yml', JSON.stringify(unit));
    const r = run('test', 'rules', 'alerts.test.yml');
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('the monitoring service', () => {
  test('off by default: the files only', () => {
    const compose = parse(synthFiles()['docker-compose.yml']);
    expect(compose.services.monitoring).toBeUndefined();
  });

  test('on: Prometheus on the back network only, no port published, the generated files mounted read-only', () => {
    const compose = parse(synthFiles({ ...TAU, monitoring: true })['docker-compose.yml']);
    const m = compose.services.monitoring;
    expect(m.image).toBe('prom/prometheus:v3.16.0');
    expect(m.networks).toEqual(['back']);
    expect(m.ports).toBeUndefined();
    expect(m.read_only).toBe(true);
    expect(m.volumes).toEqual(expect.arrayContaining(['prometheus_data:/prometheus', './monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro', './monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro']));
  });
});

describe('node_exporter: the database volume\'s disk and the textfiles of the stack\'s scripts', () => {
  const files = synthFiles({ ...TAU, hosts: ['tau.example.com'], monitoring: true, tls: { mode: 'acme', email: 'ops@tau.example.com' } });
  const compose = parse(files['docker-compose.yml']);

  test('a service of its own: every collector off but filesystem (the database volume only, read-only) and textfile', () => {
    const n = compose.services['node-exporter'];
    expect(n.image).toBe('prom/node-exporter:v1.12.1');
    expect(n.command).toEqual(['--collector.disable-defaults', '--collector.filesystem', '--collector.filesystem.mount-points-include=^/volumes/',
      '--collector.textfile', '--collector.textfile.directory=/metrics', '--web.listen-address=:9100']);
    expect(n.volumes).toEqual(['postgres_data:/volumes/database:ro', 'metrics_textfiles:/metrics:ro']);
    expect([n.user, n.read_only, n.cap_drop, n.networks, n.ports]).toEqual(['nobody', true, ['ALL'], ['back'], undefined]);
  });

  test('the writers mount the textfile directory: the ACME client and the db container (for ops/backup.sh), no one else', () => {
    const writers = Object.entries(compose.services as Record<string, { volumes?: string[] }>)
      .filter(([, s]) => (s.volumes ?? []).some((v) => v.startsWith('metrics_textfiles:'))).map(([name, s]) => [name, s.volumes!.find((v) => v.startsWith('metrics_textfiles:'))]);
    expect(writers).toEqual([['db', 'metrics_textfiles:/metrics'], ['acme', 'metrics_textfiles:/metrics'], ['node-exporter', 'metrics_textfiles:/metrics:ro']]);
  });

  test('Prometheus scrapes it and labels the file system by the volume the rules select', () => {
    const node = parse(files['monitoring/prometheus.yml']).scrape_configs.find((j: { job_name: string }) => j.job_name === 'node');
    expect(node).toEqual({
      job_name: 'node', static_configs: [{ targets: ['node-exporter:9100'] }],
      metric_relabel_configs: [{ source_labels: ['mountpoint'], regex: '/volumes/(.+)', target_label: 'volume', replacement: '$1' }],
    });
    expect(files['monitoring/alerts.yml']).toContain('node_filesystem_avail_bytes{volume="database"}');
  });

  test('ops/backup.sh writes its success last, atomically; lego.sh reports each attempt and the expiry', () => {
    const backup = files['ops/backup.sh'];
    const metric = backup.indexOf('tau_backup_last_success_timestamp_seconds');
    expect(metric).toBeGreaterThan(backup.indexOf('mv "$dir.partial" "$dir"'));
    expect(metric).toBeGreaterThan(backup.indexOf('backup" sh "$kind"'));
    expect(backup).toContain('> "$3.new" && mv "$3.new" "$3"');
    expect(backup).toContain('/metrics/backup.prom');
    const lego = files['acme/lego.sh'];
    expect(lego).toMatch(/if once "\$ACME_RENEW_DAYS"; then\n\s+report 1\n[^]*else\n\s+report 0\n/);
    expect(lego).toContain('> /metrics/certificate.prom.new && mv /metrics/certificate.prom.new /metrics/certificate.prom');
    for (const name of ['tau_certificate_not_after_timestamp_seconds', 'tau_certificate_renewal_last_attempt_success', 'tau_certificate_renewal_last_attempt_timestamp_seconds']) {
      expect(lego).toContain(`# TYPE ${name} gauge`);
    }
  });

  test('without monitoring: no node_exporter, no textfile volume, and neither script writes metrics', () => {
    const plain = synthFiles({ ...TAU, hosts: ['tau.example.com'], tls: { mode: 'acme', email: 'ops@tau.example.com' } });
    const c = parse(plain['docker-compose.yml']);
    expect(c.services['node-exporter']).toBeUndefined();
    expect(c.volumes.metrics_textfiles).toBeUndefined();
    expect(plain['ops/backup.sh']).not.toContain('/metrics');
    expect(plain['acme/lego.sh']).not.toContain('report');
    expect(parse(plain['monitoring/prometheus.yml']).scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual(['web', 'prometheus']);
  });
});
