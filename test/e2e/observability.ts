import { chmodSync, rmSync } from 'fs';
import { request as httpRequest } from 'http';
import { LogLevel, Project } from 'projen';
import { DjangoStack, Duration } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { copyRepository } from '../lib/repository-copy';
import { ComposeStack, sleep } from './compose-stack';
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

export interface Outcome { passed: number; failed: number }

export function prometheusImage(): void {
  imageFromGoBuild('build.sh', PROMETHEUS_IMAGE, ['prometheus', 'promtool'], [
    'COPY prometheus promtool /bin/',
    'RUN mkdir -p /prometheus /etc/prometheus && chown nobody:nogroup /prometheus',
    'USER nobody',
    'WORKDIR /prometheus',
    'ENTRYPOINT ["/bin/prometheus"]',
  ]);
}

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
  prometheusImage();
  nodeExporterImage();
  const dir = copyRepository('tau-e2e-obs-');
  // Prometheus runs as nobody and reads its mounted configuration through this directory.
  chmodSync(dir, 0o755);
  const project = new Project({ name: 'tau-obs', outdir: dir, logging: { level: LogLevel.OFF } });
  // Scraped every 2 s, so that the checks wait seconds, not minutes.
  new DjangoStack(project, { ...TAU, monitoring: { scrapeInterval: Duration.seconds(2) } });
  project.synth();
  const stack = new ComposeStack(dir, 'tau-e2e-obs');
  const port = stack.front.port;
  log(`observability stack: ${stack.services.join(', ')}`);
  try {
    stack.standIns([PROMETHEUS_IMAGE, NODE_EXPORTER_IMAGE]);
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

    await check('O4. a stopped database fires HealthCheckFailing in Prometheus', async () => {
      const stopped = Date.now();
      stack.composeOrThrow(['stop', stack.db]);
      await waitFor('HealthCheckFailing firing', 150_000,
        () => (query(stack, 'ALERTS{alertname="HealthCheckFailing",alertstate="firing"}').length > 0 ? true : undefined));
      return `firing ${((Date.now() - stopped) / 1000).toFixed(0)} s after \`docker compose stop ${stack.db}\` (health check every 10 s, rule: 30 s of errors)`;
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
