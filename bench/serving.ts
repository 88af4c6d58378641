import { execFileSync } from 'child_process';
import { rmSync } from 'fs';
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

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
}

function ms(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'];
}

function parseWrk(out: string): WrkResult {
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50Ms: ms(/50%\s+(\S+)/.exec(out)![1]),
    p99Ms: ms(/99%\s+(\S+)/.exec(out)![1]),
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

/** wrk in a container's network namespace (the machine's wrk binary; only the network is the container's). */
function wrkIn(pid: string, url: string, headers: Record<string, string> = {}, load?: string[]): WrkResult {
  return parseWrk(execFileSync('nsenter', ['-t', pid, '-n', '--', ...wrkArgs(url, headers, load)], { encoding: 'utf-8' }));
}

/** Two setups measured alternately, A B A B, so drift on a shared machine falls on both; the better of each kept. */
function pair(a: () => WrkResult, b: () => WrkResult): [WrkResult, WrkResult] {
  const as: WrkResult[] = [];
  const bs: WrkResult[] = [];
  for (let i = 0; i < 2; i++) {
    as.push(a());
    bs.push(b());
  }
  const best = (rs: WrkResult[]) => rs.reduce((x, y) => (y.requestsPerSecond > x.requestsPerSecond ? y : x));
  return [best(as), best(bs)];
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

/** The web image's size, and the size of its layer that holds the installed dependencies (the virtualenv). */
function imageSizes(image: string): { imageBytes: number; dependencyBytes: number; dependencyLayer: string } {
  const imageBytes = Number(run(DOCKER, ['image', 'inspect', '--format', '{{.Size}}', image]).output.trim());
  const layers = run(DOCKER, ['history', '--no-trunc', '--human=false', '--format', '{{.Size}}\t{{.CreatedBy}}', image]).output.trim().split('\n')
    .map((l) => { const [size, ...by] = l.split('\t'); return { size: Number(size), by: by.join('\t') }; });
  const venv = layers.find((l) => /COPY \/opt\/venv \/opt\/venv/.test(l.by));
  if (!venv) throw new Error(`no virtualenv layer in ${image}:\n${layers.map((l) => `${l.size} ${l.by}`).join('\n')}`);
  return { imageBytes, dependencyBytes: venv.size, dependencyLayer: venv.by.replace(/\s+/g, ' ').trim() };
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
    const oneClient = ['-t1', '-c1'];
    const healthIdle = wrkIn(nginxPid, health, {}, oneClient);
    const load = execFileSync('sh', ['-c', `nsenter -t ${nginxPid} -n -- ${wrkArgs(`${nginxBase}${QUERY}`, json).map((a) => `'${a}'`).join(' ')} >/dev/null & ` +
      `sleep 0.5; nsenter -t ${nginxPid} -n -- ${wrkArgs(health, {}, oneClient).map((a) => `'${a}'`).join(' ')}; wait`], { encoding: 'utf-8' });
    const healthLoaded = parseWrk(load);

    const client = new Client(`http://localhost:${stack.front.port}`);
    const plain = await client.request(CSS);
    const zipped = await client.request(CSS, { headers: { 'Accept-Encoding': 'gzip' } });
    process.stdout.write(JSON.stringify({
      staticNginx, staticDjango, graphqlNginx, graphqlDirect, healthIdle, healthLoaded,
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
