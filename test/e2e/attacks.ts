import { randomBytes } from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'fs';
import { connect, Socket } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { CFS_PERIOD_US, DEFAULT_CSP, Duration, NginxSite, renderNginxConf, Service, workersFor } from '../../src/internal';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import { Client, expect, Response } from './smoke';

/**
 * The attack phase: what was tried against the stack as an attacker would, each refused by a default of the
 * model, on the real engine (which applies the compose file's confinement itself). Each function is one
 * check; it says what it saw, and fails when the defence is gone.
 */

function header(r: Response, name: string): string {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v ?? '';
}

/** A value of the stack's own nginx/default.conf (the file the container runs). */
function nginxValue(dir: string, pattern: RegExp): string {
  const m = pattern.exec(readFileSync(join(dir, 'nginx', 'default.conf'), 'utf-8'));
  expect(m, `nginx/default.conf has no ${pattern}`);
  return m[1];
}

/** A GraphQL POST as a browser of the site sends it (CSRF cookie and header), with a raw body. */
async function graphqlPost(client: Client, body: string): Promise<Response> {
  if (!client.cookie('csrftoken')) await client.request('/graphql/');
  const origin = new URL(client.base).origin;
  return client.request('/graphql/', {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': client.cookie('csrftoken') ?? '', Origin: origin, Referer: `${origin}/graphql/` },
  });
}

/** A1. Expensive GraphQL documents are refused before they are validated or run, each in under 1 s. */
export async function graphqlLimits(client: Client): Promise<string> {
  const nest = (depth: number): string => (depth === 0 ? 'name' : `ofType { ${nest(depth - 1)} }`);
  const cases: [string, string, RegExp][] = [
    ['5,000 aliases', JSON.stringify({ query: `{ ${Array.from({ length: 5000 }, (_, i) => `a${i}: documents { id }`).join(' ')} }` }), /more than \d+ (code points|tokens)/],
    ['20,000 duplicate fields', JSON.stringify({ query: `{ documents { ${'title '.repeat(20000)}} }` }), /more than \d+ (code points|tokens)/],
    ['25 aliases (a short document)', JSON.stringify({ query: `{ ${Array.from({ length: 25 }, (_, i) => `a${i}: documents { id }`).join(' ')} }` }), /more than \d+ aliases/],
    ['a 48-level introspection query', JSON.stringify({ query: `{ __type(name: "Query") { fields { type { ${nest(46)} } } } }` }), /nested more than \d+ levels|introspection is disabled/],
    ['introspection', JSON.stringify({ query: '{ __schema { types { name } } }' }), /introspection is disabled/],
    ['a batch of 100 queries', JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ documents { id } }' }))), /Batched requests are not supported/],
  ];
  const seen: string[] = [];
  for (const [name, body, message] of cases) {
    const r = await graphqlPost(client, body);
    const text = r.body.toString();
    expect(r.status === 400 && message.test(text), `${name}: ${r.status} ${text.slice(0, 200)}`);
    expect(r.ms < 1000, `${name}: refused after ${r.ms} ms`);
    seen.push(`${name} ${r.ms} ms`);
  }
  const all = await graphqlPost(client, JSON.stringify({ query: '{ documents(limit: -1) { id } }' }));
  expect(/limit must be between/.test(all.body.toString()), `documents(limit: -1): ${all.body.toString().slice(0, 200)}`);
  // Paging stays bounded: a deep offset (read row by row) and aliases that multiply the page are refused.
  const deep = await graphqlPost(client, JSON.stringify({ query: '{ documents(offset: 1000000) { id } }' }));
  expect(/offset must be at most/.test(deep.body.toString()), `documents(offset: 1000000): ${deep.body.toString().slice(0, 200)}`);
  const twice = await graphqlPost(client, JSON.stringify({ query: '{ a: documents { id } b: documents { id } }' }));
  expect(/may ask for at most \d+ documents/.test(twice.body.toString()), `two full pages in one request: ${twice.body.toString().slice(0, 200)}`);
  const typo = await graphqlPost(client, JSON.stringify({ query: '{ documentz { id } }' }));
  expect(typo.status === 400 && !/Did you mean/.test(typo.body.toString()), `a misspelt field: ${typo.status} ${typo.body.toString().slice(0, 200)}`);
  return `400 for ${seen.join(', ')}; documents(limit: -1), documents(offset: 1000000) and two full pages refused; no "Did you mean" in errors`;
}

/** A2. A flood of failed admin logins meets 429 from nginx; /healthz still answers in under 2 s. */
export async function loginFlood(client: Client): Promise<string> {
  const page = await client.request('/admin/login/');
  const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(page.body.toString())?.[1] ?? '';
  const origin = new URL(client.base).origin;
  const form = new URLSearchParams({ csrfmiddlewaretoken: token, username: 'admin', password: 'wrong-password', next: '/admin/' }).toString();
  const attempts = Array.from({ length: 60 }, () => client.request('/admin/login/', {
    method: 'POST', body: form,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin, Referer: `${origin}/admin/login/` },
  }).then((r) => r.status, () => 0));
  const health: number[] = [];
  const probe = (async () => {
    for (let i = 0; i < 5; i++) {
      const r = await client.request('/healthz');
      expect(r.status === 200, `/healthz during the flood: ${r.status}`);
      health.push(r.ms);
      await sleep(200);
    }
  })();
  const statuses = await Promise.all(attempts);
  await probe;
  const limited = statuses.filter((s) => s === 429).length;
  const reached = statuses.filter((s) => s !== 429);
  // The burst nginx lets through (logins per minute), and the GET above, reach the app; the rest must not.
  expect(limited >= 60 - 12, `of 60 logins, ${limited} got 429 (statuses ${[...new Set(statuses)].join(', ')})`);
  expect(Math.max(...health) < 2000, `/healthz took up to ${Math.max(...health)} ms during the flood`);
  return `60 parallel logins: ${limited} answered 429 by nginx, ${reached.length} reached the app (${[...new Set(reached)].join(', ')}); /healthz meanwhile ${Math.max(...health)} ms at most`;
}

/** Opens a connection, sends `first`, then keeps it open without sending more; resolves with the seconds until the server closed it. */
function heldOpen(port: number, first: string, limitMs: number): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const done = () => { socket.destroy(); resolve((Date.now() - started) / 1000); };
    socket.on('connect', () => { if (first) socket.write(first); });
    socket.on('data', () => undefined);
    socket.on('close', done);
    socket.on('error', done);
    setTimeout(() => { socket.destroy(); resolve(Infinity); }, limitMs);
  });
}

/**
 * A3. Slow headers, a slow body and a crowd of idle connections (2,200 of one client: more than the image's
 * 1,024 per worker) are cut off within the client timeout; meanwhile another client is still served.
 */
export async function slowClients(dir: string, client: Client, port: number): Promise<string> {
  const timeout = Number(nginxValue(dir, /client_header_timeout (\d+)s;/));
  const limitMs = (timeout + 20) * 1000;
  const crowd = 2200;
  const held = Promise.all([
    heldOpen(port, 'GET /graphql/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', limitMs),
    heldOpen(port, 'POST /graphql/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":', limitMs),
    ...Array.from({ length: crowd }, () => heldOpen(port, '', limitMs)),
  ]);
  await sleep(3000);
  const during = await client.request('/healthz').then((r) => `${r.status} in ${r.ms} ms`, (e: Error) => e.message);
  const [headers, body, ...idle] = await held;
  expect(/^200 /.test(during), `another client while ${crowd} idle connections are open: ${during}`);
  const slowestIdle = Math.max(...idle);
  for (const [name, seconds] of [['slow headers', headers], ['slow body', body], [`${crowd} idle connections`, slowestIdle]] as const) {
    expect(seconds <= timeout + 3, `${name}: held ${seconds === Infinity ? `over ${limitMs / 1000}` : seconds.toFixed(1)} s (client timeout ${timeout} s)`);
  }
  return `client timeout ${timeout} s: slow headers cut at ${headers.toFixed(1)} s, slow body at ${body.toFixed(1)} s, ${crowd} idle connections all closed by ${slowestIdle.toFixed(1)} s; another client meanwhile: ${during}`;
}

/** A4. One client may have as many requests in progress at once as nginx allows; more are answered 429. */
export async function connectionLimit(dir: string, client: Client): Promise<string> {
  const limit = Number(nginxValue(dir, /limit_conn per_client (\d+);/));
  const statuses = await Promise.all(Array.from({ length: limit + 20 }, () =>
    client.request('/e2e/slow/?seconds=3').then((r) => r.status, (e: Error) => e.message)));
  const ok = statuses.filter((s) => s === 200).length;
  const limited = statuses.filter((s) => s === 429).length;
  expect(limited >= 20 && ok + limited === statuses.length, `${limit + 20} slow requests at once: ${ok} 200, ${limited} 429, others ${statuses.filter((s) => s !== 200 && s !== 429).join(', ')}`);
  return `${limit + 20} requests at once from one client: ${ok} served, ${limited} answered 429 (limit ${limit})`;
}

/**
 * A5. Behind a TLS proxy (tls in the model), X-Forwarded-Proto and -For are believed from the proxy's
 * addresses only. The model renders the site for `tls: { trustedProxies }` twice, and the real nginx runs
 * each beside the stack's own, on its network, in front of the same app: trusting a range that is not the
 * client's, then the range the client is in.
 */
export async function tlsProxyTrust(stack: ComposeStack, web: string, webPort: number): Promise<string> {
  const network = stack.frontNetwork();
  const subnet = run(DOCKER, ['network', 'inspect', '--format', '{{(index .IPAM.Config 0).Subnet}}', network]).output.trim();
  const gateway = stack.gateway();
  const nginxImage = stack.config.services[stack.front.service].image!;
  const seen: string[] = [];
  for (const [trusted, believed] of [['192.0.2.0/24', false], [subnet, true]] as const) {
    const service = new Service('nginx', { image: nginxImage, port: 80 });
    const site = new NginxSite(service, { behindTlsProxy: true, trustedProxies: [trusted], serverNames: ['localhost'], readTimeout: Duration.seconds(30) })
      .proxyTo(new Service(web, { image: 'web:local', port: webPort }));
    const tmp = mkdtempSync(join(tmpdir(), 'tau-e2e-tls-proxy-'));
    chmodSync(tmp, 0o755);
    writeFileSync(join(tmp, 'default.conf'), renderNginxConf(site, 'rendered by the e2e from the model, tls: { trustedProxies }'));
    chmodSync(join(tmp, 'default.conf'), 0o644);
    const name = `${stack.project}-tls-proxy`;
    try {
      const started = run(DOCKER, ['run', '--detach', '--name', name, '--network', network, '--publish', '127.0.0.1::80', '--read-only',
        '--tmpfs', '/tmp', '--tmpfs', NginxSite.TEMP_ROOT, '--tmpfs', '/var/run', '--volume', `${join(tmp, 'default.conf')}:/etc/nginx/conf.d/default.conf:ro`, nginxImage]);
      expect(started.code === 0, `the second nginx: ${started.output}`);
      const port = Number(run(DOCKER, ['port', name, '80/tcp']).output.trim().split(':').pop());
      const viaProxy = new Client(`http://localhost:${port}`);
      let r: Response | undefined;
      for (let i = 0; i < 40 && !r; i++) r = await viaProxy.request('/e2e/client/', { headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'https' } }).catch(async () => { await sleep(250); return undefined; });
      expect(r && r.status === 200, `through the second nginx: ${r?.status} ${run(DOCKER, ['logs', '--tail', '5', name]).output}`);
      const app = JSON.parse(r.body.toString());
      if (believed) {
        expect(app.secure === true && app.address === '6.6.6.6', `from a trusted proxy (${gateway} in ${trusted}) the app sees ${JSON.stringify(app)}`);
      } else {
        expect(app.secure === false && app.address === gateway, `from an untrusted peer (${gateway}, trusted ${trusted}) the app sees ${JSON.stringify(app)}`);
      }
      seen.push(`trusting ${trusted}: the app sees ${app.address}, ${app.secure ? 'https' : 'http'}`);
    } finally {
      run(DOCKER, ['rm', '--force', name]);
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return `X-Forwarded-For: 6.6.6.6 and X-Forwarded-Proto: https sent from ${gateway}; ${seen.join('; ')}`;
}

/** What web's role may do, as the app's own settings connect (`python manage.py shell` in the web container). */
export interface RoleProbe {
  readonly role: string;
  readonly superuser: string;
  readonly statementTimeout: string;
  /** The owner of a table migrate created. */
  readonly tableOwner: string;
  /** Each statement web must not run: PostgreSQL's first line of refusal, or "RAN". */
  readonly refused: Record<'COPY' | 'DROP' | 'ALTER' | 'CREATE', string>;
  /** A row inserted into the table migrate created, read back and deleted: "ok", or the error. */
  readonly rows: string;
  readonly output: string;
}

/**
 * Runs, as web connects (its settings, its environment), a statement of each kind an SQL injection would try,
 * each in a transaction rolled back afterwards (DDL is transactional in PostgreSQL: nothing stays even where
 * it ran), then writes, reads and deletes a row of library_document, a table migrate created as the owner.
 */
export function probeWebRole(stack: ComposeStack, web: string): RoleProbe {
  const probe = [
    'from django.db import connection, transaction, DatabaseError',
    'class Undo(Exception): pass',
    'c = connection.cursor()',
    'c.execute("SELECT current_user, rolsuper, current_setting(\'statement_timeout\') FROM pg_roles WHERE rolname = current_user")',
    'print("ROLE", *c.fetchone())',
    'c.execute("SELECT tableowner FROM pg_tables WHERE schemaname = \'public\' AND tablename = \'library_document\'")',
    'print("OWNER", c.fetchone()[0])',
    'for label, sql in [("COPY", "COPY (SELECT 1) TO PROGRAM \'id\'"), ("DROP", "DROP TABLE library_document"),',
    '                   ("ALTER", "ALTER TABLE library_document ADD COLUMN e2e_evil text"), ("CREATE", "CREATE TABLE e2e_evil (id int)")]:',
    '    try:',
    '        with transaction.atomic():',
    '            c.execute(sql)',
    '            raise Undo()',
    '    except Undo:',
    '        print(label, "RAN")',
    '    except DatabaseError as e:',
    '        print(label, "REFUSED", str(e).splitlines()[0])',
    'try:',
    '    c.execute("INSERT INTO library_document (title, body, attachment, created_at) VALUES (\'e2e role probe\', \'x\', \'\', now()) RETURNING id")',
    '    new = c.fetchone()[0]',
    '    c.execute("SELECT title FROM library_document WHERE id = %s", [new])',
    '    assert c.fetchone()[0] == "e2e role probe"',
    '    c.execute("DELETE FROM library_document WHERE id = %s", [new])',
    '    print("ROWS ok")',
    'except DatabaseError as e:',
    '    print("ROWS", str(e).splitlines()[0])',
  ].join('\n');
  const r = stack.exec(web, ['python', 'manage.py', 'shell', '-c', probe]);
  // (Django's shell may say first what it imported.)
  const line = (key: string) => (r.output.split('\n').find((l) => l.startsWith(`${key} `)) ?? '').slice(key.length + 1).trim();
  expect(r.code === 0, `the role probe in ${web}: ${r.output.trim()}`);
  const [role, superuser, statementTimeout] = line('ROLE').split(' ');
  const refusal = (key: string) => line(key).replace(/^REFUSED /, '');
  return {
    role, superuser, statementTimeout, tableOwner: line('OWNER'),
    refused: { COPY: refusal('COPY'), DROP: refusal('DROP'), ALTER: refusal('ALTER'), CREATE: refusal('CREATE') },
    rows: line('ROWS'),
    output: r.output.trim(),
  };
}

/** web's role reads and writes rows of migrate's tables, and PostgreSQL refuses it DROP, ALTER and CREATE. */
export function expectRowsOnly(p: RoleProbe): string {
  expect(p.superuser === 'False', `web's role ${p.role} is a superuser: ${p.output}`);
  expect(p.role !== p.tableOwner, `web connects as ${p.role}, the owner of migrate's tables`);
  expect(/must be owner of table library_document/.test(p.refused.DROP), `DROP TABLE as web: ${p.refused.DROP}`);
  expect(/must be owner of table library_document/.test(p.refused.ALTER), `ALTER TABLE as web: ${p.refused.ALTER}`);
  expect(/permission denied for schema public/.test(p.refused.CREATE), `CREATE TABLE as web: ${p.refused.CREATE}`);
  expect(p.rows === 'ok', `INSERT/SELECT/DELETE as web in migrate's table: ${p.rows}`);
  return `DROP TABLE: ${p.refused.DROP}; ALTER TABLE: ${p.refused.ALTER}; CREATE TABLE: ${p.refused.CREATE}; `
    + `INSERT, SELECT, DELETE in library_document (owner ${p.tableOwner}, made by migrate): ok`;
}

/**
 * A6. The app connects as a role that is not a superuser and cannot change the schema: COPY ... PROGRAM,
 * DROP, ALTER and CREATE are refused while rows are read and written; its queries have a statement timeout.
 */
export function databaseRole(stack: ComposeStack, web: string): string {
  const p = probeWebRole(stack, web);
  expect(/(external program|superuser|pg_execute_server_program)/.test(p.refused.COPY), `COPY TO PROGRAM as the app: ${p.refused.COPY}`);
  const rows = expectRowsOnly(p);
  expect(p.statementTimeout === '30s' || /^\d+(s|ms|min)$/.test(p.statementTimeout), `statement_timeout of the app's connection: ${p.statementTimeout}`);
  expect(p.statementTimeout !== '0', 'the app\'s queries have no statement timeout');
  const webEnv = run(DOCKER, ['inspect', '--format', '{{join .Config.Env "\\n"}}', stack.containerId(web)]).output;
  const ownerVars = webEnv.split('\n').map((l) => l.split('=')[0]).filter((n) => /^POSTGRES_APP_/.test(n));
  expect(ownerVars.length === 0, `web's environment holds the owner role's ${ownerVars.join(', ')}`);
  const dbEnv = run(DOCKER, ['inspect', '--format', '{{join .Config.Env "\\n"}}', stack.containerId(stack.db)]).output;
  expect(!/^DJANGO_SECRET_KEY=/m.test(dbEnv), 'the db container holds DJANGO_SECRET_KEY');
  return `web connects as "${p.role}", not a superuser, without the owner's variables; COPY TO PROGRAM: ${p.refused.COPY}; ${rows}; `
    + `statement_timeout ${p.statementTimeout}; no DJANGO_SECRET_KEY in db's environment`;
}

/** A7. /.well-known/ is not a dotfile: ACME challenges and security.txt reach the site (here the app's 404, not nginx's 403). */
export async function wellKnown(client: Client): Promise<string> {
  const r = await client.request('/.well-known/acme-challenge/e2e-token');
  expect(r.status !== 403, `/.well-known/acme-challenge/: ${r.status}`);
  const env = await client.request('/.env');
  expect(env.status === 403, `/.env: ${env.status}`);
  return `/.well-known/acme-challenge/e2e-token -> ${r.status} (reached), /.env -> 403`;
}

/** The status line a WebSocket handshake with `origin` gets. */
function handshake(base: string, origin: string): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 80) });
    socket.setTimeout(10_000, () => { socket.destroy(); resolve('timeout'); });
    socket.on('error', (e) => resolve(e.message));
    socket.on('connect', () => socket.write([
      'GET /ws/echo/ HTTP/1.1', `Host: ${url.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', `Origin: ${origin}`, '', '',
    ].join('\r\n')));
    socket.on('data', (chunk) => { socket.destroy(); resolve(chunk.toString().split('\r\n')[0]); });
  });
}

/** A8. A WebSocket from a foreign Origin is refused; the site's own is accepted. */
export async function websocketOrigin(client: Client): Promise<string> {
  const foreign = await handshake(client.base, 'https://evil.example');
  expect(/^HTTP\/1\.1 403/.test(foreign), `Origin: https://evil.example -> ${foreign}`);
  const own = await handshake(client.base, new URL(client.base).origin);
  expect(/^HTTP\/1\.1 101/.test(own), `the site's own Origin -> ${own}`);
  return `Origin https://evil.example -> ${foreign}; its own -> ${own}`;
}

/** A9. An uploaded HTML file is a download, never a page of the site. */
export async function uploadsAreDownloads(stack: ComposeStack, web: string, client: Client): Promise<string> {
  const media = (stack.config.services[web] as { volumes?: { source?: string; target: string }[] }).volumes?.find((v) => v.source === 'media_volume')?.target;
  expect(media, 'web mounts no media_volume');
  const put = stack.exec(web, ['sh', '-c', `printf '<script>alert(document.cookie)</script>' > ${media}/e2e-attack.html`]);
  expect(put.code === 0, `writing an HTML upload: ${put.output}`);
  const r = await client.request('/media/e2e-attack.html');
  expect(r.status === 200 && header(r, 'content-type') === 'application/octet-stream' && header(r, 'content-disposition') === 'attachment',
    `/media/e2e-attack.html: ${r.status}, ${header(r, 'content-type')}, ${header(r, 'content-disposition')}`);
  return `/media/e2e-attack.html -> ${header(r, 'content-type')}, Content-Disposition: attachment, CSP sandbox`;
}

/** The confinement the engine applied to a container, as it reports it. */
function confinement(id: string): { readOnly: boolean; capDrop: string; capAdd: string; securityOpt: string; memory: number; cpus: number; cpuPeriod: number; pids: number } {
  const h = JSON.parse(run(DOCKER, ['inspect', '--format', '{{json .HostConfig}}', id]).output);
  return {
    readOnly: h.ReadonlyRootfs === true, capDrop: (h.CapDrop ?? []).join(','), capAdd: (h.CapAdd ?? []).join(','), securityOpt: (h.SecurityOpt ?? []).join(','),
    memory: Number(h.Memory), cpus: Number(h.CpuQuota) / Number(h.CpuPeriod), cpuPeriod: Number(h.CpuPeriod), pids: Number(h.PidsLimit),
  };
}

/** A10. Every container runs confined, and it holds: web cannot write its code, has no capability, and nginx cannot reach the database. */
export function containersConfined(stack: ComposeStack, web: string): string {
  const running = stack.services.filter((s) => stack.state(s).status === 'running');
  const reports = running.map((s) => {
    const c = confinement(stack.containerId(s));
    expect(c.readOnly && /ALL/i.test(c.capDrop) && /no-new-privileges/.test(c.securityOpt) && c.memory > 0 && c.cpus > 0 && c.pids > 0,
      `${s}: ${JSON.stringify(c)}`);
    return `${s} ${c.memory / 2 ** 20}M/${c.cpus}cpu per ${c.cpuPeriod / 1000} ms/${c.pids}pids${c.capAdd ? ` +${c.capAdd}` : ''}`;
  });
  const write = stack.exec(web, ['python', '-c', 'open("/app/e2e-pwned", "w")']);
  expect(write.code !== 0 && /Read-only file system/.test(write.output), `writing into the code: ${write.output.trim()}`);
  const tmp = stack.exec(web, ['python', '-c', 'open("/tmp/e2e-ok", "w").write("x")']);
  expect(tmp.code === 0, `writing /tmp: ${tmp.output.trim()}`);
  const status = stack.exec(web, ['sh', '-c', 'grep -E "^(CapEff|NoNewPrivs)" /proc/1/status']).output;
  expect(/CapEff:\s+0+\s/.test(status) && /NoNewPrivs:\s+1/.test(status), `web's PID 1: ${status.trim()}`);
  const dbStatus = stack.exec(stack.db, ['sh', '-c', 'grep -E "^(Uid|CapEff)" /proc/1/status; id -un']).output;
  expect(/CapEff:\s+0+\s/.test(dbStatus) && /^Uid:\s+(\d+)\s/m.exec(dbStatus)?.[1] !== '0' && /^postgres$/m.test(dbStatus), `${stack.db}'s PID 1: ${dbStatus.trim()}`);
  const limits = stack.exec(web, ['sh', '-c', 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; '
    + 'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max; '
    + 'cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"'])
    .output.trim().split('\n');
  const webConf = confinement(stack.containerId(web));
  // The CPU limit in the compose file's period (CFS_PERIOD_US), as the kernel counts it: a short stop when spent.
  const [quota, period] = limits[2].split(' ').map(Number);
  expect(Number(limits[0]) === webConf.memory && Number(limits[1]) === webConf.pids && period === CFS_PERIOD_US && quota / period === webConf.cpus,
    `web's cgroup: memory ${limits[0]}, pids ${limits[1]}, CPU ${limits[2]}`);
  const dbAddress = run(DOCKER, ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', stack.containerId(stack.db)]).output.trim().split(' ')[0];
  const front = stack.front.service;
  const name = stack.exec(front, ['getent', 'hosts', stack.db]);
  const reach = stack.exec(front, ['bash', '-c', `timeout 3 bash -c 'exec 3<>/dev/tcp/${dbAddress}/5432' && echo CONNECTED`]);
  expect(name.code !== 0 && !/CONNECTED/.test(reach.output), `${front} resolves ${stack.db}: ${name.output.trim()}; connects to ${dbAddress}:5432: ${reach.output.trim()}`);
  const fromWeb = stack.exec(web, ['python', '-c', `import socket; socket.create_connection(("${stack.db}", 5432), 3); print("CONNECTED")`]);
  expect(/CONNECTED/.test(fromWeb.output), `web cannot reach ${stack.db}: ${fromWeb.output.trim()}`);
  return `${reports.join(', ')}; web: writing /app -> read-only, /tmp writable, CapEff 0, NoNewPrivs 1, cgroup memory ${limits[0]} pids ${limits[1]} CPU quota/period ${quota}/${period} us; ${stack.db}: runs as postgres (uid ${/^Uid:\s+(\d+)/m.exec(dbStatus)?.[1]}), CapEff 0; ${front}: no name and no route to ${stack.db} (${dbAddress}), web reaches it`;
}

/**
 * A12. nginx tells no one its version (Server header, its own error pages); the app's pages carry the site's
 * Content-Security-Policy (only the site's own scripts run); nginx's own healthcheck passes, on its socket.
 */
export async function nginxDisclosure(stack: ComposeStack, client: Client): Promise<string> {
  const missing = await client.request('/static/e2e-no-such-file.css');
  const server = header(missing, 'Server');
  expect(missing.status === 404 && server === 'nginx' && !/nginx\/\d/.test(missing.body.toString()),
    `a missing static file: ${missing.status}, Server "${server}", body ${JSON.stringify(missing.body.toString().slice(0, 200))}`);
  // /admin/ (the admin's index for the client logged in by check 3, else a redirect to the login page, which
  // the login flood of A2 may still pace) and the API.
  const page = await client.request('/admin/');
  const csp = header(page, 'Content-Security-Policy');
  expect([200, 302].includes(page.status) && csp === DEFAULT_CSP, `/admin/: ${page.status}, Content-Security-Policy "${csp}"`);
  const api = await client.request('/graphql/?query=%7B__typename%7D');
  expect(header(api, 'Content-Security-Policy') === DEFAULT_CSP, `/graphql/: Content-Security-Policy "${header(api, 'Content-Security-Policy')}"`);
  const health = stack.state(stack.front.service).health;
  expect(health === 'healthy', `${stack.front.service}'s healthcheck: ${health}`);
  // One worker per CPU of nginx's limit, whatever the host has.
  const cpus = confinement(stack.containerId(stack.front.service)).cpus;
  const workers = Number(stack.exec(stack.front.service, ['sh', '-c',
    'for p in /proc/[0-9]*; do tr "\\000" " " < "$p/cmdline" 2>/dev/null; echo; done | grep -c "^nginx: worker process"']).output.trim());
  expect(workers === workersFor(cpus), `${workers} nginx workers for a limit of ${cpus} CPU(s)`);
  return `404 with Server "${server}" and no version in its page; /admin/ and /graphql/ with Content-Security-Policy "${csp.slice(0, 48)}..."; ${stack.front.service} ${health} by its own healthcheck; ${workers} worker(s) for its ${cpus} CPU(s)`;
}
