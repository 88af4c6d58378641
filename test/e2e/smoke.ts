import { randomBytes } from 'crypto';
import { request as httpRequest } from 'http';
import { connect } from 'net';
import { gunzipSync } from 'zlib';

/**
 * Smoke checks of a running stack, through its front door only (a base URL). They hold for the stack
 * under the end-to-end harness and for a real `docker compose up`:
 *
 *   node --import tsx test/e2e/smoke.ts http://localhost ADMIN_USER ADMIN_PASSWORD
 */

export interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly ms: number;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
  /** Source address of the connection (another loopback address shows whose address the app sees). */
  readonly localAddress?: string;
}

/**
 * A browser-like client: one base URL, a cookie jar. `connectTo` (HOST:PORT) is where its connections go
 * instead of the base URL's host, which it still names in the Host header (curl's --connect-to): the way to
 * reach a site by its host name where no DNS knows it.
 */
export class Client {
  private readonly cookies = new Map<string, string>();
  constructor(public readonly base: string, private readonly connectTo?: string) {}

  /** Where its connections go: the base URL's host and port, or `connectTo`. */
  public get endpoint(): { host: string; port: number } {
    const target = new URL(this.connectTo ? `http://${this.connectTo}` : this.base);
    return { host: target.hostname, port: Number(target.port || 80) };
  }

  /** Whether it reaches the site through something other than its host name's address (`connectTo`). */
  public get redirected(): boolean {
    return this.connectTo !== undefined;
  }

  public cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  public request(path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(path, this.base);
    const target = this.endpoint;
    const started = Date.now();
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: target.host, port: target.port, path: url.pathname + url.search, method: options.method ?? 'GET',
        localAddress: options.localAddress, agent: false,
        headers: { Host: url.host, ...(cookie ? { Cookie: cookie } : {}), ...options.headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          for (const set of res.headers['set-cookie'] ?? []) {
            const [pair] = set.split(';');
            const eq = pair.indexOf('=');
            this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: Date.now() - started });
        });
      });
      req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${path}`)));
      req.on('error', reject);
      if (options.body !== undefined) req.write(options.body);
      req.end();
    });
  }
}

export class CheckFailed extends Error {}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

function header(r: Response, name: string): string {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v ?? '';
}

/** The form field Django renders for CSRF. */
function csrfField(html: string): string {
  const m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
  expect(m, 'no csrfmiddlewaretoken in the form');
  return m[1];
}

function origin(client: Client): string {
  return new URL(client.base).origin;
}

/** 1. The app answers through nginx, with the database up. */
export async function checkHealth(client: Client): Promise<string> {
  const r = await client.request('/healthz');
  expect(r.status === 200, `GET /healthz: ${r.status} ${r.body}`);
  const body = JSON.parse(r.body.toString());
  expect(body.status === 'ok', `health says ${r.body}`);
  // The endpoint is public: nothing about the client or the database beyond up or down.
  expect(Object.keys(body).join() === 'status', `health tells more than its status: ${r.body}`);
  return 'GET /healthz -> 200 {"status": "ok"}';
}

/** 2. Collected static files come from nginx itself: cached, compressed, and hidden files refused. */
export async function checkStatic(client: Client, path = '/static/admin/css/base.css'): Promise<string> {
  const plain = await client.request(path);
  expect(plain.status === 200, `GET ${path}: ${plain.status} (was collectstatic run?)`);
  expect(/max-age=\d{6,}/.test(header(plain, 'cache-control')), `no long cache lifetime: ${header(plain, 'cache-control')}`);
  expect(header(plain, 'x-content-type-options') === 'nosniff', 'security headers missing on a static file');
  const zipped = await client.request(path, { headers: { 'Accept-Encoding': 'gzip' } });
  expect(header(zipped, 'content-encoding') === 'gzip', `CSS not gzipped: ${header(zipped, 'content-encoding')}`);
  expect(gunzipSync(zipped.body).equals(plain.body), 'the gzipped CSS differs from the plain one');
  const hidden = await client.request(`${path.replace(/[^/]*$/, '')}.hidden`);
  expect(hidden.status === 403, `a dotfile under static: ${hidden.status}`);
  const missing = await client.request('/static/no/such/file.css');
  expect(missing.status === 404, `an unknown static path: ${missing.status}`);
  return `${path}: ${plain.body.length} bytes, ${zipped.body.length} gzipped; dotfile 403, unknown 404`;
}

/** 3. A real admin login through the proxy: CSRF token, trusted origin, session. */
export async function login(client: Client, username: string, password: string): Promise<string> {
  const page = await client.request('/admin/login/?next=/admin/');
  expect(page.status === 200, `GET /admin/login/: ${page.status}`);
  const token = csrfField(page.body.toString());
  const form = new URLSearchParams({ csrfmiddlewaretoken: token, username, password, next: '/admin/' }).toString();
  const r = await client.request('/admin/login/?next=/admin/', {
    method: 'POST', body: form,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Origin': origin(client), 'Referer': `${client.base}/admin/login/` },
  });
  expect(r.status === 302 && header(r, 'location') === '/admin/', `login POST: ${r.status} ${header(r, 'location')} ${r.body.toString().slice(0, 300)}`);
  const admin = await client.request('/admin/');
  expect(admin.status === 200 && admin.body.includes('Site administration'), `the admin index after login: ${admin.status}`);
  return 'admin login with CSRF token -> 302 /admin/, session works';
}

/**
 * 3. The app sees the client's address and scheme as nginx saw them, whatever the client claims in
 * X-Forwarded-For and X-Forwarded-Proto. `path` is a view that echoes what the app sees (the end-to-end
 * suite adds one); `expected` the address nginx sees for this client.
 */
export async function checkForwarded(client: Client, path: string, expected?: string): Promise<string> {
  const r = await client.request(path, { headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'https' } });
  expect(r.status === 200, `GET ${path}: ${r.status}`);
  const seen = JSON.parse(r.body.toString());
  expect(seen.address !== '6.6.6.6', 'a client-sent X-Forwarded-For: 6.6.6.6 was believed (nginx must replace it)');
  if (expected) expect(seen.address === expected, `the app sees ${seen.address}, nginx's client is ${expected}`);
  expect(seen.secure === false, 'a client-sent X-Forwarded-Proto: https reached the app (nginx must overwrite it)');
  return `with X-Forwarded-For: 6.6.6.6 and X-Forwarded-Proto: https sent, the app sees client ${seen.address}, scheme http`;
}

export async function graphql(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const token = client.cookie('csrftoken') ?? '';
  const r = await client.request('/graphql/', {
    method: 'POST', body: JSON.stringify({ query, variables }),
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token, 'Origin': origin(client), 'Referer': `${client.base}/graphql/` },
  });
  expect(r.status === 200, `POST /graphql/: ${r.status} ${r.body.toString().slice(0, 300)}`);
  const data = JSON.parse(r.body.toString());
  expect(!data.errors, `GraphQL errors: ${JSON.stringify(data.errors)}`);
  return data.data;
}

/** 4. A mutation through nginx writes a document that a query then reads. */
export async function checkGraphql(client: Client, title: string): Promise<string> {
  const created = await graphql(client, 'mutation($t: String!) { createDocument(title: $t, body: "end to end") { document { id title } } }', { t: title });
  expect(created.createDocument.document.title === title, 'the mutation did not return the document');
  return `${await findDocument(client, title)}`;
}

export async function findDocument(client: Client, title: string): Promise<string> {
  const read = await graphql(client, '{ documents { id title attachmentUrl } }');
  const doc = read.documents.find((d: any) => d.title === title);
  expect(doc, `the query does not return "${title}"`);
  return `document "${title}" (id ${doc.id}) written by a mutation, read by a query`;
}

/**
 * 2. Uploads a file through the admin's add form; the URL the app then gives for it. `as`: the file's name and
 * type, and where its URL must start (`/media/` for a volume; a bucket's URL for media in S3).
 */
export async function uploadMedia(client: Client, title: string, content: Buffer,
  as: { filename: string; type: string; urlPrefix: string } = { filename: 'notes.txt', type: 'text/plain', urlPrefix: '/media/' }): Promise<string> {
  const page = await client.request('/admin/library/document/add/');
  expect(page.status === 200, `GET the admin add form: ${page.status}`);
  const boundary = `----tau${randomBytes(8).toString('hex')}`;
  const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const body = Buffer.concat([
    Buffer.from(part('csrfmiddlewaretoken', csrfField(page.body.toString()))),
    Buffer.from(part('title', title)),
    Buffer.from(part('body', '')),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="${as.filename}"\r\nContent-Type: ${as.type}\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const r = await client.request('/admin/library/document/add/', {
    method: 'POST', body,
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Origin': origin(client), 'Referer': `${client.base}/admin/library/document/add/` },
  });
  expect(r.status === 302, `the upload POST: ${r.status} ${r.body.toString().slice(0, 300)}`);
  const read = await graphql(client, '{ documents { title attachmentUrl } }');
  const url = read.documents.find((d: any) => d.title === title)?.attachmentUrl;
  expect(url && url.startsWith(as.urlPrefix), `no URL under ${as.urlPrefix} for the upload: ${url}`);
  return url;
}

export async function checkMedia(client: Client, url: string, content: Buffer): Promise<string> {
  const r = await client.request(url);
  expect(r.status === 200 && r.body.equals(content), `GET ${url}: ${r.status}`);
  expect(/sandbox/.test(header(r, 'content-security-policy')), 'uploaded files are served without the sandboxing CSP');
  expect(header(r, 'content-disposition') === 'attachment', `uploaded files are not downloads: Content-Disposition ${header(r, 'content-disposition')}`);
  const hidden = await client.request('/media/.env');
  expect(hidden.status === 403, `a dotfile under media: ${hidden.status}`);
  return `${url} served by nginx with a sandboxing CSP; /media/.env 403`;
}

/**
 * 2, uploads in a bucket: the URL the app gives, followed at the S3 service (`connectTo`, its address as the
 * harness reaches it), downloads the file as an attachment of no type, from another origin than the site's.
 */
export async function checkBucketMedia(client: Client, url: string, content: Buffer, connectTo: string): Promise<string> {
  const u = new URL(url);
  const r = await new Client(u.origin, connectTo).request(u.pathname + u.search);
  expect(r.status === 200 && r.body.equals(content), `GET ${u.origin}${u.pathname}?…: ${r.status}`);
  expect(header(r, 'content-disposition') === 'attachment' && header(r, 'content-type') === 'application/octet-stream',
    `uploads are not downloads: Content-Disposition ${header(r, 'content-disposition')}, Content-Type ${header(r, 'content-type')}`);
  expect(u.origin !== new URL(client.base).origin, `uploads served from the site's own origin ${u.origin}`);
  return `${u.origin}${u.pathname}?X-Amz-… from the bucket, an attachment of type application/octet-stream`;
}

/** 5. A WebSocket handshake through nginx gets 101 and an echo. */
export async function checkWebsocket(client: Client, path = '/ws/echo/'): Promise<string> {
  const url = new URL(client.base);
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const socket = connect(client.endpoint);
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const fail = (message: string) => { socket.destroy(); reject(new CheckFailed(message)); };
    socket.setTimeout(10_000, () => fail('websocket: timeout'));
    socket.on('error', (e) => fail(`websocket: ${e.message}`));
    socket.on('connect', () => socket.write([
      `GET ${path} HTTP/1.1`, `Host: ${url.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', `Origin: ${url.origin}`, '', '',
    ].join('\r\n')));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        if (!/^HTTP\/1\.1 101/.test(head)) return fail(`websocket handshake: ${head.split('\r\n')[0]}`);
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        // A masked text frame, as a client must send.
        const payload = Buffer.from('hello through nginx');
        const mask = randomBytes(4);
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]));
      }
      if (upgraded && buffer.length >= 2) {
        const length = buffer[1] & 0x7f;
        if (buffer.length < 2 + length) return;
        const text = buffer.subarray(2, 2 + length).toString();
        socket.destroy();
        if (text !== 'echo: hello through nginx') return fail(`websocket echo: ${text}`);
        resolve(`101 Switching Protocols, then "${text}"`);
      }
    });
  });
}

/**
 * 6. A request for a host the site does not serve gets nothing: nginx closes the connection (444) for a
 * page of the app, a static file and the health endpoint alike.
 */
export async function checkUnknownHost(client: Client): Promise<string> {
  // nginx closes the connection; an ingress controller in front answers for hosts it has no rule for itself (404).
  const refused = client.redirected ? /socket hang up|ECONNRESET|^404$/ : /socket hang up|ECONNRESET/;
  const seen = new Set<string>();
  for (const path of ['/admin/login/', '/static/admin/css/base.css', '/healthz']) {
    const r = await client.request(path, { headers: { Host: 'evil.example' } }).then((x) => `${x.status}`, (e: Error) => e.message);
    expect(refused.test(r), `Host: evil.example, GET ${path} -> ${r}`);
    seen.add(/^\d+$/.test(r) ? r : 'connection closed without an answer');
  }
  return `Host: evil.example -> ${[...seen].join(', ')} for a page, a static file and /healthz`;
}

/** 6. With the app down, nginx answers 502 at once, and still serves static files itself. */
export async function checkAppDown(client: Client): Promise<string> {
  const r = await client.request('/graphql/');
  expect(r.status === 502, `with web down, GET /graphql/ -> ${r.status}`);
  expect(r.ms < 2000, `the 502 took ${r.ms} ms`);
  const css = await client.request('/static/admin/css/base.css');
  expect(css.status === 200, `with web down, static files -> ${css.status}`);
  return `502 in ${r.ms} ms; static files still served`;
}

/**
 * The checks that need nothing but the base URL and an admin account, in order. `mediaAt`, for uploads in a
 * bucket: `URL_PREFIX=HOST:PORT`, where the app's URLs for them start and where the S3 service is reached.
 */
export async function smoke(base: string, username: string, password: string, log: (line: string) => void, connectTo?: string,
  mediaAt?: string): Promise<number> {
  const client = new Client(base, connectTo);
  const content = randomBytes(64).toString('hex');
  const title = `smoke ${Date.now()}`;
  const checks: [string, () => Promise<string>][] = [
    ['health through nginx', () => checkHealth(client)],
    ['static files from nginx', () => checkStatic(client)],
    ['admin login behind the proxy', () => login(client, username, password)],
    ['GraphQL mutation then query', () => checkGraphql(client, title)],
    mediaAt
      ? ['media upload linked to the bucket, downloaded from it', async () => {
        const [urlPrefix, at] = [mediaAt.slice(0, mediaAt.lastIndexOf('=')), mediaAt.slice(mediaAt.lastIndexOf('=') + 1)];
        const url = await uploadMedia(client, `${title} file`, Buffer.from(content), { filename: 'notes.txt', type: 'text/plain', urlPrefix });
        return checkBucketMedia(client, url, Buffer.from(content), at);
      }]
      : ['media upload served from /media/', async () => checkMedia(client, await uploadMedia(client, `${title} file`, Buffer.from(content)), Buffer.from(content))],
    ['websocket through nginx', () => checkWebsocket(client)],
    ['unknown Host refused', () => checkUnknownHost(client)],
  ];
  let failed = 0;
  for (const [name, run] of checks) {
    try {
      log(`  ✓ ${name}: ${await run()}`);
    } catch (e) {
      failed++;
      log(`  ✗ ${name}: ${(e as Error).message}`);
    }
  }
  log(`${checks.length - failed} passed, ${failed} failed`);
  return failed;
}

if (require.main === module) {
  const [base, username, password, connectTo, mediaAt] = process.argv.slice(2);
  if (!base || !username || !password) {
    console.error('usage: node --import tsx test/e2e/smoke.ts BASE_URL ADMIN_USER ADMIN_PASSWORD [CONNECT_TO_HOST:PORT [MEDIA_URL_PREFIX=HOST:PORT]]');
    process.exit(2);
  }
  smoke(base.replace(/\/$/, ''), username, password, (l) => console.log(l), connectTo || undefined, mediaAt || undefined).then((failed) => process.exit(failed ? 1 : 0));
}
