import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ComposeStack, DOCKER, run, sleep } from '../test/e2e/compose-stack';
import { Client } from '../test/e2e/smoke';
import { readEnvFile } from '../test/lib/env-file';
import { synthesizedCopy } from '../test/lib/repository-copy';

/**
 * Serving figures on the default stack, built and run by the real Docker engine (bench/run.ts runs this inside
 * test/engine/with-engine.sh). wrk runs inside a container's own network namespace against 127.0.0.1, so both
 * sides of a comparison are reached the same way, with no port-publishing proxy in between.
 * Prints one JSON object: wrk results for each pair, the bytes of a CSS file with and without gzip, the health
 * endpoint's latency idle and under load, and the web image's size.
 */

const CSS = '/static/admin/css/base.css';
const QUERY = `/graphql/?query=${encodeURIComponent('{ documents(limit: 10) { id title body } }')}`;
const DURATION = process.env.BENCH_SECONDS ?? '5';
/** Rounds of the health measurements (`BENCH_ONLY=health`). */
const ROUNDS = Number(process.env.BENCH_HEALTH_ROUNDS ?? 3);
/** The CFS period Docker and the kernel default to, which the stack's compose file replaces (CFS_PERIOD_US). */
const DOCKER_CFS_PERIOD_US = 100_000;

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

function ms(value: string): number {
  // wrk's units, microseconds to hours.
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(value.trim());
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'us' | 'ms' | 's' | 'm' | 'h'];
}

function parseWrk(out: string): WrkResult {
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    // The percentile lines of the latency distribution, at the start of a line: the thread stats' "+/- Stdev"
    // column above them can end in 50% or 99% too (71.50%), and its next word is no latency.
    p50Ms: ms(/^\s+50%\s+(\S+)/m.exec(out)![1]),
    p99Ms: ms(/^\s+99%\s+(\S+)/m.exec(out)![1]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

/** The arguments of wrk with percentiles; 2 threads and 32 connections unless said otherwise. */
function wrkArgs(url: string, headers: Record<string, string>, load = ['-t2', '-c32']): string[] {
  return ['wrk', ...load, `-d${DURATION}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
}

/** The engine's PID of a service's container: wrk joins its network namespace. */
function containerPid(stack: ComposeStack, service: string): string {
  return run(DOCKER, ['inspect', '--format', '{{.State.Pid}}', stack.containerId(service)]).output.trim();
}

/** A command in a container's network namespace, on the CPUs `cpus` (taskset's list) if given. */
function inNetwork(pid: string, argv: string[], cpus?: string): string[] {
  return [...(cpus ? ['taskset', '-c', cpus] : []), 'nsenter', '-t', pid, '-n', '--', ...argv];
}

/** wrk in a container's network namespace (the machine's wrk binary; only the network is the container's). */
function wrkIn(pid: string, url: string, headers: Record<string, string> = {}, load?: string[], cpus?: string): WrkResult {
  const [command, ...args] = inNetwork(pid, wrkArgs(url, headers, load), cpus);
  return parseWrk(execFileSync(command, args, { encoding: 'utf-8' }));
}

/** Two setups measured alternately, A B A B, so drift on a shared machine falls on both; the better of each kept. */
function pair(a: () => WrkResult, b: () => WrkResult, rounds = 2): [WrkResult, WrkResult] {
  const as: WrkResult[] = [];
  const bs: WrkResult[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(a());
    bs.push(b());
  }
  const best = (rs: WrkResult[]) => rs.reduce((x, y) => (y.requestsPerSecond > x.requestsPerSecond ? y : x));
  return [best(as), best(bs)];
}

/** wrk's load of one client: how the health endpoint is measured. */
const ONE_CLIENT = ['-t1', '-c1'];

/** wrk from one client on `url` while wrk's GraphQL load (2 threads, 32 connections) runs on `loadUrl`; both in pid's network. */
function whileLoaded(pid: string, loadUrl: string, loadHeaders: Record<string, string>, url: string, cpus?: string): WrkResult {
  const quoted = (args: string[]) => args.map((a) => `'${a}'`).join(' ');
  return parseWrk(execFileSync('sh', ['-c', `${quoted(inNetwork(pid, wrkArgs(loadUrl, loadHeaders), cpus))} >/dev/null & `
    + `sleep 0.5; ${quoted(inNetwork(pid, wrkArgs(url, {}, ONE_CLIENT), cpus))}; wait`], { encoding: 'utf-8' }));
}

/** The same Django project and server (Gunicorn, Uvicorn workers), serving STATIC_ROOT with django.views.static.serve. */
const DJANGO_STATIC = `import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "Tau.settings")
from django.conf import settings
from django.urls import re_path
from django.views.static import serve

settings.ROOT_URLCONF = __name__
urlpatterns = [re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT})]

from django.core.asgi import get_asgi_application

application = get_asgi_application()
`;

/**
 * The database connection as main ran it: psycopg2, a connection per request (CONN_MAX_AGE 0), no pool, and the
 * health endpoint answered by Django's middleware. psycopg 3 is hidden (a package of that name that fails to
 * import, first on the path), so Django's PostgreSQL backend falls back to psycopg2, installed beside it.
 */
const PSYCOPG2_SETTINGS = `from Tau.settings import *  # noqa: F401,F403

DATABASES["default"]["OPTIONS"] = {}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
`;
const PSYCOPG2_APP = `from django.core.asgi import get_asgi_application

application = get_asgi_application()
`;
const HIDE_PSYCOPG3 = 'raise ImportError("psycopg 3 is hidden here: this server measures psycopg2")\n';
/** The pool with one connection per worker: Django works on one request at a time in each worker. */
const POOL_OF_ONE_SETTINGS = `from Tau.settings import *  # noqa: F401,F403

DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = 1
DATABASES["default"]["OPTIONS"]["pool"]["min_size"] = 1
`;

/**
 * Offered load at a fixed rate (open loop: a request every 1/rate s whatever the answers, as users send them),
 * with the container healthcheck's probe every half second meanwhile; run by node in web's network namespace.
 * Prints the probes' outcome: a probe fails on an answer other than 200 or none within the healthcheck's timeout.
 */
const OVERLOAD = `
const http = require('http');
const [url, probeUrl, rate, seconds, timeoutMs] = [process.argv[1], process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const start = Date.now();
let sent = 0, answered = 0, errors = 0;
const probes = [];
const loader = setInterval(() => {
  const due = Math.floor(((Date.now() - start) / 1000) * rate);
  for (; sent < due; sent++) {
    http.get(url, { agent, headers: { Accept: 'application/json', Host: 'localhost' } }, (res) => { res.resume(); res.on('end', () => { answered++; }); })
      .on('error', () => { errors++; });
  }
}, 5);
const prober = setInterval(() => {
  const t = Date.now();
  const probe = { ms: undefined, status: undefined };
  probes.push(probe);
  const req = http.get(probeUrl, { agent: false, timeout: timeoutMs }, (res) => { res.resume(); res.on('end', () => { probe.status = res.statusCode; probe.ms = Date.now() - t; }); });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => { probe.status = probe.status ?? 0; probe.ms = Date.now() - t; });
}, 500);
setTimeout(() => {
  clearInterval(loader);
  clearInterval(prober);
  setTimeout(() => {
    const done = probes.filter((p) => p.ms !== undefined);
    const ms = done.map((p) => p.ms).sort((a, b) => a - b);
    const failed = probes.filter((p) => p.status !== 200 || p.ms > timeoutMs).length;
    process.stdout.write(JSON.stringify({ rate, seconds, sent, answered, errors, probes: probes.length, failed,
      probeP99Ms: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))], probeMaxMs: ms[ms.length - 1] }));
    process.exit(0);
  }, timeoutMs + 500);
}, seconds * 1000);
`;

/** The web image's size, and the size of its layer that holds the installed dependencies (the virtualenv). */
function imageSizes(image: string): { imageBytes: number; dependencyBytes: number; dependencyLayer: string } {
  const imageBytes = Number(run(DOCKER, ['image', 'inspect', '--format', '{{.Size}}', image]).output.trim());
  const layers = run(DOCKER, ['history', '--no-trunc', '--human=false', '--format', '{{.Size}}\t{{.CreatedBy}}', image]).output.trim().split('\n')
    .map((l) => { const [size, ...by] = l.split('\t'); return { size: Number(size), by: by.join('\t') }; });
  const venv = layers.find((l) => /COPY \/opt\/venv \/opt\/venv/.test(l.by));
  if (!venv) throw new Error(`no virtualenv layer in ${image}:\n${layers.map((l) => `${l.size} ${l.by}`).join('\n')}`);
  return { imageBytes, dependencyBytes: venv.size, dependencyLayer: venv.by.replace(/\s+/g, ' ').trim() };
}

/** Starts Gunicorn with Uvicorn workers in web on another port, as the image does; resolves once /healthz answers. */
async function startServer(stack: ComposeStack, web: string, port: number, app: string, env: Record<string, string>, workers: string, extra = ''): Promise<void> {
  stack.compose(['exec', '-d', '--workdir', '/app', ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]), web, 'sh', '-c',
    `exec gunicorn ${app} ${extra} --pid /tmp/bench-${port}.pid --bind 127.0.0.1:${port} --worker-class uvicorn_worker.UvicornWorker --workers ${workers} > /tmp/bench-${port}.log 2>&1`]);
  for (let i = 0; i < 120; i++) {
    if (stack.exec(web, ['python', '-c', `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}/healthz', timeout=2)`]).code === 0) return;
    await sleep(250);
  }
  throw new Error(`the server on port ${port} does not answer:\n${stack.exec(web, ['tail', '-n', '30', `/tmp/bench-${port}.log`]).output}`);
}

/**
 * psycopg2 with a connection per request (main's setup) against psycopg 3 with the pool (the stack's), side by
 * side in the one web container (its CPU limit, 1 CPU by default, shared by both): GraphQL throughput and
 * latency, /healthz idle and under the GraphQL load, and the healthcheck's probe while each server is offered
 * twice the GraphQL rate it sustained.
 */
async function databasePool(stack: ComposeStack, web: string, webPid: string, webPort: number, workers: string) {
  // psycopg2-binary for the image's Python, from PyPI through uv, into a directory copied into the media volume
  // (the root filesystem is read-only, and a tmpfs may forbid loading the driver's shared libraries).
  const python = stack.exec(web, ['python', '-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).output.trim();
  const wheel = mkdtempSync(join(tmpdir(), 'tau-bench-psycopg2-'));
  try {
    const uv = join(execFileSync('bash', [join(__dirname, '..', 'scripts', 'python-env.sh'), 'tools'], { encoding: 'utf-8' }).trim(), 'uv');
    execFileSync(uv, ['pip', 'install', '--quiet', '--target', join(wheel, 'site'), '--python-version', python, '--python-platform', 'x86_64-manylinux_2_28',
      '--only-binary', ':all:', 'psycopg2-binary==2.9.13'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const files: Record<string, string> = { 'site/psycopg/__init__.py': HIDE_PSYCOPG3, 'site/bench_psycopg2.py': PSYCOPG2_APP,
      'site/bench_psycopg2_settings.py': PSYCOPG2_SETTINGS, 'one/bench_pool_of_one_settings.py': POOL_OF_ONE_SETTINGS };
    for (const [path, text] of Object.entries(files)) {
      execFileSync('sh', ['-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', join(wheel, path)], { input: text });
    }
    const tar = execFileSync('tar', ['-C', wheel, '-cz', 'site', 'one'], { maxBuffer: 256 * 1024 * 1024 }).toString('base64');
    const extract = stack.compose(['exec', '-T', web, 'python', '-c',
      'import base64, io, sys, tarfile; tarfile.open(fileobj=io.BytesIO(base64.b64decode(sys.stdin.read()))).extractall("/app/mediafiles/.bench")'], { input: tar });
    if (extract.code !== 0) throw new Error(`copying psycopg2 into web: ${extract.output}`);
  } finally {
    rmSync(wheel, { recursive: true, force: true });
  }
  const psycopg2Port = 8998;
  const poolOfOnePort = 8997;
  await startServer(stack, web, psycopg2Port, 'bench_psycopg2:application',
    { PYTHONPATH: '/app/mediafiles/.bench/site:/app', DJANGO_SETTINGS_MODULE: 'bench_psycopg2_settings' }, workers);
  await startServer(stack, web, poolOfOnePort, 'Tau.asgi:application',
    { PYTHONPATH: '/app/mediafiles/.bench/one:/app', DJANGO_SETTINGS_MODULE: 'bench_pool_of_one_settings' }, workers);
  // The driver each server's Django loads, asked of Django itself with that server's path and settings.
  const driver = (env: Record<string, string>) => stack.exec(web, ['python', '-c',
    'import django; django.setup(); from django.db.backends.postgresql import base; from django.db import connection; '
    + 'print(base.Database.__name__, base.Database.__version__.split()[0], "pool" if connection.settings_dict["OPTIONS"].get("pool") else "no pool")'], env).output.trim();
  const drivers = {
    pool: driver({}),
    psycopg2: driver({ PYTHONPATH: '/app/mediafiles/.bench/site:/app', DJANGO_SETTINGS_MODULE: 'bench_psycopg2_settings' }),
  };

  const base = (port: number) => `http://127.0.0.1:${port}`;
  const headers = { Accept: 'application/json', Host: 'localhost' };
  const graphql = (port: number) => wrkIn(webPid, `${base(port)}${QUERY}`, headers);
  const [graphqlPool, graphqlPsycopg2] = pair(() => graphql(webPort), () => graphql(psycopg2Port));
  const graphqlPoolOfOne = graphql(poolOfOnePort);

  // /healthz from one client straight to each server, idle and then while the GraphQL load runs on that server.
  const health = (port: number) => {
    const idle = wrkIn(webPid, `${base(port)}/healthz`, {}, ONE_CLIENT);
    const loaded = whileLoaded(webPid, `${base(port)}${QUERY}`, headers, `${base(port)}/healthz`);
    return { idle, loaded };
  };
  const healthPool = health(webPort);
  const healthPoolOfOne = health(poolOfOnePort);
  const healthPsycopg2 = health(psycopg2Port);

  // Twice the rate each server sustained, for OVERLOAD_SECONDS, with the healthcheck's probe and its timeout.
  const timeoutMs = 1000 * Number(/timeout=(\d+)/.exec(JSON.stringify(stack.config.services[web].healthcheck))?.[1] ?? 4);
  const seconds = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 15);
  const overload = async (port: number, capacity: number) => {
    const r = JSON.parse(execFileSync('nsenter', ['-t', webPid, '-n', '--', process.execPath, '-e', OVERLOAD,
      `${base(port)}${QUERY}`, `${base(port)}/healthz`, String(Math.round(2 * capacity)), String(seconds), String(timeoutMs)], { encoding: 'utf-8' }));
    // Let the server drain the backlog before the next measurement.
    for (let i = 0; i < 240 && stack.exec(web, ['python', '-c', `import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:${port}${QUERY}', headers={'Host': 'localhost', 'Accept': 'application/json'}), timeout=1)`]).code !== 0; i++) await sleep(500);
    return r;
  };
  const overloadPool = await overload(webPort, graphqlPool.requestsPerSecond);
  const overloadPsycopg2 = await overload(psycopg2Port, graphqlPsycopg2.requestsPerSecond);
  return { workers, drivers, graphqlPool, graphqlPsycopg2, graphqlPoolOfOne, healthPool, healthPoolOfOne, healthPsycopg2, overloadPool, overloadPsycopg2, probeTimeoutMs: timeoutMs };
}

/** The stack's settings without the metrics middleware: Django counts and times nothing. */
const METRICS_OFF_SETTINGS = `from Tau.settings import *  # noqa: F401,F403

MIDDLEWARE = [m for m in MIDDLEWARE if m != "Tau.metrics.MetricsMiddleware"]
`;
/** The stack's settings with Python's own switch interval (5 ms), as before the workers shortened it. */
const DEFAULT_SWITCH_SETTINGS = `from Tau.settings import *  # noqa: F401,F403

PYTHON_SWITCH_INTERVAL = None
`;

/**
 * What one answered request costs the metrics middleware, in microseconds, in multiprocess mode as under
 * Gunicorn (a directory of its own): Tau.metrics.record, the whole of its work, timed in a loop in web.
 */
const RECORD_COST = `import os, tempfile, timeit
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "Tau.settings")
import django
django.setup()
from Tau import metrics
metrics.record("graphql", "GET", 200, 0.01)
n = 20000
print(min(timeit.repeat(lambda: metrics.record("graphql", "GET", 200, 0.01), number=n, repeat=5)) / n * 1e6)
`;

/** A controller's directory (cgroup v1; the unified one on v2) of a container, from one of its processes. */
function cpuCgroup(pid: string, controller = 'cpu'): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf-8').trim().split('\n').map((l) => l.split(':'));
  const v1 = lines.find(([, controllers]) => controllers.split(',').includes(controller));
  if (v1) return join('/sys/fs/cgroup', v1[1], v1[2]);
  return join('/sys/fs/cgroup', lines.find(([id]) => id === '0')![2]);
}

/** Periods the container ran in, and those its CPU quota ran out in (it was stopped until the next). */
function throttling(cgroup: string): { periods: number; throttled: number } {
  const stat = Object.fromEntries(readFileSync(join(cgroup, 'cpu.stat'), 'utf-8').trim().split('\n').map((l) => l.split(' ')));
  return { periods: Number(stat.nr_periods), throttled: Number(stat.nr_throttled) };
}

/** `measure` with the cgroup's tasks on the CPUs `cpus` only (its cpuset.cpus), then back on those it had. */
function onCpus<T>(cgroup: string, cpus: string, measure: () => T): T {
  const file = join(cgroup, 'cpuset.cpus');
  const before = readFileSync(file, 'utf-8').trim();
  writeFileSync(file, cpus);
  try {
    return measure();
  } finally {
    writeFileSync(file, before);
  }
}

/** Sets the cgroup's CFS period to `us`, with the quota scaled to keep its share of the CPU. */
function cfsPeriod(cgroup: string, us: number, period: number, quota: number): void {
  writeFileSync(join(cgroup, 'cpu.cfs_quota_us'), '-1');
  writeFileSync(join(cgroup, 'cpu.cfs_period_us'), String(us));
  writeFileSync(join(cgroup, 'cpu.cfs_quota_us'), String(Math.round((quota * us) / period)));
}

/**
 * The health endpoint's p99 from one client, idle and then while wrk's GraphQL load runs on the same server, with
 * the CFS periods web was throttled in during the load; and GraphQL throughput with the metrics on and off. Each
 * server is a Gunicorn of the stack's command and config in web (so under web's CPU limit), on a port of its own.
 */
async function healthAndMetrics(stack: ComposeStack, web: string, webPid: string, workers: string) {
  const files: Record<string, string> = { 'bench_metrics_off_settings.py': METRICS_OFF_SETTINGS, 'bench_default_switch_settings.py': DEFAULT_SWITCH_SETTINGS };
  for (const [name, text] of Object.entries(files)) stack.compose(['exec', '-T', web, 'sh', '-c', `cat > /tmp/${name}`], { input: text });
  const server = (port: number, settings?: string, count = workers) => startServer(stack, web, port, 'Tau.asgi:application',
    { PYTHONPATH: '/tmp:/app', PROMETHEUS_MULTIPROC_DIR: `/tmp/prometheus-${port}`, ...(settings ? { DJANGO_SETTINGS_MODULE: settings } : {}) },
    count, '--config gunicorn.conf.py');
  const ports = { stack: 8990, metricsOff: 8991, defaultSwitch: 8992, oneWorker: 8993 };
  await server(ports.stack);
  await server(ports.metricsOff, 'bench_metrics_off_settings');
  await server(ports.defaultSwitch, 'bench_default_switch_settings');
  await server(ports.oneWorker, undefined, '1');

  const base = (port: number) => `http://127.0.0.1:${port}`;
  const headers = { Accept: 'application/json', Host: 'localhost' };
  const graphql = (port: number) => () => wrkIn(webPid, `${base(port)}${QUERY}`, headers);
  const [metricsOn, metricsOff] = pair(graphql(ports.stack), graphql(ports.metricsOff), ROUNDS);
  const [shortSwitchGraphql, defaultSwitchGraphql] = pair(graphql(ports.stack), graphql(ports.defaultSwitch), ROUNDS);
  const [oneWorkerGraphql, workersGraphql] = pair(graphql(ports.oneWorker), graphql(ports.stack), ROUNDS);
  const recordUs = Number(stack.exec(web, ['python', '-c', RECORD_COST], { PYTHONPATH: '/app' }).output.trim().split('\n').pop());

  const cgroup = cpuCgroup(webPid);
  /** The health endpoint idle and under load, wrk on the CPUs `wrkCpus` if given. */
  const health = (port: number, wrkCpus?: string) => {
    const idle = wrkIn(webPid, `${base(port)}/healthz`, {}, ONE_CLIENT, wrkCpus);
    const before = throttling(cgroup);
    const loaded = whileLoaded(webPid, `${base(port)}${QUERY}`, headers, `${base(port)}/healthz`, wrkCpus);
    const after = throttling(cgroup);
    return { idle, loaded, periods: after.periods - before.periods, throttled: after.throttled - before.throttled };
  };
  const period = Number(readFileSync(join(cgroup, 'cpu.cfs_period_us'), 'utf-8'));
  const quota = Number(readFileSync(join(cgroup, 'cpu.cfs_quota_us'), 'utf-8'));
  /** `measure` with web's CFS period set to `us` (the same share of the CPU in it), or with no quota (`us` null). */
  const withPeriod = <T>(us: number | null, measure: () => T): T => {
    if (us === null) writeFileSync(join(cgroup, 'cpu.cfs_quota_us'), '-1');
    else cfsPeriod(cgroup, us, period, quota);
    try {
      return measure();
    } finally {
      cfsPeriod(cgroup, period, period, quota);
    }
  };
  // What the stack's short period costs the app: GraphQL throughput in it against Docker's default 100 ms period.
  const [shortPeriodGraphql, defaultPeriodGraphql] = pair(graphql(ports.stack), () => withPeriod(DOCKER_CFS_PERIOD_US, graphql(ports.stack)), ROUNDS);
  const cpuset = cpuCgroup(webPid, 'cpuset');
  const rounds = [];
  // Rounds of every setup once each, so that the machine's drift falls on all of them.
  for (let i = 0; i < ROUNDS; i++) {
    const defaultSwitch = health(ports.defaultSwitch);
    const stackHealth = health(ports.stack);
    const dockerPeriod = withPeriod(DOCKER_CFS_PERIOD_US, () => health(ports.stack));
    // The control: the same load with no quota, so never throttled (web may then use both cores).
    const noQuota = withPeriod(null, () => health(ports.stack));
    // The load generator off the server's core: web on CPU 0 alone, wrk on CPU 1 (the database and the rest
    // unpinned), as a client on another machine would be.
    const ownCore = onCpus(cpuset, '0', () => health(ports.stack, '1'));
    // One worker process in web's one CPU: no second worker to take the CPU from the one answering.
    const oneWorker = health(ports.oneWorker);
    rounds.push({ defaultSwitch, stack: stackHealth, dockerPeriod, noQuota, ownCore, oneWorker });
  }
  // Their memory back to web, under its limit, for the servers measured next.
  for (const port of Object.values(ports)) stack.exec(web, ['sh', '-c', `kill -TERM "$(cat /tmp/bench-${port}.pid)"`]);
  return { workers, cfs: { periodUs: period, quotaUs: quota, dockerPeriodUs: DOCKER_CFS_PERIOD_US }, metricsOn, metricsOff, recordUs, shortSwitchGraphql, defaultSwitchGraphql, oneWorkerGraphql, workersGraphql, shortPeriodGraphql, defaultPeriodGraphql, rounds };
}

async function main(): Promise<void> {
  const dir = synthesizedCopy('tau-bench-project-');
  const stack = new ComposeStack(dir, 'tau-bench');
  const cleanup = async () => {
    await stack.down({ volumes: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGTERM', () => { void cleanup().then(() => process.exit(130)); });
  try {
    stack.standIns();
    const [image] = stack.build();
    await stack.up();
    const web = stack.built;
    const nginx = stack.front.service;
    const env = readEnvFile(join(dir, '.env'));
    const nginxPid = containerPid(stack, nginx);
    const webPid = containerPid(stack, web);
    const webPort = Number(/--bind\s+\S+:(\d+)/.exec(run(DOCKER, ['inspect', '--format', '{{join .Config.Cmd " "}}', stack.containerId(web)]).output)![1]);
    // nginx's own port in its container, and the app's in web: both reached on 127.0.0.1 of that container.
    const nginxBase = `http://127.0.0.1:${stack.config.services[nginx].ports![0].target}`;

    // Ten documents for the query to read.
    stack.exec(stack.db, ['psql', '-h', '127.0.0.1', '-U', env.POSTGRES_APP_USER, '-d', env.POSTGRES_DB, '-qc',
      "INSERT INTO library_document (title, body, attachment, created_at) SELECT 'doc ' || i, repeat('text ', 40), '', now() FROM generate_series(1, 10) i"],
    { PGPASSWORD: env.POSTGRES_APP_PASSWORD });

    // The health endpoint under load and the cost of metrics; with `BENCH_ONLY=health`, nothing else.
    const healthParts = await healthAndMetrics(stack, web, webPid, env.WEB_CONCURRENCY ?? '2');
    if (process.env.BENCH_ONLY === 'health') {
      process.stdout.write(JSON.stringify(healthParts));
      return;
    }

    // Django serving the same collected file, under the same server and worker count, on another port of web.
    stack.compose(['exec', '-T', web, 'sh', '-c', 'cat > /tmp/bench_static.py'], { input: DJANGO_STATIC });
    stack.compose(['exec', '-d', '--workdir', '/app', '--env', 'PYTHONPATH=/tmp:/app', web, 'gunicorn', 'bench_static:application',
      '--bind', '127.0.0.1:8999', '--worker-class', 'uvicorn_worker.UvicornWorker', '--workers', env.WEB_CONCURRENCY ?? '2']);
    let ready = false;
    for (let i = 0; i < 120 && !ready; i++) {
      ready = stack.exec(web, ['python', '-c', `import urllib.request; urllib.request.urlopen('http://127.0.0.1:8999${CSS}', timeout=2)`]).code === 0;
      if (!ready) await sleep(250);
    }
    if (!ready) throw new Error(`Django's static serving does not answer:\n${stack.logs(web, 20)}`);

    const [staticNginx, staticDjango] = pair(() => wrkIn(nginxPid, `${nginxBase}${CSS}`), () => wrkIn(webPid, `http://127.0.0.1:8999${CSS}`));
    const json = { Accept: 'application/json' };
    const [graphqlNginx, graphqlDirect] = pair(() => wrkIn(nginxPid, `${nginxBase}${QUERY}`, json),
      () => wrkIn(webPid, `http://127.0.0.1:${webPort}${QUERY}`, { ...json, Host: 'localhost' }));

    // The health endpoint from one client, idle, then while the GraphQL load runs through nginx.
    const health = `${nginxBase}/healthz`;
    const healthIdle = wrkIn(nginxPid, health, {}, ONE_CLIENT);
    const healthLoaded = whileLoaded(nginxPid, `${nginxBase}${QUERY}`, json, health);

    const pool = await databasePool(stack, web, webPid, webPort, env.WEB_CONCURRENCY ?? '2');

    const client = new Client(`http://localhost:${stack.front.port}`);
    const plain = await client.request(CSS);
    const zipped = await client.request(CSS, { headers: { 'Accept-Encoding': 'gzip' } });
    process.stdout.write(JSON.stringify({
      staticNginx, staticDjango, graphqlNginx, graphqlDirect, healthIdle, healthLoaded, pool, healthParts,
      css: { path: CSS, plainBytes: plain.body.length, gzipBytes: zipped.body.length, encoding: zipped.headers['content-encoding'] },
      image: { name: image, ...imageSizes(image) },
      wrk: `wrk -t2 -c32 -d${DURATION}s --latency, A/B alternated twice, best of each`,
    }));
  } finally {
    await cleanup();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
