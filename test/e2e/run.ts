import { execFileSync, spawnSync } from 'child_process';
import { rmSync } from 'fs';
import { join } from 'path';
import { Project } from 'projen';
import { DjangoStack, DjangoStackOptions } from '../../src';
import { TAU } from '../helpers/synth';
import { readEnvFile } from '../lib/env-file';
import { copyRepository, synthesizedCopy } from '../lib/repository-copy';
import { sleep } from './container';
import { StackRun } from './harness';
import * as smoke from './smoke';
import { readCompose } from './stack-files';

/**
 * The end-to-end run: the synthesized stack's own files, run with Debian's PostgreSQL, Django, Gunicorn,
 * Uvicorn and nginx, each service isolated as in its container (see harness.ts), then the smoke checks
 * and the faults. `npx projen e2e` runs it in a private network and PID namespace.
 */

/** Another stack the model allows: another web port and published port, PostgreSQL 18 with its own volume path. */
const VARIANT: DjangoStackOptions = { ...TAU, web: { port: 8123 }, postgres: { version: 18 }, nginx: { ...TAU.nginx, hostPort: 8080 } };

/** The stack exactly as `npx projen` makes it from .projenrc.ts, in a copy of the repository (with its own .env). */
function defaultStack(): string {
  return synthesizedCopy('tau-e2e-project-');
}

/** Another stack of the model, synthesized over a copy of the repository. */
function variantStack(options: DjangoStackOptions): string {
  const dir = copyRepository('tau-e2e-project-');
  const project = new Project({ name: 'tau-variant', outdir: dir });
  new DjangoStack(project, options);
  project.synth();
  return dir;
}

interface Outcome { passed: number; failed: number }

async function runStack(label: string, dir: string, log: (line: string) => void): Promise<Outcome> {
  const outcome: Outcome = { passed: 0, failed: 0 };
  const compose = readCompose(dir);
  const run = new StackRun(compose);
  const onSignal = () => {
    run.destroy();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const web = compose.services.find((s) => s.build)!.name;
  const check = async (name: string, body: () => Promise<string>) => {
    try {
      log(`  ✓ ${name}: ${await body()}`);
      outcome.passed++;
    } catch (e) {
      log(`  ✗ ${name}: ${(e as Error).message}`);
      log(`    last lines of ${web}:\n${run.tail(web, 60).replace(/^/gm, '      ')}`);
      outcome.failed++;
    }
  };
  const env = readEnvFile(join(dir, '.env'));
  const port = compose.services.find((s) => s.ports.length)!.ports[0].host;
  const client = new smoke.Client(`http://localhost:${port}`);
  const db = compose.services.find((s) => /^postgres:/.test(s.image))!.name;
  const psql = (sql: string) => run.container(db).exec(['psql', '-h', '127.0.0.1', '-U', env.POSTGRES_USER, '-d', env.POSTGRES_DB, '-tAc', sql], { env: { PGPASSWORD: env.POSTGRES_PASSWORD } });
  const password = 'e2e-' + Math.random().toString(36).slice(2) + '-Passw0rd';
  const title = `e2e ${label}`;
  const content = Buffer.from(`uploaded in the ${label} run\n`);
  let mediaUrl = '';

  log(`${label}: ${compose.services.map((s) => `${s.name} (${s.build ? 'built' : s.image})`).join(', ')}; ${client.base}`);
  try {
    const started = Date.now();
    await run.up();
    log(`  stack up in ${((Date.now() - started) / 1000).toFixed(1)} s, in the order ${run.order.join(' -> ')}`);

    await check('1. the entrypoint migrated and collected static files; health 200 through nginx', async () => {
      const migrations = psql('SELECT count(*) FROM django_migrations');
      smoke.expect(migrations.code === 0 && Number(migrations.output.trim()) > 10, `django_migrations: ${migrations.output}`);
      return `${migrations.output.trim()} migrations applied; ${await smoke.checkHealth(client)}`;
    });
    await check('2. static files served by nginx itself', () => smoke.checkStatic(client));
    const superuser = run.container(web).exec(['python', 'manage.py', 'createsuperuser', '--noinput'], {
      env: { DJANGO_SUPERUSER_USERNAME: 'admin', DJANGO_SUPERUSER_EMAIL: 'admin@example.com', DJANGO_SUPERUSER_PASSWORD: password },
    });
    smoke.expect(superuser.code === 0, `createsuperuser: ${superuser.output}`);
    await check('3. admin login with its CSRF token behind the proxy', () => smoke.login(client, 'admin', password));
    await check('3. the app sees the forwarded client address and scheme', () => smoke.checkForwarded(client, '127.0.0.2'));
    await check('2. an uploaded media file is served from /media/', async () => {
      mediaUrl = await smoke.uploadMedia(client, `${title} file`, content);
      return smoke.checkMedia(client, mediaUrl, content);
    });
    await check('4. GraphQL mutation through nginx, read by a query, row in PostgreSQL', async () => {
      const result = await smoke.checkGraphql(client, title);
      const row = psql(`SELECT body FROM library_document WHERE title = '${title}'`);
      smoke.expect(row.output.trim() === 'end to end', `the row in PostgreSQL: ${row.output}`);
      return `${result}; the row is in PostgreSQL`;
    });
    await check('5. websocket handshake through nginx', () => smoke.checkWebsocket(client));
    await check('6. unknown Host gets 400', () => smoke.checkUnknownHost(client));

    await check('6. web killed: 502 at once, recovers when web is back', async () => {
      await run.container(web).kill();
      const down = await smoke.checkAppDown(client);
      await run.start(web);
      await run.waitHealthy(web);
      return `${down}; back: ${await smoke.checkHealth(client)}`;
    });
    await check('6. PostgreSQL restarted: the app serves again with no manual step', async () => {
      await run.container(db).stop();
      const during = await client.request('/healthz');
      smoke.expect(during.status === 503, `health with the database down: ${during.status}`);
      await run.start(db);
      await run.waitHealthy(db);
      for (let i = 0; i < 20 && (await client.request('/healthz')).status !== 200; i++) await sleep(250);
      return `health 503 while down; then ${await smoke.checkHealth(client)}; ${await smoke.findDocument(client, title)}`;
    });
    await check('6. whole stack stopped and started: data and media kept', async () => {
      await run.down();
      await run.up();
      return `${await smoke.findDocument(client, title)}; ${await smoke.checkMedia(client, mediaUrl, content)}`;
    });
  } catch (e) {
    outcome.failed++;
    log(`  ✗ ${label}: ${(e as Error).message}`);
    for (const s of compose.services) log(`  --- ${s.name} output:\n${run.tail(s.name, 15)}`);
  } finally {
    await run.down().catch(() => undefined);
    run.destroy();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(dir, { recursive: true, force: true });
  }
  return outcome;
}

async function main(): Promise<void> {
  // Never on the machine's own network: ports 80, 8000 and 5432 are the stack's only in a namespace of its own.
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf-8' }).trim().split('\n');
  if (links.length !== 1 || !/^\d+: lo:/.test(links[0])) {
    console.error('Run the end-to-end tests in a private network namespace: npx projen e2e');
    process.exit(2);
  }
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const log = (line: string) => console.log(line);
  const started = Date.now();
  let passed = 0;
  let failed = 0;
  for (const [label, make] of [['default stack', defaultStack], ['variant (web :8123, PostgreSQL 18, published :8080)', () => variantStack(VARIANT)]] as const) {
    const outcome = await runStack(label, make(), log);
    passed += outcome.passed;
    failed += outcome.failed;
  }
  log(`end to end, ${((Date.now() - started) / 1000).toFixed(0)} s: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

void main();
