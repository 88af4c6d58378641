import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { LogLevel, Project } from 'projen';
import { DjangoStack, renderAppRoleScript } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { readEnvFile } from '../lib/env-file';
import { copyRepository } from '../lib/repository-copy';
import { makeCa, makeServerCertificate } from '../lib/test-ca';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import { Check } from './checks';
import * as smoke from './smoke';

/**
 * An external PostgreSQL, end to end: the stack synthesized with `postgres.external` runs no database of its
 * own; a real PostgreSQL (the postgres:17 image) runs beside it on the same engine, outside its compose
 * project, speaking TLS with a certificate that a test CA made for the name the stack uses. That name is a
 * network alias on the stack's front network, as a provider's name resolves to its address. The stack
 * connects with verify-full and serves; then the CA file in the repository is replaced by another CA's and
 * web refuses the same server: health 503, and web's log says why.
 */

const HOST = 'db.tau-external.test';
const IMAGE = 'postgres:17';
/** The image's postgres user: the server reads its key only when it owns it. */
const POSTGRES_UID = 999;

export interface Outcome { passed: number; failed: number }

export async function runExternalDb(log: (line: string) => void, check: Check, outcome: Outcome): Promise<void> {
  const dir = copyRepository('tau-e2e-extdb-');
  const certs = mkdtempSync(join(tmpdir(), 'tau-e2e-extdb-certs-'));
  const ca = makeCa(join(dir, 'postgres', 'ca.pem'));
  const other = makeCa(join(certs, 'other-ca.pem'), 'Another CA');
  const server = makeServerCertificate(join(certs, 'server.crt'), ca, HOST);
  const project = new Project({ name: 'tau-external-db', outdir: dir, logging: { level: LogLevel.OFF } });
  const model = new DjangoStack(project, { ...TAU, postgres: { external: { caFile: 'postgres/ca.pem', host: HOST } } });
  project.synth();
  const rightCa = readFileSync(ca.cert);

  // The provider's side: the server's certificate and key, and the app's two roles made by the same script the
  // stack's own db container runs (as a provider's console or an operator's psql would make them).
  for (const f of [server.cert, server.key]) {
    chownSync(f, POSTGRES_UID, POSTGRES_UID);
    chmodSync(f, 0o600);
  }
  chmodSync(certs, 0o755);
  const roleScript = join(certs, 'create-app-role.sh');
  const env = model.postgres.env;
  writeFileSync(roleScript, renderAppRoleScript({
    superuser: 'POSTGRES_USER', database: env.name.name, user: env.user.name, password: env.password.name,
    webUser: env.web.user.name, webPassword: env.web.password.name,
  }, 'the provider\'s roles, made by the e2e'));
  chmodSync(roleScript, 0o755);

  const stack = new ComposeStack(dir, 'tau-e2e-extdb');
  const web = stack.built;
  const dbName = 'tau-e2e-extdb-postgres';
  const dotEnv = readEnvFile(join(dir, '.env'));
  const superPassword = `e2e-${Math.random().toString(36).slice(2)}`;
  const psql = (sql: string) => run(DOCKER, ['exec', dbName, 'psql', '-h', '127.0.0.1', '-U', 'postgres', '-d', dotEnv.POSTGRES_DB, '-tAc', sql],
    { env: {} }).output.trim();
  const client = new smoke.Client(`http://localhost:${stack.front.port}`);
  const webLog = () => run(DOCKER, ['logs', stack.containerId(web)]).output;
  log(`external database: ${stack.services.join(', ')} in the compose project; PostgreSQL (${IMAGE}) as ${HOST}, outside it; ${client.base}`);
  try {
    const started = Date.now();
    stack.standIns();
    const r = run('bash', [join(__dirname, '..', 'engine', 'standin-images.sh'), IMAGE], { timeoutMs: 900_000 });
    smoke.expect(r.code === 0, `stand-in ${IMAGE}: ${r.output}`);
    stack.build();
    // The stack's networks first; then the database joins its front network, under the name in its certificate.
    stack.composeOrThrow(['create', '--no-build']);
    const db = run(DOCKER, ['run', '--detach', '--name', dbName, '--network', stack.frontNetwork(), '--network-alias', HOST,
      '--env', `POSTGRES_PASSWORD=${superPassword}`, '--env', `POSTGRES_DB=${dotEnv.POSTGRES_DB}`,
      ...[env.user, env.password, env.web.user, env.web.password].flatMap((v) => ['--env', `${v.name}=${dotEnv[v.name]}`]),
      '--volume', `${certs}:/certs:ro`, '--volume', `${roleScript}:/docker-entrypoint-initdb.d/10-create-app-role.sh:ro`,
      IMAGE, 'postgres', '-c', 'ssl=on', '-c', 'ssl_cert_file=/certs/server.crt', '-c', 'ssl_key_file=/certs/server.crt.key',
      '-c', 'log_connections=on']);
    smoke.expect(db.code === 0, `docker run ${IMAGE}: ${db.output}`);
    for (let i = 0; i < 120 && run(DOCKER, ['exec', dbName, 'pg_isready', '-h', '127.0.0.1', '-U', 'postgres']).code !== 0; i++) await sleep(500);
    await stack.up();
    log(`  stand-ins, build, the database and docker compose up: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    await check('X1. no database in the compose project; migrate migrated the external one over TLS, verified (verify-full)', async () => {
      const images = stack.services.map((s) => stack.config.services[s].image ?? '');
      smoke.expect(!images.some((i) => i.startsWith('postgres:')), `the project runs ${images.join(', ')}`);
      smoke.expect(stack.exitCode('migrate') === 0, `migrate exited ${stack.exitCode('migrate')}`);
      const migrations = psql('SELECT count(*) FROM django_migrations');
      smoke.expect(Number(migrations) > 10, `django_migrations in ${HOST}: ${migrations}`);
      const owner = psql("SELECT tableowner FROM pg_tables WHERE tablename = 'library_document'");
      const tls = new RegExp(`connection authorized: user=(${dotEnv.POSTGRES_APP_USER}) database=\\S+ .*SSL enabled \\(protocol=(TLSv[\\d.]+)`).exec(run(DOCKER, ['logs', dbName]).output);
      smoke.expect(owner === dotEnv.POSTGRES_APP_USER && tls, `tables owned by ${owner}; TLS connection in the server's log: ${tls?.[0]}`);
      const mode = stack.exec(web, ['python', '-c', 'import django; django.setup(); from django.conf import settings; print(settings.DATABASES["default"]["OPTIONS"])']).output.trim();
      smoke.expect(/'sslmode': 'verify-full'/.test(mode), `web's OPTIONS: ${mode}`);
      return `no postgres image in the project; ${migrations} migrations in ${HOST}, tables owned by ${owner}; the server logged ${tls![1]} over ${tls![2]}; web's OPTIONS ${mode}`;
    });
    await check('X2. the site serves: health 200 through nginx, a GraphQL write lands in the external database, web\'s connections are TLS', async () => {
      const health = await smoke.checkHealth(client);
      const title = 'e2e external database';
      // Writing needs a user with the permission: an admin made by manage.py in web, logged in through nginx.
      const password = `e2e-${Math.random().toString(36).slice(2)}-Passw0rd`;
      const admin = stack.exec(web, ['python', 'manage.py', 'createsuperuser', '--noinput'],
        { DJANGO_SUPERUSER_USERNAME: 'admin', DJANGO_SUPERUSER_EMAIL: 'admin@example.com', DJANGO_SUPERUSER_PASSWORD: password });
      smoke.expect(admin.code === 0, `createsuperuser: ${admin.output}`);
      await smoke.login(client, 'admin', password);
      const graphql = await smoke.checkGraphql(client, title);
      const row = psql(`SELECT body FROM library_document WHERE title = '${title}'`);
      smoke.expect(row === 'end to end', `the row in ${HOST}: ${row}`);
      const webTls = [...run(DOCKER, ['logs', dbName]).output.matchAll(new RegExp(`connection authorized: user=${dotEnv.POSTGRES_WEB_USER} .*`, 'g'))].map((m) => m[0]);
      smoke.expect(webTls.length > 0 && webTls.every((l) => /SSL enabled/.test(l)), `web's connections in the server's log: ${webTls.slice(-2).join(' / ') || 'none'}`);
      return `${health}; ${graphql}; the row is in ${HOST}; ${webTls.length} connections of ${dotEnv.POSTGRES_WEB_USER}, all "SSL enabled"`;
    });
    await check('X3. the CA file replaced by another CA\'s: web refuses the same server (health 503, or 502 while it waits for a database it can verify), web\'s log says why; the right CA back, 200', async () => {
      // In place (same inode): the file compose mounted now holds the other CA, as after a wrong edit or a
      // server certificate from another CA. Web keeps its pools' connections and its health check's open, so the
      // CA is read when a connection is opened: at web's start, here. Web then does not serve: its entrypoint
      // waits for a database it can verify (nginx answers 502), or health answers 503.
      const logLines = webLog().split('\n').length;
      writeFileSync(ca.cert, readFileSync(other.cert));
      stack.composeOrThrow(['restart', web]);
      const swapped = Date.now();
      let during = await client.request('/healthz');
      const reason = () => webLog().split('\n').slice(logLines - 1).find((l) => /certificate verify failed/.test(l));
      while (!(reason() && [502, 503].includes(during.status)) && Date.now() - swapped < 60_000) {
        await sleep(500);
        during = await client.request('/healthz');
      }
      const downAfter = Date.now() - swapped;
      const why = reason();
      writeFileSync(ca.cert, rightCa);
      smoke.expect([502, 503].includes(during.status) && why, `health ${during.status} ${downAfter} ms after the swap and web's restart; web's log: ${why ?? webLog().split('\n').slice(-5).join(' / ')}`);
      stack.composeOrThrow(['restart', web]);
      const restored = Date.now();
      let after = await client.request('/healthz');
      while (after.status !== 200 && Date.now() - restored < 60_000) {
        await sleep(500);
        after = await client.request('/healthz');
      }
      smoke.expect(after.status === 200, `with the right CA back and web restarted, health ${after.status} after ${Date.now() - restored} ms; web's log: ${webLog().trim().split('\n').slice(-3).join(' / ')}`);
      return `health ${during.status} ${downAfter} ms after the swap and web's restart; web's log: "${why!.trim().slice(0, 240)}"; the right CA back, web restarted: health 200 after ${Date.now() - restored} ms`;
    });
  } catch (e) {
    outcome.failed++;
    log(`  ✗ external database: ${(e as Error).message}`);
    for (const s of stack.services) log(`  --- ${s} output:\n${stack.logs(s, 15)}`);
    log(`  --- ${dbName} output:\n${run(DOCKER, ['logs', '--tail', '15', dbName]).output}`);
  } finally {
    run(DOCKER, ['rm', '--force', '--volumes', dbName]);
    await stack.down({ volumes: true }).catch((e) => log(`  (down: ${(e as Error).message})`));
    rmSync(dir, { recursive: true, force: true });
    rmSync(certs, { recursive: true, force: true });
  }
}
