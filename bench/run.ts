import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { buildContextFiles, workingTreeFiles } from '../test/lib/build-context';
import { ROOT, runnableCopy } from '../test/lib/repository-copy';
import { LogLevel, Project } from 'projen';
import { DjangoStack } from '../src/internal';
import { TAU } from '../test/helpers/synth';
import type { WrkResult } from './serving';

/**
 * `npx projen bench`: figures measured side by side in one run, reported as ratios (absolute times on a
 * shared 2-core machine are noise). Writes bench/RESULTS.md and prints the same table. Never fails on a number.
 */

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const GROWTH_RUNS = Number(process.env.BENCH_GROWTH_RUNS ?? 11);
const SIZES = [1, 5, 20];

/** Adds `extra` Redis services, each with a variable: the growth the benchmark measures. */
const GROW = (extra: number) => `for (let i = 0; i < ${extra}; i++) {
  const cache = stack.addService(\`cache\${i}\`, { image: 'redis:7.4-alpine', port: 6379 });
  stack.env.add(\`CACHE\${i}_URL\`, { description: 'Cache URL', value: cache.url('redis', 6379, '/0'), for: [stack.web] });
}`;
const log = (line: string) => process.stderr.write(`${line}\n`);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Wall time of one `npx projen` in `dir`, in milliseconds. */
function timeSynth(dir: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync('npx', ['projen'], { cwd: dir, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`npx projen failed in ${dir}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** projen's default TypeScript project, of the version this repository uses, made once and kept in /tmp. */
function baselineProject(): string {
  const version = JSON.parse(readFileSync(join(ROOT, 'node_modules/projen/package.json'), 'utf-8')).version;
  const dir = join(tmpdir(), `tau-bench-baseline-projen-${version}`);
  if (!existsSync(join(dir, 'node_modules', 'projen'))) {
    log(`creating projen ${version}'s default TypeScript project in ${dir} (once)...`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('npx', ['-y', `projen@${version}`, 'new', 'typescript', '--no-git', '--no-post'], { cwd: dir, stdio: 'ignore' });
    execFileSync('npm', ['install', '--no-fund', '--no-audit'], { cwd: dir, stdio: 'ignore' });
    timeSynth(dir);
  }
  return dir;
}

/** A copy of this repository whose .projenrc.ts adds `extra` services, each with a variable. */
function grownCopy(extra: number): string {
  const dir = runnableCopy(`tau-bench-grown-${extra}-`);
  const rc = join(dir, '.projenrc.ts');
  // The Kubernetes target wants the user each extra image runs as (Redis's image: 999).
  const users = `services: Object.fromEntries(Array.from({ length: ${extra} }, (_, i) => [\`cache\${i}\`, { runAsUser: 999 }])), `;
  writeFileSync(rc, readFileSync(rc, 'utf-8')
    .replace('new KubernetesTarget(stack, { ', `new KubernetesTarget(stack, { ${users}`)
    .replace(/^project\.synth\(\);$/m, `${GROW(extra)}\nproject.synth();`));
  timeSynth(dir);
  return dir;
}

/** A copy of this repository whose .projenrc.ts leaves the Kubernetes target out. */
function withoutKubernetes(): string {
  const dir = runnableCopy('tau-bench-no-k8s-');
  const rc = join(dir, '.projenrc.ts');
  writeFileSync(rc, readFileSync(rc, 'utf-8').replace(/^new KubernetesTarget\(.*\);$/m, ''));
  timeSynth(dir);
  return dir;
}

/** The model and its renderers alone: `synth()` in this process, no start-up; median of 9 after a warm-up. */
function inProcess(extra: number): number {
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'tau-bench-inprocess-'));
    const started = process.hrtime.bigint();
    const project = new Project({ name: 'tau', outdir: dir, logging: { level: LogLevel.OFF } });
    const stack = new DjangoStack(project, TAU);
    new Function('stack', GROW(extra))(stack);
    project.synth();
    if (i > 0) times.push(Number(process.hrtime.bigint() - started) / 1e6);
    rmSync(dir, { recursive: true, force: true });
  }
  return median(times);
}

function synthesis(): { tau: number; baseline: number; grown: Record<number, number>; inProcess: Record<number, number>; withK8s: number; withoutK8s: number } {
  const baseline = baselineProject();
  timeSynth(ROOT);
  timeSynth(baseline);
  const tau: number[] = [];
  const base: number[] = [];
  log(`synthesis: ${RUNS} no-change runs each, alternating with the baseline`);
  for (let i = 0; i < RUNS; i++) {
    tau.push(timeSynth(ROOT));
    base.push(timeSynth(baseline));
  }
  const dirs = SIZES.map(grownCopy);
  const grownRuns: number[][] = SIZES.map(() => []);
  log(`synthesis as the stack grows: ${SIZES.join(', ')} extra services, ${GROWTH_RUNS} runs each, interleaved`);
  // Each round starts with another size, so no size always runs first (or right after another).
  for (let i = 0; i < GROWTH_RUNS; i++) {
    for (let k = 0; k < dirs.length; k++) {
      const j = (i + k) % dirs.length;
      grownRuns[j].push(timeSynth(dirs[j]));
    }
  }
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  const noK8s = withoutKubernetes();
  const withK8s: number[] = [];
  const withoutK8s: number[] = [];
  log(`synthesis with and without the Kubernetes target: ${GROWTH_RUNS} runs each, alternating`);
  for (let i = 0; i < GROWTH_RUNS; i++) {
    withK8s.push(timeSynth(ROOT));
    withoutK8s.push(timeSynth(noK8s));
  }
  rmSync(noK8s, { recursive: true, force: true });
  return {
    tau: median(tau),
    baseline: median(base),
    grown: Object.fromEntries(SIZES.map((n, j) => [n, median(grownRuns[j])])),
    inProcess: Object.fromEntries(SIZES.map((n) => [n, inProcess(n)])),
    withK8s: median(withK8s),
    withoutK8s: median(withoutK8s),
  };
}

function serving(): any {
  log('serving: the default stack under a real Docker engine, wrk against nginx and against the app directly');
  const out = execFileSync('bash', [join(ROOT, 'test', 'engine', 'with-engine.sh'), process.execPath, '--import', 'tsx', join(__dirname, 'serving.ts')],
    { cwd: ROOT, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = out.trim().split('\n').pop()!;
  // Kept beside the table: the raw figures, should a row need reading again.
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', `serving${process.env.BENCH_ONLY ? `-${process.env.BENCH_ONLY}` : ''}.json`), line);
  return JSON.parse(line);
}

function mediaS3(): any {
  log('media in S3: signed downloads straight from versitygw, vs the same request through nginx');
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(__dirname, 'media-s3.ts')], { cwd: ROOT, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function buildContext() {
  const context = buildContextFiles(ROOT);
  const tree = workingTreeFiles(ROOT);
  const bytes = (files: { size: number }[]) => files.reduce((n, f) => n + f.size, 0);
  const forbidden = context.filter((f) => /^(\.env|\.git|node_modules)(\/|$|\.)/.test(f.path)).map((f) => f.path);
  return { contextBytes: bytes(context), contextFiles: context.length, treeBytes: bytes(tree), treeFiles: tree.length, forbidden };
}

const fmt = (n: number | null, digits = 0) => (n === null || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const wrkCell = (r: WrkResult) => `${fmt(r.requestsPerSecond)} req/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms${r.non2xx ? `, ${r.non2xx} non-2xx` : ''}`;

function main(): void {
  const started = new Date();
  if (process.env.BENCH_ONLY === 'health') {
    healthOnly(started);
    return;
  }
  const s = synthesis();
  const v = serving();
  const c = buildContext();
  const m = mediaS3();
  const synthRatio = s.tau / s.baseline;
  const grownValues = Object.values(s.grown);
  const flat = Math.max(...grownValues) / Math.min(...grownValues) - 1;
  const staticRatio = v.staticNginx.requestsPerSecond / v.staticDjango.requestsPerSecond;
  const graphqlRatio = v.graphqlNginx.requestsPerSecond / v.graphqlDirect.requestsPerSecond;
  const gzipRatio = v.css.plainBytes / v.css.gzipBytes;
  const healthRatio = v.healthLoaded.p99Ms / v.healthIdle.p99Ms;
  const p = v.pool;
  const poolThroughput = p.graphqlPool.requestsPerSecond / p.graphqlPsycopg2.requestsPerSecond;
  const poolP99 = p.graphqlPool.p99Ms / p.graphqlPsycopg2.p99Ms;
  const healthOf = (h: { idle: WrkResult; loaded: WrkResult }) => h.loaded.p99Ms / h.idle.p99Ms;
  const overloadCell = (o: any) => `${o.failed} of ${o.probes} probes failed (p99 ${fmt(o.probeP99Ms)} ms, max ${fmt(o.probeMaxMs)} ms) at ${fmt(o.rate)} req/s offered for ${o.seconds} s`;

  const rows = [
    ['No-change `npx projen`, vs projen\'s default TypeScript project', `${fmt(s.tau)} ms vs ${fmt(s.baseline)} ms (medians of ${RUNS})`, `**${fmt(synthRatio, 2)}x**`, '≤ 0.4x', verdict(synthRatio <= 0.4)],
    ['`npx projen` with the Kubernetes target, vs without it', `${fmt(s.withK8s)} ms vs ${fmt(s.withoutK8s)} ms (medians of ${GROWTH_RUNS}, alternated)`, `**${fmt(s.withK8s - s.withoutK8s)} ms** more`, '≤ 50 ms', verdict(s.withK8s - s.withoutK8s <= 50)],
    [`\`npx projen\` with 1 / 5 / 20 extra services (medians of ${GROWTH_RUNS})`, `${grownValues.map((x) => `${fmt(x)} ms`).join(' / ')}`, `**${fmt(flat * 100, 1)}%** spread`, '≤ 10%', verdict(flat <= 0.1)],
    ['The model and renderers alone (in-process `synth()`), 1 / 5 / 20 extra services', `${Object.values(s.inProcess).map((x) => `${fmt(x, 1)} ms`).join(' / ')}`, 'what the stack itself costs', '', ''],
    [`Static file (${v.css.path}) through nginx, vs Django serving it`, `${wrkCell(v.staticNginx)}<br>vs ${wrkCell(v.staticDjango)}`, `**${fmt(staticRatio, 1)}x**`, '≥ 20x', verdict(staticRatio >= 20)],
    ['GraphQL query through nginx, vs straight to Gunicorn', `${wrkCell(v.graphqlNginx)}<br>vs ${wrkCell(v.graphqlDirect)}`, `**${fmt(graphqlRatio, 2)}x**`, '≥ 0.9x', verdict(graphqlRatio >= 0.9)],
    ['`/healthz` p99 from one client while the GraphQL load runs, vs idle', `${wrkCell(v.healthLoaded)}<br>vs ${wrkCell(v.healthIdle)}`, `**${fmt(healthRatio, 1)}x**`, 'reported', ''],
    [`GraphQL straight to web (${p.workers} workers, one CPU), psycopg 3 + pool vs psycopg2 with a connection per request`,
      `${wrkCell(p.graphqlPool)}<br>vs ${wrkCell(p.graphqlPsycopg2)}`, `**${fmt(poolThroughput, 2)}x** throughput, **${fmt(poolP99, 2)}x** p99`, '≥ 1x throughput', verdict(poolThroughput >= 1)],
    ['The same with a pool of one connection per worker (one request at a time in Django), vs the default pool',
      `${wrkCell(p.graphqlPoolOfOne)}<br>vs ${wrkCell(p.graphqlPool)}`, `**${fmt(p.graphqlPoolOfOne.requestsPerSecond / p.graphqlPool.requestsPerSecond, 2)}x** throughput`, 'reported', ''],
    ['`/healthz` p99 straight to web under its GraphQL load, vs idle: psycopg 3 + pool (the stack)', `${wrkCell(p.healthPool.loaded)}<br>vs ${wrkCell(p.healthPool.idle)}`,
      `**${fmt(healthOf(p.healthPool), 1)}x**`, '≤ 3x', verdict(healthOf(p.healthPool) <= 3)],
    ['the same, pool of one connection per worker', `${wrkCell(p.healthPoolOfOne.loaded)}<br>vs ${wrkCell(p.healthPoolOfOne.idle)}`, `**${fmt(healthOf(p.healthPoolOfOne), 1)}x**`, '≤ 3x', verdict(healthOf(p.healthPoolOfOne) <= 3)],
    ['the same, psycopg2 and health through Django (before)', `${wrkCell(p.healthPsycopg2.loaded)}<br>vs ${wrkCell(p.healthPsycopg2.idle)}`, `**${fmt(healthOf(p.healthPsycopg2), 1)}x**`, 'reported', ''],
    [`Healthcheck probes (every 0.5 s, ${p.probeTimeoutMs / 1000} s timeout) while web is offered twice the GraphQL rate it sustained: the stack, vs before`,
      `${overloadCell(p.overloadPool)}<br>vs ${overloadCell(p.overloadPsycopg2)}`, `**${p.overloadPool.failed}** failed`, '0', verdict(p.overloadPool.failed === 0)],
    ['Web image, vs its dependency layer (the virtualenv) alone', `${fmt(v.image.imageBytes / 1048576, 1)} MiB vs ${fmt(v.image.dependencyBytes / 1048576, 1)} MiB`, `**${fmt(v.image.imageBytes / v.image.dependencyBytes, 2)}x**`, 'reported', ''],
    ['CSS bytes on the wire, without vs with gzip', `${fmt(v.css.plainBytes)} B vs ${fmt(v.css.gzipBytes)} B (${v.css.encoding})`, `**${fmt(gzipRatio, 1)}x** smaller`, '≥ 3x', verdict(gzipRatio >= 3)],
    ...(['small', 'large'] as const).map((size) => [
      `Upload download (${m.results[size].checked.split(' ')[0]} B) from the S3 server with a signed URL, vs the same request through nginx`,
      `${wrkCell(m.results[size].direct)}, ${fmt(m.results[size].direct.mibPerSecond)} MiB/s<br>vs ${wrkCell(m.results[size].nginx)}, ${fmt(m.results[size].nginx.mibPerSecond)} MiB/s`,
      `**${fmt(m.results[size].ratio, 2)}x**`, 'reported', '']),
    ['Docker build context, vs the whole working tree', `${fmt(c.contextBytes / 1024, 1)} KiB in ${c.contextFiles} files vs ${fmt(c.treeBytes / 1048576, 1)} MiB in ${fmt(c.treeFiles)} files`, `**${fmt(c.contextBytes / 1e6, 3)} MB**`, '< 1 MB, no .env/.git/node_modules', verdict(c.contextBytes < 1e6 && c.forbidden.length === 0)],
  ];
  const table = [
    '| What | Measured | Result | Target | |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const cpu = readFileSync('/proc/cpuinfo', 'utf-8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
  const text = `# Benchmark results

Measured by \`npx projen bench\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${require('os').cpus().length} cores (${cpu}).
Figures are from one run, measured side by side; read the ratios, not the absolute times.

${table}

Health under load and the cost of metrics (\`BENCH_ONLY=health\` runs this part alone), ${healthTables(v.healthParts)}
How each is measured:
- **Synthesis**: wall time of \`npx projen\` with nothing to change, ${RUNS} runs each after a warm-up, alternating
  with projen's default TypeScript project (\`projen new typescript\`, same projen version, in /tmp). Growth: copies of
  this repository whose \`.projenrc.ts\` adds 1, 5 or 20 Redis services with a variable each, interleaved.
- **Serving**: the default stack built and run by a real Docker engine (its image from the hash-locked dependencies,
  nginx and PostgreSQL from the stand-in base images listed in CONTRIBUTING.md), loaded by ${v.wrk}, from inside each
  container's network namespace against 127.0.0.1. "Django serving it" is \`django.views.static.serve\` on the same
  collected file, under the same Gunicorn/Uvicorn server and worker count, in the web container. The GraphQL query
  reads 10 documents (GET, so no CSRF token is needed). \`/healthz\` is loaded by one connection, idle and then while
  the GraphQL load runs through nginx.
- **Media in S3** (\`bench/media-s3.ts\`): versitygw ${m.versitygw} (posix backend) and the machine's nginx as
  processes on 127.0.0.1, wrk -t2 -c16 -d5s, A/B alternated twice, best of each. The same SigV4-signed GET goes
  straight to the S3 server (what the stack does with \`media.storage: 's3'\`) and through an nginx location proxying
  to it with upstream keepalive and the media headers added (what proxying \`/media/\` to the bucket would add).
- **Database connection**: in the same web container (so under its CPU limit, which the servers share; only one is
  loaded at a time), beside the stack's own server: main's setup, psycopg2-binary 2.9.13 with a connection per
  request and /healthz answered by Django's middleware (psycopg 3 hidden from that server's path; Django reported
  \`${p.drivers.psycopg2}\` for it and \`${p.drivers.pool}\` for the stack's), and the stack's with a pool of one
  connection per worker. Same Gunicorn/Uvicorn server and worker count, same query, straight to the server from web's
  network namespace; GraphQL alternated A B A B, best of each. /healthz: one connection, idle, then while the GraphQL
  load (${v.wrk.split(',')[0]}) runs on the same server. Overload: node in web's network namespace sends the query at
  twice the rate the server sustained (open loop: at a fixed rate whatever the answers) and probes /healthz every
  0.5 s as the container's healthcheck does; a probe fails on anything but a 200 within the healthcheck's timeout.
- **Health under load and metrics**: four more servers of the stack's command and \`gunicorn.conf.py\` in web (its
  CPU limit shared; one loaded at a time): the stack's settings, the same without the metrics middleware, the same
  with Python's own switch interval, and the same with a single worker. /healthz from one connection, idle then
  under the GraphQL load, in rounds that alternate the setups; web's cgroup counts the CFS periods it was throttled in during each load; the
  100 ms-period and no-quota setups rewrite web's \`cpu.cfs_period_us\`/\`cpu.cfs_quota_us\` (the quota scaled to
  keep the same share of the CPU) for that measurement and put them back; the own-core setup sets web's
  \`cpuset.cpus\` to CPU 0 and runs both wrk on CPU 1 (\`taskset\`). GraphQL throughput on vs off, per switch
  interval and per CFS period: A B alternated, best of each. The metrics' own work:
  \`Tau.metrics.record\` timed in a loop in web (multiprocess mode, best of 5 × 20,000 calls).
- **Image**: \`docker image inspect\` of the built web image, against its layer \`${v.image.dependencyLayer}\`.
- **Build context**: the files \`docker build\` would send, honouring the generated \`.dockerignore\` with Docker's own
  matching rules (@balena/dockerignore), against every file of the working tree, \`node_modules\` and \`.git\` included.
`;
  // The committed bench/RESULTS.md is data, rewritten only on request; every run's table goes to a git-ignored file.
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'latest.md'), text);
  if (process.argv.includes('--update')) writeFileSync(join(__dirname, 'RESULTS.md'), text);
  process.stdout.write(`${text}\n`);
  log(process.argv.includes('--update') ? 'wrote bench/RESULTS.md and bench/results/latest.md'
    : 'wrote bench/results/latest.md (git-ignored); `npx projen bench --update` also rewrites the committed bench/RESULTS.md');
}

/** `BENCH_ONLY=health npx projen bench`: the health endpoint under load and the cost of metrics, nothing else. */
function healthOnly(started: Date): void {
  const text = `Measured by \`BENCH_ONLY=health npx projen bench\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC.\n\n${healthTables(serving())}`;
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'health.md'), text);
  process.stdout.write(`${text}\n`);
}

/** The tables of the health endpoint under load and of the metrics' cost, from serving.ts's healthAndMetrics. */
function healthTables(v: any): string {
  type Health = { idle: WrkResult; loaded: WrkResult; periods: number; throttled: number };
  const ratio = (h: Health) => h.loaded.p99Ms / h.idle.p99Ms;
  const cell = (h: Health) => `${fmt(h.loaded.p99Ms, 1)} / ${fmt(h.idle.p99Ms, 1)} ms = ${fmt(ratio(h), 1)}x (${h.throttled}/${h.periods})`;
  const names: Record<string, string> = {
    defaultSwitch: `Python's switch interval, 5 ms, in ${v.cfs.periodUs / 1000} ms periods (before)`,
    stack: `the stack: switch interval 0.5 ms, ${v.cfs.periodUs / 1000} ms periods`,
    dockerPeriod: `the stack in Docker's default ${v.cfs.dockerPeriodUs / 1000} ms periods, with the same share of the CPU (before)`,
    noQuota: 'the stack with no CPU quota (never throttled; the control)',
    ownCore: 'the stack on CPU 0 alone, wrk on CPU 1 (the load generator off the server\'s core)',
    oneWorker: `the stack with 1 worker instead of ${v.workers}`,
  };
  const rows = Object.keys(v.rounds[0]).map((setup) => [names[setup] ?? setup, ...v.rounds.map((r: any) => cell(r[setup])),
    `**${fmt(median(v.rounds.map((r: any) => ratio(r[setup]))), 1)}x**`]);
  const metrics = v.metricsOn.requestsPerSecond / v.metricsOff.requestsPerSecond;
  // The same cost from the work itself: the middleware's microseconds against the CPU time of a request (one CPU).
  const estimated = 1 / (1 + v.recordUs * 1e-6 * v.metricsOff.requestsPerSecond);
  const switchCost = v.shortSwitchGraphql.requestsPerSecond / v.defaultSwitchGraphql.requestsPerSecond;
  const oneWorkerCost = v.oneWorkerGraphql.requestsPerSecond / v.workersGraphql.requestsPerSecond;
  const periodCost = v.shortPeriodGraphql.requestsPerSecond / v.defaultPeriodGraphql.requestsPerSecond;
  return `${v.workers} workers, web's CFS quota ${v.cfs.quotaUs} us per ${v.cfs.periodUs} us.

| What | Measured | Result | Target | |
|---|---|---|---|---|
| GraphQL straight to web, metrics on vs off | ${wrkCell(v.metricsOn)}<br>vs ${wrkCell(v.metricsOff)} | **${fmt(metrics, 2)}x** | ≥ 0.95x | ${verdict(metrics >= 0.95)} |
| The metrics' work per request (Tau.metrics.record, multiprocess mode), against a request's CPU time at the off rate | ${fmt(v.recordUs, 1)} µs vs ${fmt(1e6 / v.metricsOff.requestsPerSecond)} µs | **${fmt(estimated, 3)}x** | ≥ 0.95x | ${verdict(estimated >= 0.95)} |
| GraphQL straight to web, switch interval 0.5 ms vs 5 ms | ${wrkCell(v.shortSwitchGraphql)}<br>vs ${wrkCell(v.defaultSwitchGraphql)} | **${fmt(switchCost, 2)}x** | reported | |
| GraphQL straight to web, 1 worker vs ${v.workers} | ${wrkCell(v.oneWorkerGraphql)}<br>vs ${wrkCell(v.workersGraphql)} | **${fmt(oneWorkerCost, 2)}x** | reported | |
| GraphQL straight to web, CFS period ${v.cfs.periodUs / 1000} ms vs ${v.cfs.dockerPeriodUs / 1000} ms (the same share of the CPU in each) | ${wrkCell(v.shortPeriodGraphql)}<br>vs ${wrkCell(v.defaultPeriodGraphql)} | **${fmt(periodCost, 2)}x** | reported | |

\`/healthz\` p99 under the GraphQL load / idle p99 (CFS periods web was throttled in / periods, during the load):

| Setup | ${v.rounds.map((_: any, i: number) => `Round ${i + 1}`).join(' | ')} | Median ratio |
|---|${v.rounds.map(() => '---|').join('')}---|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}
`;
}

main();
