import { chmodSync, readFileSync, rmSync } from 'fs';
import { join } from 'path';
import { request as httpRequest } from 'http';
import { LogLevel, Project } from 'projen';
import { DjangoStack, Duration, EXPORTER_IMAGES } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { copyRepository } from '../lib/repository-copy';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import { imageFromGoBuild, NODE_EXPORTER_IMAGE, nodeExporterImage, nodeMetricsChecks } from './node-metrics';
import { expect } from './smoke';

/**
 * Observability end to end: the stack with `monitoring` on, its Prometheus a stand-in image made here from
 * the binaries test/prometheus/build.sh builds from the Go module proxy (the official image's layout:
 * /bin/prometheus as entrypoint, /bin/promtool, /prometheus owned by nobody). Traffic of a known count
 * goes through nginx, carrying a known secret in a cookie, Authorization, the query and a password field;
 * Prometheus must count it, the logs must never hold the secret, and a stopped database must fire its alert.
 */

export const PROMETHEUS_IMAGE = 'prom/prometheus:v3.16.0';
const SECRET = 'tau-obs-secret-4f9c1e';
/** The stack's max_connections, other than the default: the alert and O5 must take the model's. */
const MAX_CONNECTIONS = 90;
/** The app's database: the project's name, as the model derives it. */
const DATABASE = String(TAU.django!.project).toLowerCase();

/** The images of Prometheus and of nginx's and PostgreSQL's exporters, made from the binaries built here. */
export function images(): void {
  imageFromGoBuild('build.sh', PROMETHEUS_IMAGE, ['prometheus', 'promtool'], [
    'COPY prometheus promtool /bin/',
    'RUN mkdir -p /prometheus /etc/prometheus && chown nobody:nogroup /prometheus',
    'USER nobody',
    'WORKDIR /prometheus',
    'ENTRYPOINT ["/bin/prometheus"]',
  ]);
  // The upstream image is FROM scratch, run as 1001:1001.
  imageFromGoBuild('build-exporters.sh', EXPORTER_IMAGES.nginx, ['nginx-prometheus-exporter'],
    ['COPY nginx-prometheus-exporter /usr/bin/', 'USER 1001:1001', 'ENTRYPOINT ["/usr/bin/nginx-prometheus-exporter"]']);
  // The upstream image is busybox's, run as nobody.
  imageFromGoBuild('build-exporters.sh', EXPORTER_IMAGES.postgres, ['postgres_exporter'],
    ['COPY postgres_exporter /bin/', 'USER nobody', 'ENTRYPOINT ["/bin/postgres_exporter"]']);
  nodeExporterImage();
}

/** Every image `images()` makes. */
export const MONITORING_IMAGES = [PROMETHEUS_IMAGE, ...Object.values(EXPORTER_IMAGES), NODE_EXPORTER_IMAGE];

/** One request through nginx: its status. */
function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<number> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', agent: false,
      headers: { Host: 'localhost', ...options.headers } }, (res) => { res.resume(); res.on('end', () => done(res.statusCode ?? 0)); });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${path}`)));
    req.on('error', fail);
    req.end(options.body);
  });
}

/** An instant query, asked with promtool inside the monitoring container: the value of each series. */
function query(stack: ComposeStack, expr: string): number[] {
  const r = stack.exec('monitoring', ['promtool', 'query', 'instant', 'http://127.0.0.1:9090', expr]);
  expect(r.code === 0, `promtool query ${expr}: ${r.output}`);
  return [...r.output.matchAll(/=> (\S+) @/g)].map((m) => Number(m[1]));
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}

export async function runObservability(log: (line: string) => void, check: (name: string, body: () => Promise<string>) => Promise<void>): Promise<void> {
  images();
  const dir = copyRepository('tau-e2e-obs-');
  // Prometheus runs as nobody and reads its mounted configuration through this directory.
  chmodSync(dir, 0o755);
  const project = new Project({ name: 'tau-obs', outdir: dir, logging: { level: LogLevel.OFF } });
  // Scraped every 2 s, so that the checks wait seconds, not minutes.
  new DjangoStack(project, { ...TAU, postgres: { ...TAU.postgres, maxConnections: MAX_CONNECTIONS }, monitoring: { scrapeInterval: Duration.seconds(2) } });
  project.synth();
  const stack = new ComposeStack(dir, 'tau-e2e-obs');
  const port = stack.front.port;
  log(`observability stack: ${stack.services.join(', ')}`);
  try {
    stack.standIns(MONITORING_IMAGES);
    stack.build();
    await stack.up();
    await waitFor('Prometheus scrapes web', 60_000, () => (query(stack, 'up{job="web"}')[0] === 1 ? true : undefined));

    await check('O1. metrics on the internal address only: nginx refuses /metrics, the metrics port is published nowhere, inside the stack it answers', async () => {
      const statuses = [await send(port, '/metrics'), await send(port, '/metrics/'), await send(port, '/metrics?x=1')];
      expect(statuses.every((s) => s === 404), `through nginx: ${statuses.join(', ')}`);
      const published = JSON.stringify(stack.config.services.web.ports ?? []);
      expect(!published.includes('9000'), `web publishes ${published}`);
      const inside = stack.exec('nginx', ['curl', '-s', 'http://web:9000/metrics']);
      expect(inside.code === 0 && inside.output.includes('# TYPE tau_http_requests_total counter'), `curl web:9000/metrics: ${inside.output.slice(0, 300)}`);
      return `/metrics, /metrics/, /metrics?x=1 through nginx -> ${statuses.join(', ')}; web publishes no port; from nginx's container web:9000/metrics -> ${inside.output.split('\n').length} lines`;
    });

    const count = () => query(stack, 'sum(tau_http_requests_total{job="web",view="graphql"})')[0] ?? 0;
    await check('O2. Prometheus counts the requests sent through nginx, across web\'s workers, within 5%', async () => {
      const before = count();
      const sent = 400;
      const started = Date.now();
      const statuses = await Promise.all(Array.from({ length: 8 }, async () => {
        const got: number[] = [];
        for (let i = 0; i < sent / 8; i++) got.push(await send(port, `/graphql/?password=${SECRET}`, { headers: { Cookie: `sessionid=${SECRET}`, Authorization: `Bearer ${SECRET}` } }));
        return got;
      }));
      const seconds = (Date.now() - started) / 1000;
      expect(statuses.flat().every((s) => s === 400), `statuses: ${[...new Set(statuses.flat())].join(', ')}`);
      // Two scrapes later every worker's samples are in.
      await sleep(5000);
      const counted = count() - before;
      expect(Math.abs(counted - sent) <= sent * 0.05, `sent ${sent}, Prometheus counted ${counted}`);
      return `sent ${sent} in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)}/s); Prometheus counted ${counted} (${((counted / sent) * 100).toFixed(1)}%)`;
    });

    await check('O3. nginx and Django log one JSON line per request with the same request id; no log of any service holds the secret', async () => {
      await send(port, '/admin/login/', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `csrftoken=${SECRET}` }, body: `username=admin&password=${SECRET}` });
      await send(port, '/graphql/', { headers: { 'User-Agent': 'tau-obs-trace', 'X-Request-ID': 'forged-by-the-client' } });
      await sleep(1000);
      const all = stack.compose(['logs', '--no-color', '--no-log-prefix']).output;
      expect(!all.includes(SECRET), `the secret is in the logs:\n${all.split('\n').filter((l) => l.includes(SECRET)).slice(0, 3).join('\n')}`);
      const json = (service: string) => stack.compose(['logs', '--no-color', '--no-log-prefix', service]).output.split('\n')
        .filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).filter(Boolean);
      const nginxLine = json('nginx').find((l) => l.user_agent === 'tau-obs-trace');
      expect(nginxLine, 'no nginx JSON line for the traced request');
      expect(/^[0-9a-f]{32}$/.test(nginxLine.request_id), `nginx's request id: ${nginxLine.request_id} (a client's X-Request-ID must not be taken)`);
      const webLine = json('web').find((l) => l.request_id === nginxLine.request_id);
      expect(webLine && webLine.path === '/graphql/' && webLine.status === 400, `web's line for ${nginxLine.request_id}: ${JSON.stringify(webLine)}`);
      return `${all.split('\n').length} log lines of ${stack.services.length} services, none with the secret (sent in a cookie, Authorization, a query and a password); ` +
        `request ${nginxLine.request_id}: nginx ${nginxLine.status} in ${nginxLine.duration} s, web view ${webLine.view} ${webLine.status} in ${webLine.duration} s`;
    });

    // The database volume's disk and the last backup, while the database runs.
    await nodeMetricsChecks(stack, check);

    // (O5-O7 run before O4, which stops the database.)
    await waitFor('Prometheus scrapes both exporters', 60_000, () => (query(stack, 'up{job=~"nginx|postgres"} == 1').length === 2 ? true : undefined));
    await check('O5. Prometheus has nginx\'s series (through its exporter and stub_status) and PostgreSQL\'s (through postgres_exporter)', async () => {
      const one = (expr: string) => { const v = query(stack, expr); expect(v.length === 1, `${expr}: ${v.length} series`); return v[0]; };
      const requests = one('nginx_http_requests_total{job="nginx"}');
      const accepted = one('nginx_connections_accepted{job="nginx"}');
      const active = one('nginx_connections_active{job="nginx"}');
      // O2 sent 400 requests through nginx, each on a connection of its own.
      expect(requests >= 400 && accepted >= 400, `nginx_http_requests_total ${requests}, nginx_connections_accepted ${accepted}: fewer than the 400 requests of O2`);
      const pgUp = one('pg_up{job="postgres"}');
      const maxConnections = one('pg_settings_max_connections{job="postgres"}');
      const backends = one('sum(pg_stat_database_numbackends{job="postgres"})');
      const commits = one(`pg_stat_database_xact_commit{job="postgres",datname="${DATABASE}"}`);
      expect(pgUp === 1 && backends >= 1 && commits > 0, `pg_up ${pgUp}, backends ${backends}, commits ${commits}`);
      expect(maxConnections === MAX_CONNECTIONS, `the server's max_connections ${maxConnections}, the model's ${MAX_CONNECTIONS}`);
      const firing = query(stack, 'ALERTS{alertname=~"NginxDown|PostgresDown|PostgresConnectionsNearLimit"}').length;
      expect(firing === 0, `${firing} of NginxDown, PostgresDown, PostgresConnectionsNearLimit pending or firing`);
      return `nginx: ${requests} requests, ${accepted} connections accepted, ${active} active; PostgreSQL: pg_up ${pgUp}, ${backends} backends, ` +
        `max_connections ${maxConnections} (the model's), ${commits} commits in ${DATABASE}; none of the 3 exporter alerts pending`;
    });

    await check('O9. web\'s database pools reach Prometheus: open after a query that reads the database, no more than PostgreSQL\'s backends', async () => {
      const status = await send(port, '/graphql/?query=%7Bdocuments%7Bid%7D%7D');
      expect(status === 200, `GET /graphql/?query={documents{id}}: ${status}`);
      const opened = await waitFor('a scrape after the query', 30_000, () => {
        const v = query(stack, 'sum(tau_database_pool_connections{job="web",state="open"})')[0];
        return v !== undefined && v >= 1 ? v : undefined;
      });
      const idle = query(stack, 'sum(tau_database_pool_connections{job="web",state="idle"})')[0];
      const waiting = query(stack, 'sum(tau_database_pool_waiting{job="web"})')[0];
      const backends = query(stack, 'sum(pg_stat_database_numbackends{job="postgres"})')[0];
      expect(idle <= opened && waiting === 0 && opened <= backends, `open ${opened}, idle ${idle}, waiting ${waiting}, PostgreSQL's backends ${backends}`);
      return `the workers' pools: ${opened} open, ${idle} idle, ${waiting} waiting; PostgreSQL counts ${backends} backends`;
    });

    await check('O6. the monitoring role reads statistics and cannot write: INSERT refused, even out of its read-only default; its password in no log', async () => {
      const psql = (sql: string, options = '') => stack.exec(stack.db, ['sh', '-c',
        `PGOPTIONS='${options}' PGPASSWORD="$POSTGRES_MONITOR_PASSWORD" psql -h 127.0.0.1 -U "$POSTGRES_MONITOR_USER" -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 -At -c "${sql}"`]);
      const reads = psql('SELECT pg_has_role(current_user, \'pg_monitor\', \'member\'), rolsuper, (SELECT count(*) FROM pg_stat_activity) FROM pg_roles WHERE rolname = current_user');
      expect(reads.code === 0 && reads.output.trim().startsWith('t|f|'), `reading as the monitoring role: ${reads.output}`);
      const insert = 'INSERT INTO django_migrations (app, name, applied) VALUES (\'tau\', \'o6\', now())';
      const readOnly = psql(insert);
      expect(readOnly.code !== 0 && readOnly.output.includes('read-only transaction'), `INSERT: exit ${readOnly.code}: ${readOnly.output}`);
      const granted = psql(insert, '-c default_transaction_read_only=off');
      expect(granted.code !== 0 && granted.output.includes('permission denied'), `INSERT out of read-only: exit ${granted.code}: ${granted.output}`);
      const password = /^POSTGRES_MONITOR_PASSWORD='?([^'\n]+)'?$/m.exec(readFileSync(join(dir, '.env'), 'utf-8'))?.[1];
      expect(password && password.length >= 16, 'POSTGRES_MONITOR_PASSWORD in .env');
      const all = stack.compose(['logs', '--no-color', '--no-log-prefix']).output;
      expect(!all.includes(password!), 'the monitoring role\'s password is in the logs');
      const line = (r: { output: string }) => r.output.trim().split('\n').find((l) => l.startsWith('ERROR')) ?? r.output.trim();
      return `member of pg_monitor, not a superuser, reads pg_stat_activity (${reads.output.trim()}); INSERT -> ${line(readOnly)}; ` +
        `in a session with default_transaction_read_only off -> ${line(granted)}; its password (${password!.length} characters) in none of ${all.split('\n').length} log lines`;
    });

    await check('O7. stub_status is on no port: refused through nginx\'s published port, nginx listens on TCP on that port alone, its socket answers inside', async () => {
      const statuses = [await send(port, '/stub_status'), await send(port, '/nginx_status'), await send(port, '/stub_status?auto')];
      expect(statuses.every((x) => x === 404), `through nginx: ${statuses.join(', ')}`);
      const tcp = stack.exec('nginx', ['cat', '/proc/net/tcp', '/proc/net/tcp6']);
      // Listening sockets (state 0A): their local port, in hex after the address; but Docker's embedded DNS,
      // which listens in every container on 127.0.0.11 (0B00007F) at a port of its own.
      const listening = [...new Set(tcp.output.split('\n').map((l) => l.trim().split(/\s+/))
        .filter((f) => f[3] === '0A' && !f[1].startsWith('0B00007F:')).map((f) => parseInt(f[1].split(':').pop()!, 16)))];
      const container = stack.config.services.nginx.ports?.map((p) => Number(p.target)) ?? [];
      expect(listening.length > 0 && listening.every((p) => container.includes(p)), `nginx listens on ${listening.join(', ')}; publishes ${container.join(', ')}`);
      const inside = stack.exec('nginx', ['curl', '-s', '--unix-socket', '/var/run/nginx-status/status.sock', 'http://nginx/stub_status']);
      expect(inside.output.startsWith('Active connections:'), `stub_status on its socket: ${inside.output.slice(0, 200)}`);
      const published = ['nginx-exporter', 'postgres-exporter'].filter((x) => (stack.config.services[x].ports ?? []).length > 0);
      expect(published.length === 0, `published: ${published.join(', ')}`);
      return `/stub_status, /nginx_status, /stub_status?auto through nginx -> ${statuses.join(', ')}; nginx listens on TCP ${listening.join(', ')} (published: ${container.join(', ')}); ` +
        `on its socket: "${inside.output.split('\n')[0]}"; neither exporter publishes a port`;
    });

    // nginx stopped now, its alert awaited after O4: the two alerts' waits overlap.
    const nginxStopped = Date.now();
    stack.composeOrThrow(['stop', 'nginx']);
    await check('O4. a stopped database fires HealthCheckFailing in Prometheus', async () => {
      const stopped = Date.now();
      stack.composeOrThrow(['stop', stack.db]);
      await waitFor('HealthCheckFailing firing', 150_000,
        () => (query(stack, 'ALERTS{alertname="HealthCheckFailing",alertstate="firing"}').length > 0 ? true : undefined));
      return `firing ${((Date.now() - stopped) / 1000).toFixed(0)} s after \`docker compose stop ${stack.db}\` (health check every 10 s, rule: 30 s of errors)`;
    });

    await check('O8. a stopped nginx fires NginxDown; started again over the socket a killed one leaves, it serves its status again', async () => {
      await waitFor('NginxDown firing', 150_000,
        () => (query(stack, 'ALERTS{alertname="NginxDown",alertstate="firing"}').length > 0 ? true : undefined));
      const fired = (Date.now() - nginxStopped) / 1000;
      // A killed nginx leaves its socket file behind (a stopped one deletes it): one is bound here and left.
      const volume = `${stack.project}_nginx_status`;
      const left = run(DOCKER, ['run', '--rm', '-v', `${volume}:/status`, 'python:3.12-slim', 'python3', '-c',
        'import os, socket; socket.socket(socket.AF_UNIX).bind("/status/status.sock"); print(oct(os.stat("/status/status.sock").st_mode))']);
      expect(left.code === 0, `a socket left in ${volume}: ${left.output}`);
      // The engine's start, not compose's: compose would wait for web, unhealthy since O4 stopped the database.
      const id = stack.compose(['ps', '--all', '--quiet', 'nginx']).output.trim();
      const started = run(DOCKER, ['start', id]);
      expect(started.code === 0, `docker start nginx: ${started.output}`);
      const healthy = await stack.waitHealthy('nginx', 60_000);
      await waitFor('nginx_up 1 again', 30_000, () => (query(stack, 'nginx_up{job="nginx"}')[0] === 1 ? true : undefined));
      return `firing ${fired.toFixed(0)} s after \`docker compose stop nginx\` (rule: a minute without the status page); ` +
        `started over a left socket (mode ${left.output.trim()}): healthy in ${(healthy / 1000).toFixed(1)} s, nginx_up 1 again`;
    });
  } catch (e) {
    log(`  ✗ observability: ${(e as Error).message}`);
    for (const s of stack.services) log(`  --- ${s} output:\n${stack.logs(s, 15)}`);
    throw e;
  } finally {
    await stack.down({ volumes: true }).catch((e) => log(`  (down: ${(e as Error).message})`));
    rmSync(dir, { recursive: true, force: true });
  }
}
