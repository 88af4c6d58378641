import { spawn } from 'child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { request as httpRequest } from 'http';
import { request as httpsRequest } from 'https';
import { tmpdir } from 'os';
import { basename, dirname, join, resolve } from 'path';
import { connect as tlsConnect } from 'tls';
import { LogLevel, Project } from 'projen';
import { DjangoStack, DjangoStackOptions, Duration } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { copyRepository } from '../lib/repository-copy';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import { certificateExpiryCheck, renewalOutcomeCheck } from './node-metrics';
import { images as monitoringImages, MONITORING_IMAGES } from './observability';
import { expect } from './smoke';

/**
 * HTTPS on one host, end to end: the stack in `acme` mode gets its certificate from a real ACME server
 * (pebble, Let's Encrypt's test server, built from the Go module proxy by test/acme/build.sh) through
 * nginx's port 80, serves it, renews it under load; then the same stack in `files` mode serves a
 * certificate made with openssl. The domain, tau.test, resolves to nginx inside the stack's network (a
 * network alias in the test's overlay file), as a real domain's DNS points at the host.
 */

const DOMAIN = 'tau.test';
const LEGO_IMAGE = 'goacme/lego:v4.35.2';
const PEBBLE_IMAGE = 'tau-e2e/pebble';

export interface Outcome { passed: number; failed: number }

/** The ACME tools (cached build) and pebble's test certificates, from its module source. */
function acmeTools(): { bin: string; pebbleTest: string } {
  const r = run('bash', [join(__dirname, '..', 'acme', 'build.sh')], { timeoutMs: 1_800_000 });
  expect(r.code === 0, `test/acme/build.sh: ${r.output.slice(-2000)}`);
  const bin = r.output.trim().split('\n').pop()!;
  const pebbleVersion = /acme-(v[^-]+)-/.exec(basename(dirname(bin)))![1];
  const pebbleTest = join(resolve(bin, '..', '..'), 'go', 'mod', 'github.com', 'letsencrypt', 'pebble', `v2@${pebbleVersion}`, 'test');
  return { bin, pebbleTest };
}

/** An image from a directory holding its Dockerfile and files. */
function buildImage(tag: string, files: Record<string, string>, dockerfile: string): void {
  const context = mkdtempSync(join(tmpdir(), 'tau-e2e-image-'));
  try {
    for (const [name, from] of Object.entries(files)) copyFileSync(from, join(context, name));
    writeFileSync(join(context, 'Dockerfile'), dockerfile);
    const r = run(DOCKER, ['build', '--tag', tag, context], { env: { DOCKER_BUILDKIT: '1' }, timeoutMs: 600_000 });
    expect(r.code === 0, `docker build ${tag}: ${r.output.slice(-2000)}`);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/**
 * The images: a stand-in for goacme/lego (the official image is Alpine with the static lego binary as its
 * entrypoint; here the same binary on the Debian python stand-in, which has /bin/sh and CA certificates), and
 * pebble with a configuration for this test: HTTP-01 on port 80, one 90-day profile.
 */
function images(tools: { bin: string; pebbleTest: string }): void {
  const base = 'python:3.12-slim';
  const r = run('bash', [join(__dirname, '..', 'engine', 'standin-images.sh'), base], { timeoutMs: 900_000 });
  expect(r.code === 0, `stand-in ${base}: ${r.output}`);
  buildImage(LEGO_IMAGE, { lego: join(tools.bin, 'lego') }, [
    `# Stand-in for ${LEGO_IMAGE}: the same static lego binary as the official image's entrypoint.`,
    `FROM ${base}`,
    'COPY lego /lego',
    'ENTRYPOINT ["/lego"]',
    '',
  ].join('\n'));
  const config = {
    pebble: {
      listenAddress: '0.0.0.0:14000', managementListenAddress: '0.0.0.0:15000',
      certificate: '/pebble/cert.pem', privateKey: '/pebble/key.pem',
      httpPort: 80, tlsPort: 443, ocspResponderURL: '', externalAccountBindingRequired: false,
      profiles: { default: { description: 'The profile', validityPeriod: 7776000 } },
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'tau-e2e-pebble-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  try {
    buildImage(PEBBLE_IMAGE, {
      pebble: join(tools.bin, 'pebble'), 'config.json': join(dir, 'config.json'),
      'cert.pem': join(tools.pebbleTest, 'certs', 'localhost', 'cert.pem'), 'key.pem': join(tools.pebbleTest, 'certs', 'localhost', 'key.pem'),
    }, [
      '# pebble, Let\'s Encrypt\'s ACME test server, built from the Go module proxy (test/acme/build.sh).',
      `FROM ${base}`,
      'COPY pebble /usr/local/bin/pebble',
      'COPY config.json cert.pem key.pem /pebble/',
      'CMD ["pebble", "-config", "/pebble/config.json", "-strict=false"]',
      '',
    ].join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The stack in a copy of the repository, synthesized with `tls`. */
function synthesize(dir: string, tls: DjangoStackOptions['tls']): void {
  const project = new Project({ name: 'tau-https', outdir: dir, logging: { level: LogLevel.OFF } });
  // With monitoring (scraped every 2 s): the certificate's expiry reaches Prometheus (M4).
  new DjangoStack(project, { ...TAU, hosts: [DOMAIN], tls, monitoring: { scrapeInterval: Duration.seconds(2) } });
  project.synth();
}

/** The test's own additions: pebble beside the stack, the domain naming nginx, lego trusting pebble's API certificate. */
function overlay(dir: string, pebbleTest: string): string {
  copyFileSync(join(pebbleTest, 'certs', 'pebble.minica.pem'), join(dir, 'pebble.minica.pem'));
  writeFileSync(join(dir, 'docker-compose.e2e-acme.yml'), [
    'services:',
    '  pebble:',
    `    image: ${PEBBLE_IMAGE}`,
    '    environment:',
    '      PEBBLE_VA_NOSLEEP: "1"',
    '      PEBBLE_WFE_NONCEREJECT: "0"',
    '      PEBBLE_AUTHZREUSE: "0"',
    '    ports: ["127.0.0.1:15000:15000"]',
    '    networks: [front]',
    '  nginx:',
    '    networks:',
    '      front:',
    `        aliases: [${DOMAIN}]`,
    '  acme:',
    '    environment:',
    '      LEGO_CA_CERTIFICATES: /pebble/pebble.minica.pem',
    '    volumes:',
    '      - ./pebble.minica.pem:/pebble/pebble.minica.pem:ro',
    '',
  ].join('\n'));
  return 'docker-compose.e2e-acme.yml';
}

/** A GET over HTTPS to 127.0.0.1:port for DOMAIN, trusting only `ca` (or nothing, `ca` undefined: no verification). */
function get(port: number, path: string, ca?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string; serial: string }> {
  return new Promise((resolveGet, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path, servername: DOMAIN, headers: { Host: DOMAIN }, agent: false,
      ...(ca ? { ca } : { rejectUnauthorized: false }),
    }, (res) => {
      const serial = (res.socket as import('tls').TLSSocket).getPeerCertificate().serialNumber;
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, headers: res.headers, body, serial }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** The serial of the certificate served on port, for DOMAIN; '' when there is none (HTTPS not on yet). */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolveSerial) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: DOMAIN, rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber ?? '';
      socket.end();
      resolveSerial(serial);
    });
    socket.setTimeout(5000, () => { socket.destroy(); resolveSerial(''); });
    socket.on('error', () => resolveSerial(''));
  });
}

/** pebble's root and intermediate: a client that trusts the test CA and nothing else. */
async function pebbleRoots(pebbleTest: string): Promise<string> {
  const minica = readFileSync(join(pebbleTest, 'certs', 'pebble.minica.pem'), 'utf-8');
  const fetch = (path: string) => new Promise<string>((ok, fail) => {
    const req = httpsRequest({ host: '127.0.0.1', port: 15000, path, ca: minica, servername: 'localhost', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => ok(body));
    });
    req.on('error', fail);
    req.end();
  });
  return `${await fetch('/roots/0')}\n${await fetch('/intermediates/0')}`;
}

/** wrk against https://DOMAIN:port/healthz, with DOMAIN resolving to 127.0.0.1 in a mount namespace of its own. */
function wrkHttps(dir: string, port: number, seconds: number): Promise<{ requests: number; non2xx: number; errors: number; text: string }> {
  const hosts = join(dir, 'hosts.e2e');
  writeFileSync(hosts, `127.0.0.1 localhost ${DOMAIN}\n`);
  return new Promise((done) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
      `mount --bind ${hosts} /etc/hosts && exec wrk -t2 -c8 -d${seconds}s --timeout 15s https://${DOMAIN}:${port}/healthz`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (c) => { text += c; });
    child.stderr.on('data', (c) => { text += c; });
    child.on('close', () => {
      const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
      const e = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
      done({ requests, non2xx, errors: e ? e.slice(1).reduce((a, b) => a + Number(b), 0) : 0, text: text.replace(/[^\x20-\x7e\n]/g, '') });
    });
  });
}

/** testssl.sh (Debian's package) against the stack's 443: one line per finding, and what it calls vulnerable. */
function testssl(port: number): { lines: string[]; vulnerable: string[] } {
  // Protocols, cipher categories, forward secrecy and every vulnerability check. (Not the certificate's
  // trust: testssl knows only public CAs, and pebble's test CA has no revocation URLs.)
  const r = run('testssl', ['--quiet', '--color', '0', '--warnings', 'off', '--sneaky', '-p', '-s', '-f', '-U', '--ip', '127.0.0.1', `https://${DOMAIN}:${port}/`],
    { timeoutMs: 600_000, env: { TERM: 'dumb' } });
  const lines = r.output.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()).filter((l) => l && !/^(Start|Done|Testing|Service detected|rDNS|#|-->)/.test(l));
  const vulnerable = lines.filter((l) => /VULNERABLE|NOT ok|\(NOT ok\)|offered \(deprecated\)|insecure/i.test(l) && !/not vulnerable/i.test(l));
  return { lines, vulnerable };
}

export async function runHttps(log: (line: string) => void, check: (name: string, body: () => Promise<string>) => Promise<void>): Promise<void> {
  const tools = acmeTools();
  images(tools);
  monitoringImages();
  const dir = copyRepository('tau-e2e-https-');
  chmodSync(dir, 0o755);
  // checkEvery left at its default (12 h): a certificate that comes sooner after a failed attempt comes from the retry.
  synthesize(dir, { mode: 'acme', email: `ops@${DOMAIN}`, directory: 'https://pebble:14000/dir' });
  const stack = new ComposeStack(dir, 'tau-e2e-https', ['docker-compose.yml', overlay(dir, tools.pebbleTest)]);
  // The stack as last brought up (files mode replaces the acme one), for the final down.
  let current = stack;
  const httpsPort = Number(stack.config.services[stack.front.service].ports!.find((p) => String(p.target) === '443')!.published);
  log(`https stack (tls: acme, hosts: ${DOMAIN}; pebble ${basename(dirname(tools.bin))}): ${stack.services.join(', ')}`);
  try {
    stack.standIns([LEGO_IMAGE, PEBBLE_IMAGE, ...MONITORING_IMAGES]);
    stack.build();
    await stack.up();
    let roots = '';
    let firstSerial = '';
    await check('H1. acme: a certificate issued by the ACME server through nginx\'s challenge path, served; a client trusting only the test CA gets 200', async () => {
      const started = Date.now();
      while (!(firstSerial = await servedSerial(httpsPort)) && Date.now() - started < 120_000) await sleep(1000);
      expect(firstSerial, `no certificate served on ${httpsPort} after 120 s:\n${stack.logs('acme', 20)}\n${stack.logs(stack.front.service, 10)}`);
      const took = ((Date.now() - started) / 1000).toFixed(0);
      roots = await pebbleRoots(tools.pebbleTest);
      const r = await get(httpsPort, '/healthz', roots);
      expect(r.status === 200, `GET https://${DOMAIN}/healthz with the test CA: ${r.status}`);
      expect(/max-age=\d+/.test(String(r.headers['strict-transport-security'])), `no HSTS: ${r.headers['strict-transport-security']}`);
      const challenges = stack.logs(stack.front.service, 200).split('\n').filter((l) => /"method":"GET","path":"\/\.well-known\/acme-challenge\/[^"]+","status":200,/.test(l));
      expect(challenges.length > 0, 'nginx served no ACME challenge');
      return `serial ${firstSerial} served ${took} s after up; nginx served ${challenges.length} challenge request(s); https://${DOMAIN}/healthz -> 200 trusting only pebble's root, HSTS ${r.headers['strict-transport-security']}`;
    });
    await certificateExpiryCheck(stack, check, httpsPort, DOMAIN);
    await check('H2. http redirects to https, except the ACME challenge path', async () => {
      const plain = await new Promise<{ status: number; location: string }>((ok, fail) => {
        const req = httpRequest({ host: '127.0.0.1', port: stack.front.port, path: '/graphql/?x=1', headers: { Host: DOMAIN }, agent: false }, (res) => {
          res.resume();
          ok({ status: res.statusCode ?? 0, location: String(res.headers.location) });
        });
        req.on('error', fail);
        req.end();
      });
      expect(plain.status === 301 && plain.location === `https://${DOMAIN}/graphql/?x=1`, `http: ${plain.status} ${plain.location}`);
      const challenge = run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${DOMAIN}`, `http://127.0.0.1:${stack.front.port}/.well-known/acme-challenge/none`]).output.trim();
      expect(challenge === '404', `the challenge path over http: ${challenge}`);
      return `http://${DOMAIN}/graphql/?x=1 -> 301 ${plain.location}; /.well-known/acme-challenge/none -> ${challenge} over http (not redirected)`;
    });
    await check('H7. on 443, a foreign Host gets no answer, even with the site\'s name in the handshake; an unknown name no handshake; no version anywhere', async () => {
      const curl = (name: string, host: string, path: string) => run('curl', ['-sk', '-o', '/dev/null', '-D', '-', '-w', '%{http_code}',
        '--max-time', '10', '--resolve', `${name}:${httpsPort}:127.0.0.1`, '-H', `Host: ${host}`, `https://${name}:${httpsPort}${path}`]);
      const foreign = curl(DOMAIN, 'evil.example', '/healthz');
      // curl: 52 is an empty reply, 56 a connection closed while receiving: either way no status line.
      expect([52, 56].includes(foreign.code) && !/^HTTP\//m.test(foreign.output), `SNI ${DOMAIN}, Host evil.example: curl exit ${foreign.code}, ${foreign.output.trim()}`);
      const unknown = curl('evil.example', 'evil.example', '/');
      expect(unknown.code === 35, `SNI evil.example: curl exit ${unknown.code} (35 is a refused handshake), ${unknown.output.trim()}`);
      const missing = curl(DOMAIN, DOMAIN, '/static/e2e-no-such-file.css');
      const server = /^server: (.*)$/im.exec(missing.output)?.[1]?.trim();
      expect(/^HTTP\/1\.1 404/m.test(missing.output) && server === 'nginx', `a missing static file over https: ${missing.output.trim()}`);
      return `SNI ${DOMAIN} with Host evil.example: connection closed, no answer (curl exit ${foreign.code}); SNI evil.example: handshake refused (curl exit 35); a 404 over https with Server "${server}", no version`;
    });
    await check('H3. a forced renewal under load: the new serial is served, 0 failed requests', async () => {
      // 15 s: long enough to span the renewal and the first handshakes after it, short enough to stay under
      // one replica's ports for nginx's connections to it (docs/OPERATIONS.md, "Several web replicas").
      const load = wrkHttps(dir, httpsPort, 15);
      await sleep(3000);
      const renew = stack.compose(['exec', '-T', 'acme', '/bin/sh', '/acme/lego.sh', 'renew'], { timeoutMs: 120_000 });
      expect(renew.code === 0, `lego.sh renew: ${renew.output.slice(-1500)}`);
      const started = Date.now();
      let serial = firstSerial;
      while ((serial = await servedSerial(httpsPort)) === firstSerial && Date.now() - started < 30_000) await sleep(200);
      const servedAfter = Date.now() - started;
      expect(serial && serial !== firstSerial, `still serial ${serial} 30 s after the renewal:\n${renew.output.slice(-1500)}\n${stack.logs(stack.front.service, 20)}`);
      const r = await load;
      expect(r.requests > 100 && r.non2xx === 0 && r.errors === 0, `under the renewal: ${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} socket errors\n${r.text}`);
      return `serial ${firstSerial} -> ${serial}, served ${servedAfter} ms after the renewal finished (read at the next handshake, no reload); wrk over https: ${r.requests} requests, 0 non-2xx, 0 socket errors`;
    });
    await check('H4. testssl.sh finds nothing vulnerable on 443', async () => {
      const started = Date.now();
      const result = testssl(httpsPort);
      writeFileSync(join(tmpdir(), 'tau-e2e-testssl.txt'), result.lines.join('\n'));
      expect(result.lines.length > 10, `testssl said little:\n${result.lines.join('\n')}`);
      expect(result.vulnerable.length === 0, `testssl:\n${result.vulnerable.join('\n')}`);
      const protocols = result.lines.filter((l) => /^(SSLv2|SSLv3|TLS 1(\.[0-3])?) /.test(l));
      return `${result.lines.length} findings in ${((Date.now() - started) / 1000).toFixed(0)} s, none vulnerable (full list: ${join(tmpdir(), 'tau-e2e-testssl.txt')}); ${protocols.join('; ')}`;
    });
    await check('H6. acme: a first attempt that fails (the ACME server not reachable yet) is tried again in 60 s, not at the next check (12 h): served within 2 minutes of the server coming up', async () => {
      // A first start with nothing issued yet, while the ACME server cannot be reached (as before DNS points here).
      stack.composeOrThrow(['stop', 'pebble']);
      stack.composeOrThrow(['rm', '--stop', '--force', 'acme']);
      const wiped = stack.compose(['run', '--rm', '-T', '--no-deps', '--entrypoint', '/bin/sh', 'acme', '-c', 'rm -rf /var/lib/lego/* /certs/*'], { timeoutMs: 60_000 });
      expect(wiped.code === 0, `emptying the ACME client's state and the published certificate: ${wiped.output}`);
      expect(await servedSerial(httpsPort) === '', 'a certificate is still served with none published');
      stack.composeOrThrow(['up', '--detach', '--no-deps', '--no-build', 'acme']);
      // lego's own report of the failed attempt, whatever the script makes of it.
      const began = Date.now();
      let log = '';
      while (!/no such host|Could not create client|connection refused/i.test(log = stack.logs('acme', 50)) && Date.now() - began < 90_000) await sleep(1000);
      expect(/no such host|Could not create client|connection refused/i.test(log), `lego did not fail without the ACME server after 90 s:\n${log}`);
      const failedAfter = Date.now() - began;
      // The ACME server comes up: the certificate must be served within 2 minutes.
      stack.composeOrThrow(['start', 'pebble']);
      const started = Date.now();
      let serial = '';
      while (!(serial = await servedSerial(httpsPort)) && Date.now() - started < 120_000) await sleep(1000);
      const took = ((Date.now() - started) / 1000).toFixed(0);
      const lines = stack.logs('acme', 200).split('\n').map((l) => l.replace(/^\S+\s+\|\s?/, ''));
      const said = lines.filter((l) => /^acme: |no such host|Could not create client|Obtaining|Server responded with a certificate/.test(l));
      expect(serial, `no certificate served ${took} s after the ACME server came up; the ACME client said:\n${lines.slice(-30).join('\n')}`);
      const failed = lines.findIndex((l) => l.startsWith('acme: the attempt failed; trying again in 60 s'));
      const published = lines.filter((l) => l.startsWith('acme: published the certificate'));
      expect(failed >= 0, `the failed attempt was not logged as one:\n${said.join('\n')}`);
      expect(published.length === 1 && lines.indexOf(published[0]) > failed, `"published" before the failed attempt's retry, or more than once:\n${said.join('\n')}`);
      return `lego failed ${(failedAfter / 1000).toFixed(0)} s after the client started (pebble stopped), nothing published, HTTPS down; serial ${serial} served ${took} s after pebble came up (the retry 60 s after the failure). The ACME client said:\n${said.map((l) => `      ${l}`).join('\n')}`;
    });
    await renewalOutcomeCheck(stack, check);
    await check('H5. files mode: a certificate made with openssl, served', async () => {
      const certs = join(dir, 'certs');
      mkdirSync(certs, { recursive: true });
      const made = run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30', '-subj', `/CN=${DOMAIN}`,
        '-addext', `subjectAltName=DNS:${DOMAIN}`, '-keyout', join(certs, 'privkey.pem'), '-out', join(certs, 'fullchain.pem')]);
      expect(made.code === 0, `openssl: ${made.output}`);
      // As the synthesis asks: readable by nginx's workers' group, by no one else.
      chownSync(join(certs, 'privkey.pem'), 0, 101);
      chmodSync(join(certs, 'privkey.pem'), 0o640);
      const serial = run('openssl', ['x509', '-in', join(certs, 'fullchain.pem'), '-noout', '-serial']).output.trim().replace(/^serial=/, '');
      synthesize(dir, { mode: 'files', certificate: 'certs/fullchain.pem', key: 'certs/privkey.pem' });
      // The ACME client and pebble are no longer part of it: removed as orphans.
      const files = current = new ComposeStack(dir, stack.project);
      files.composeOrThrow(['up', '--detach', '--no-build', '--remove-orphans'], { timeoutMs: 300_000 });
      const started = Date.now();
      let served = '';
      while ((served = await servedSerial(httpsPort)) !== serial && Date.now() - started < 30_000) await sleep(500);
      expect(served.toUpperCase() === serial.toUpperCase(), `served serial ${served}, openssl's ${serial}`);
      const own = readFileSync(join(certs, 'fullchain.pem'), 'utf-8');
      const r = await get(httpsPort, '/healthz', own);
      expect(r.status === 200, `GET /healthz trusting the openssl certificate: ${r.status}`);
      return `openssl's certificate (serial ${serial}) served from certs/; /healthz -> 200 trusting it alone`;
    });
  } catch (e) {
    log(`  ✗ https: ${(e as Error).message}`);
    for (const s of stack.services) log(`  --- ${s} output:\n${stack.logs(s, 15)}`);
    throw e;
  } finally {
    await current.down({ volumes: true }).catch((e) => log(`  (down: ${(e as Error).message})`));
    rmSync(dir, { recursive: true, force: true });
    for (const f of readdirSync(tmpdir()).filter((n) => n.startsWith('tau-e2e-image-'))) rmSync(join(tmpdir(), f), { recursive: true, force: true });
  }
}
