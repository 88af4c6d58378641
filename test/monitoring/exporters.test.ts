import { parse } from 'yaml';
import { EXPORTER_IMAGES } from '../../src/internal';
import { cleanTempDirs, newStack, synthFiles, TAU } from '../helpers/synth';
import { validateWithRealTools } from '../validators';
import { usePromtool } from './promtool';

/**
 * nginx's and PostgreSQL's exporters: the services, the status page on a Unix socket only, the monitoring
 * role's script, and their scrape jobs and alert rules as promtool (test/prometheus/build.sh) judges them.
 */

afterAll(cleanTempDirs);

const promtool = usePromtool('tau-exporters-');

function promtoolOn(files: Record<string, string>, ...args: string[]): { status: number; output: string } {
  promtool.write(files);
  return promtool.run(...args);
}

const alertNames = (files: Record<string, string>) =>
  parse(files['monitoring/alerts.yml']).groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert));

describe('with monitoring on', () => {
  const files = synthFiles({ ...TAU, monitoring: true });
  const compose = parse(files['docker-compose.yml']);

  test('both exporters run on the back network, publish nothing, and are scraped by their service name', () => {
    for (const [name, image, port] of [['nginx-exporter', EXPORTER_IMAGES.nginx, 9113], ['postgres-exporter', EXPORTER_IMAGES.postgres, 9187]] as const) {
      const s = compose.services[name];
      expect(s.image).toBe(image);
      expect(s.networks).toEqual(['back']);
      expect(s.ports).toBeUndefined();
      expect(s.read_only).toBe(true);
      expect(s.cap_drop).toEqual(['ALL']);
      expect(s.cap_add).toBeUndefined();
      const job = parse(files['monitoring/prometheus.yml']).scrape_configs.find((c: { static_configs?: { targets: string[] }[] }) => c.static_configs?.[0].targets[0] === `${name}:${port}`);
      expect(job?.job_name).toBe(name.split('-')[0]);
    }
  });

  test('promtool accepts the configuration and the rules, the exporters\' three alerts among them', () => {
    const config = promtoolOn(files, 'check', 'config', 'prometheus.yml');
    expect(config.output).toContain('SUCCESS: 1 rule files found');
    expect(config.status).toBe(0);
    const rules = promtoolOn(files, 'check', 'rules', 'alerts.yml');
    expect(rules.output).toContain('SUCCESS: 11 rules found');
    expect(rules.status).toBe(0);
    expect(alertNames(files).slice(-3)).toEqual(['NginxDown', 'PostgresDown', 'PostgresConnectionsNearLimit']);
  });

  test('stub_status is served on a Unix socket in a volume only nginx and its exporter mount, on no port', () => {
    const conf = files['nginx/default.conf'];
    const status = conf.slice(conf.lastIndexOf('server {'));
    expect(status).toContain('listen unix:/var/run/nginx-status/status.sock;');
    expect(status).toContain('location = /stub_status {\n        stub_status;');
    expect(conf.match(/stub_status;/g)).toHaveLength(1);
    expect([...new Set(conf.match(/^\s*listen [^;]+/gm)!.map((l) => l.trim()))].sort())
      .toEqual(['listen 80', 'listen 80 default_server', 'listen unix:/var/run/nginx-health.sock', 'listen unix:/var/run/nginx-status/status.sock']);
    const mounting = Object.entries(compose.services as Record<string, { volumes?: string[] }>)
      .filter(([, s]) => (s.volumes ?? []).some((v) => v.startsWith('nginx_status:'))).map(([n, s]) => `${n} ${s.volumes!.find((v) => v.startsWith('nginx_status:'))}`);
    expect(mounting).toEqual(['nginx nginx_status:/var/run/nginx-status', 'nginx-exporter nginx_status:/var/run/nginx-status:ro']);
    expect(compose.services['nginx-exporter'].command).toEqual(['--nginx.scrape-uri=unix:/var/run/nginx-status/status.sock:/stub_status', '--web.listen-address=:9113']);
    // A socket a killed nginx left is removed before nginx starts (the image's entrypoint runs the script).
    expect(compose.services.nginx.volumes).toContain('./nginx/10-remove-status-socket.sh:/docker-entrypoint.d/10-remove-status-socket.sh:ro');
    expect(files['nginx/10-remove-status-socket.sh']).toContain('rm -f /var/run/nginx-status/status.sock');
  });

  test('postgres_exporter connects as the monitoring role, whose password is a generated secret in .env and on no command line', () => {
    const exporter = compose.services['postgres-exporter'];
    expect(exporter.environment.POSTGRES_MONITOR_PASSWORD).toBe('${POSTGRES_MONITOR_PASSWORD:?POSTGRES_MONITOR_PASSWORD must be set in .env}');
    expect(exporter.environment.POSTGRES_MONITOR_USER).toBe('${POSTGRES_MONITOR_USER:-tau_monitor}');
    expect(exporter.entrypoint.join(' ')).toContain('DATA_SOURCE_PASS="$${POSTGRES_MONITOR_PASSWORD}"');
    expect(exporter.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(files['.env']).toMatch(/^POSTGRES_MONITOR_PASSWORD='?[A-Za-z0-9_-]{16,}'?$/m);
    expect(files['.env.example']).toMatch(/^POSTGRES_MONITOR_PASSWORD=$/m);
    // The db creates the role on a new volume, after the app's roles.
    expect(compose.services.db.volumes).toContain('./postgres/create-monitor-role.sh:/docker-entrypoint-initdb.d/30-create-monitor-role.sh:ro');
    const script = files['postgres/create-monitor-role.sh'];
    expect(script).toContain('GRANT pg_monitor TO :"monitor_user";');
    expect(script).toContain('ALTER ROLE :"monitor_user" SET default_transaction_read_only = on;');
    expect(script).not.toMatch(/GRANT (SELECT|INSERT|UPDATE|DELETE|ALL)/);
  });

  test('the connections alert takes max_connections from the model, and promtool fires each alert on the series that should fire it', () => {
    const other = synthFiles({ ...TAU, postgres: { ...TAU.postgres, maxConnections: 200 }, monitoring: { alerts: { databaseConnections: 0.5 } } });
    expect(parse(other['docker-compose.yml']).services.db.command).toContain('max_connections=200');
    const rule = (f: Record<string, string>) => parse(f['monitoring/alerts.yml']).groups.find((g: { name: string }) => g.name === 'postgres').rules[1];
    expect(rule(files).expr).toBe('sum(pg_stat_database_numbackends{job="postgres"}) > 80');
    expect(rule(other).expr).toBe('sum(pg_stat_database_numbackends{job="postgres"}) > 100');
    const unit = {
      rule_files: ['alerts.yml'],
      evaluation_interval: '15s',
      tests: [
        {
          interval: '15s',
          input_series: [
            { series: 'up{job="nginx",instance="nginx-exporter:9113"}', values: '1x40' },
            { series: 'nginx_up{job="nginx",instance="nginx-exporter:9113"}', values: '1x40' },
            { series: 'up{job="postgres",instance="postgres-exporter:9187"}', values: '1x40' },
            { series: 'pg_up{job="postgres",instance="postgres-exporter:9187"}', values: '1x40' },
            { series: 'pg_stat_database_numbackends{job="postgres",instance="postgres-exporter:9187",datname="tau"}', values: '80x40' },
          ],
          alert_rule_test: ['NginxDown', 'PostgresDown', 'PostgresConnectionsNearLimit'].map((alertname) => ({ eval_time: '9m', alertname, exp_alerts: [] })),
        },
        {
          interval: '15s',
          input_series: [
            { series: 'up{job="nginx",instance="nginx-exporter:9113"}', values: '1x40' },
            { series: 'nginx_up{job="nginx",instance="nginx-exporter:9113"}', values: '1x4 0x36' },
            { series: 'up{job="postgres",instance="postgres-exporter:9187"}', values: '1x4 0x36' },
            { series: 'pg_stat_database_numbackends{job="postgres",instance="postgres-exporter:9187",datname="tau"}', values: '60x40' },
            { series: 'pg_stat_database_numbackends{job="postgres",instance="postgres-exporter:9187",datname="postgres"}', values: '21x40' },
          ],
          alert_rule_test: [
            { eval_time: '30s', alertname: 'NginxDown', exp_alerts: [] },
            { eval_time: '3m', alertname: 'NginxDown', exp_alerts: [{ exp_labels: { severity: 'critical', job: 'nginx', instance: 'nginx-exporter:9113' }, exp_annotations: { summary: 'nginx does not answer its status page (or its exporter is down): the site is unreachable.' } }] },
            { eval_time: '3m', alertname: 'PostgresDown', exp_alerts: [{ exp_labels: { severity: 'critical', job: 'postgres', instance: 'postgres-exporter:9187' }, exp_annotations: { summary: 'The monitoring role cannot connect to PostgreSQL (or its exporter is down).' } }] },
            { eval_time: '4m', alertname: 'PostgresConnectionsNearLimit', exp_alerts: [] },
            { eval_time: '6m', alertname: 'PostgresConnectionsNearLimit', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: { summary: 'More than 80 of PostgreSQL\'s 100 connections (max_connections) are in use: 81.' } }] },
          ],
        },
      ],
    };
    promtool.writeFile('exporters.test.yml', JSON.stringify(unit));
    const r = promtoolOn(files, 'test', 'rules', 'exporters.test.yml');
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

test('the real tools accept the stack with both exporters: nginx -t with the status socket, compose config, shellcheck of the new scripts, yamllint', () => {
  const { project, stack, outdir } = newStack({ ...TAU, monitoring: true });
  project.synth();
  expect(validateWithRealTools(outdir, stack)).toEqual([]);
}, 120_000);

describe('which exporters run', () => {
  test('none without monitoring: no service, no volume, no status page, no monitoring role', () => {
    const files = synthFiles();
    const compose = parse(files['docker-compose.yml']);
    expect(Object.keys(compose.services).filter((s) => s.endsWith('-exporter'))).toEqual([]);
    expect(compose.volumes.nginx_status).toBeUndefined();
    expect(files['nginx/default.conf']).not.toContain('stub_status');
    expect(files['postgres/create-monitor-role.sh']).toBeUndefined();
    expect(files['.env']).not.toContain('POSTGRES_MONITOR_PASSWORD');
    expect(alertNames(files)).not.toContain('NginxDown');
  });

  test('each can be turned off, and an exporter image set', () => {
    const files = synthFiles({ ...TAU, monitoring: { nginxExporter: false, postgresExporter: { image: 'registry.example.com/postgres-exporter:v0.17.1' } } });
    const compose = parse(files['docker-compose.yml']);
    expect(compose.services['nginx-exporter']).toBeUndefined();
    expect(files['nginx/default.conf']).not.toContain('stub_status');
    expect(compose.services['postgres-exporter'].image).toBe('registry.example.com/postgres-exporter:v0.17.1');
    expect(alertNames(files).slice(-3)).toEqual(['DatabaseDiskFilling', 'PostgresDown', 'PostgresConnectionsNearLimit']);
  });

  test('with an external database, nginx\'s exporter alone', () => {
    const files = synthFiles({ ...TAU, postgres: { external: { host: 'db.example.com', sslMode: 'require' } }, monitoring: true });
    const compose = parse(files['docker-compose.yml']);
    expect(Object.keys(compose.services).filter((s) => s.endsWith('-exporter'))).toEqual(['nginx-exporter']);
    expect(files['.env']).not.toContain('POSTGRES_MONITOR_PASSWORD');
  });
});

test('each exporter is turned off, or given another image, by its own option', () => {
  const off = parse(synthFiles({ ...TAU, monitoring: { nginxExporter: false, postgresExporter: false, nodeExporter: false } })['docker-compose.yml']);
  expect(Object.keys(off.services).filter((s) => s.endsWith('exporter'))).toEqual([]);
  const other = parse(synthFiles({ ...TAU, monitoring: { nodeExporter: { image: 'registry.example.com/node-exporter:v1.12.1' } } })['docker-compose.yml']);
  expect(other.services['node-exporter'].image).toBe('registry.example.com/node-exporter:v1.12.1');
  expect(other.services['nginx-exporter'].image).toBe(EXPORTER_IMAGES.nginx);
});
