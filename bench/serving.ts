import { execFileSync, spawnSync } from 'child_process';
import { readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { sleep } from '../test/e2e/container';
import { StackRun } from '../test/e2e/harness';
import { Client } from '../test/e2e/smoke';
import { readCompose } from '../test/e2e/stack-files';
import { readEnvFile } from '../test/lib/env-file';
import { synthesizedCopy } from '../test/lib/repository-copy';

/**
 * Serving figures on the end-to-end harness (run inside a private network and PID namespace by bench/run.ts).
 * Prints one JSON object: wrk results for each pair, and the bytes of a CSS file with and without gzip.
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

/** wrk with 2 threads and 32 connections for BENCH_SECONDS; percentiles from --latency. */
function wrk(url: string, headers: Record<string, string> = {}): WrkResult {
  const args = ['-t2', '-c32', `-d${DURATION}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const out = execFileSync('wrk', args, { encoding: 'utf-8' });
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50Ms: ms(/50%\s+(\S+)/.exec(out)![1]),
    p99Ms: ms(/99%\s+(\S+)/.exec(out)![1]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
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

async function main(): Promise<void> {
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const dir = synthesizedCopy('tau-bench-project-');

  const compose = readCompose(dir);
  const run = new StackRun(compose);
  const cleanup = () => { run.destroy(); rmSync(dir, { recursive: true, force: true }); };
  process.once('SIGTERM', () => { cleanup(); process.exit(130); });
  try {
    await run.up();
    const web = compose.services.find((s) => s.build)!;
    const nginx = compose.services.find((s) => s.ports.length)!;
    const base = `http://localhost:${nginx.ports[0].host}`;
    // Straight to Gunicorn: where nginx's upstream points.
    const webPort = Number(new RegExp(`server ${web.name}:(\\d+);`).exec(readFileSync(join(dir, 'nginx/default.conf'), 'utf-8'))![1]);
    const env = readEnvFile(join(dir, '.env'));

    // Ten documents for the query to read.
    const db = compose.services.find((s) => /^postgres:/.test(s.image))!.name;
    run.container(db).exec(['psql', '-h', '127.0.0.1', '-U', env.POSTGRES_USER, '-d', env.POSTGRES_DB, '-qc',
      "INSERT INTO library_document (title, body, attachment, created_at) SELECT 'doc ' || i, repeat('text ', 40), '', now() FROM generate_series(1, 10) i"],
    { env: { PGPASSWORD: env.POSTGRES_PASSWORD } });

    // Django serving the same collected file, under the same server and worker count, on another port.
    const pid = run.container(web.name).pid!;
    writeFileSync(`/proc/${pid}/root/tmp/bench_static.py`, DJANGO_STATIC);
    spawnSync('nsenter', ['-t', String(pid), '-m', '-r', '-w', '-S', readFileSync(join(run.runDir, 'containers', web.name, 'user'), 'utf-8').split(':')[0],
      '--', 'sh', '-c', `cd /app && PYTHONPATH=/tmp:/app ${Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(' ')} ` +
      `setsid python -m gunicorn bench_static:application --bind 127.0.0.1:8999 --worker-class uvicorn_worker.UvicornWorker --workers ${env.WEB_CONCURRENCY ?? 2} >/tmp/bench.log 2>&1 &`]);
    const django = new Client('http://127.0.0.1:8999');
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      status = await django.request(CSS).then((r) => r.status, () => 0);
      if (status !== 200) await sleep(250);
    }
    if (status !== 200) throw new Error(`Django's static serving answers ${status}`);

    const [staticNginx, staticDjango] = pair(() => wrk(`${base}${CSS}`), () => wrk(`http://127.0.0.1:8999${CSS}`));
    const json = { Accept: 'application/json' };
    const [graphqlNginx, graphqlDirect] = pair(() => wrk(`${base}${QUERY}`, json), () => wrk(`http://127.0.0.1:${webPort}${QUERY}`, { ...json, Host: 'localhost' }));

    const client = new Client(base);
    const plain = await client.request(CSS);
    const zipped = await client.request(CSS, { headers: { 'Accept-Encoding': 'gzip' } });
    process.stdout.write(JSON.stringify({
      staticNginx, staticDjango, graphqlNginx, graphqlDirect,
      css: { path: CSS, plainBytes: plain.body.length, gzipBytes: zipped.body.length, encoding: zipped.headers['content-encoding'] },
      wrk: `wrk -t2 -c32 -d${DURATION}s --latency, A/B alternated twice, best of each`,
    }));
  } finally {
    await run.down().catch(() => undefined);
    cleanup();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
