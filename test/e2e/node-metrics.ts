import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { connect as tlsConnect } from 'tls';
import { EXPORTER_IMAGES } from '../../src/internal';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import { script } from './operations';
import { expect } from './smoke';

/**
 * The series the operations alerts read, end to end: node_exporter (a stand-in image made here from the binary
 * test/prometheus/build-node-exporter.sh builds from the Go module proxy, in the official image's layout:
 * /bin/node_exporter as entrypoint, run as nobody) reports the database volume's file system and the textfiles
 * that ops/backup.sh and the ACME client write; the stack's own Prometheus scrapes it. Checks M1-M4.
 */

export const NODE_EXPORTER_IMAGE = EXPORTER_IMAGES.node;

type Check = (name: string, body: () => Promise<string>) => Promise<void>;

/**
 * A stand-in image for `tag`: the binaries a test/prometheus script builds from the Go module proxy, copied
 * onto the Debian python stand-in; `lines` are the Dockerfile's after its FROM (the official image's layout).
 */
export function imageFromGoBuild(script: string, tag: string, binaries: readonly string[], lines: readonly string[]): void {
  const built = run('bash', [join(__dirname, '..', 'prometheus', script)], { timeoutMs: 1_800_000 });
  expect(built.code === 0, `test/prometheus/${script}: ${built.output.slice(-2000)}`);
  const bin = built.output.trim().split('\n').pop()!;
  const base = 'python:3.12-slim';
  const r = run('bash', [join(__dirname, '..', 'engine', 'standin-images.sh'), base], { timeoutMs: 900_000 });
  expect(r.code === 0, `stand-in ${base}: ${r.output}`);
  const context = mkdtempSync(join(tmpdir(), 'tau-e2e-image-'));
  try {
    for (const b of binaries) copyFileSync(join(bin, b), join(context, b));
    writeFileSync(join(context, 'Dockerfile'), [`# Stand-in for ${tag}: the same static binaries, where the official image has them.`, `FROM ${base}`, ...lines, ''].join('\n'));
    const b = run(DOCKER, ['build', '--tag', tag, context], { env: { DOCKER_BUILDKIT: '1' }, timeoutMs: 600_000 });
    expect(b.code === 0, `docker build ${tag}: ${b.output.slice(-2000)}`);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

export function nodeExporterImage(): void {
  imageFromGoBuild('build-node-exporter.sh', NODE_EXPORTER_IMAGE, ['node_exporter'], ['COPY node_exporter /bin/node_exporter', 'USER nobody', 'ENTRYPOINT ["/bin/node_exporter"]']);
}

/** An instant query, asked with promtool inside the monitoring container: each series' labels and value. */
export function series(stack: ComposeStack, expr: string): { labels: string; value: number }[] {
  const r = stack.exec('monitoring', ['promtool', 'query', 'instant', 'http://127.0.0.1:9090', expr]);
  expect(r.code === 0, `promtool query ${expr}: ${r.output}`);
  return [...r.output.matchAll(/^(\S*\{[^}]*\}|\S+) => (\S+) @/gm)].map((m) => ({ labels: m[1], value: Number(m[2]) }));
}

async function waitForSeries(stack: ComposeStack, expr: string, timeoutMs: number): Promise<{ labels: string; value: number }[]> {
  const started = Date.now();
  for (;;) {
    const found = series(stack, expr);
    if (found.length > 0) return found;
    expect(Date.now() - started < timeoutMs, `${expr}: no series after ${timeoutMs / 1000} s; node-exporter said:\n${stack.logs('node-exporter', 15)}`);
    await sleep(1000);
  }
}

/** M1-M3, on a running stack with `monitoring` on and its database up. */
export async function nodeMetricsChecks(stack: ComposeStack, check: Check): Promise<void> {
  await check('M1. Prometheus has the database volume\'s disk, from node_exporter, labelled volume="database", and nothing else of the file systems', async () => {
    const avail = await waitForSeries(stack, 'node_filesystem_avail_bytes{job="node"}', 30_000);
    expect(avail.length === 1 && avail[0].labels.includes('volume="database"') && avail[0].labels.includes('mountpoint="/volumes/database"'),
      `node_filesystem_avail_bytes: ${JSON.stringify(avail)}`);
    const size = series(stack, 'node_filesystem_size_bytes{volume="database"}')[0]?.value;
    expect(size > 0 && avail[0].value <= size, `size ${size}, available ${avail[0].value}`);
    // The rule's own expression, as Prometheus evaluates it.
    const free = series(stack, 'node_filesystem_avail_bytes{volume="database"} / node_filesystem_size_bytes{volume="database"}')[0]?.value;
    return `${avail[0].labels}: ${(avail[0].value / 2 ** 30).toFixed(1)} GiB available of ${(size / 2 ** 30).toFixed(1)} GiB (${(free * 100).toFixed(1)}% free, the DatabaseDiskFilling rule's ratio)`;
  });

  await check('M2. ops/backup.sh makes tau_backup_last_success_timestamp_seconds appear in Prometheus, at the time it finished', async () => {
    const before = series(stack, 'tau_backup_last_success_timestamp_seconds');
    expect(before.length === 0, `a backup time before any backup: ${JSON.stringify(before)}`);
    const started = Math.floor(Date.now() / 1000);
    const said = script(stack, 'backup.sh');
    const finished = Math.ceil(Date.now() / 1000);
    const [got] = await waitForSeries(stack, 'tau_backup_last_success_timestamp_seconds', 30_000);
    expect(got.value >= started && got.value <= finished, `the metric says ${got.value}; the backup ran from ${started} to ${finished}`);
    const file = stack.exec('node-exporter', ['ls', '-l', '/metrics']).output.trim().split('\n').filter((l) => l.includes('.prom'));
    const alert = series(stack, 'ALERTS{alertname="BackupTooOld"}');
    expect(alert.length === 0, `BackupTooOld right after a backup: ${JSON.stringify(alert)}`);
    return `"${said}"; ${got.labels} = ${got.value} (${new Date(got.value * 1000).toISOString()}, within the run ${started}..${finished}); textfiles: ${file.join('; ')}; BackupTooOld not firing`;
  });

  await check('M3. promtool, in the monitoring container, passes the configuration and rules it runs', async () => {
    const config = stack.exec('monitoring', ['promtool', 'check', 'config', '/etc/prometheus/prometheus.yml']);
    expect(config.code === 0, `promtool check config: ${config.output}`);
    const targets = series(stack, 'up');
    expect(targets.length >= 3 && targets.every((t) => t.value === 1), `targets: ${JSON.stringify(targets)}`);
    return `${config.output.trim().split('\n').filter((l) => l.includes('SUCCESS')).join('; ')}; up: ${targets.map((t) => `${/job="([^"]+)"/.exec(t.labels)?.[1]}=${t.value}`).join(', ')}`;
  });
}

/** The expiry of the certificate served on `port` for `servername`, in seconds since the epoch. */
function servedNotAfter(port: number, servername: string): Promise<number> {
  return new Promise((done, fail) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const validTo = socket.getPeerCertificate().valid_to;
      socket.end();
      done(Date.parse(validTo) / 1000);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', fail);
  });
}

/** M4, on a running acme-mode stack with `monitoring` on, once its certificate is served. */
export async function certificateExpiryCheck(stack: ComposeStack, check: Check, httpsPort: number, domain: string): Promise<void> {
  await check('M4. acme: Prometheus has the certificate\'s expiry, that of the certificate nginx serves, and the last attempt\'s success', async () => {
    const served = await servedNotAfter(httpsPort, domain);
    const started = Date.now();
    let got: { labels: string; value: number } | undefined;
    // The certificate served can be newer than the last report by the time of a scrape: wait until they agree.
    while ((got = series(stack, 'tau_certificate_not_after_timestamp_seconds')[0])?.value !== served && Date.now() - started < 60_000) await sleep(1000);
    expect(got?.value === served, `Prometheus: ${JSON.stringify(got)}; served: notAfter ${served}\n${stack.logs('acme', 15)}`);
    const success = series(stack, 'tau_certificate_renewal_last_attempt_success')[0];
    const attempt = series(stack, 'tau_certificate_renewal_last_attempt_timestamp_seconds')[0];
    expect(success?.value === 1 && attempt?.value > 0, `last attempt: success ${JSON.stringify(success)}, at ${JSON.stringify(attempt)}`);
    const days = (got!.value - Date.now() / 1000) / 86400;
    return `${got!.labels} = ${got!.value} (${new Date(got!.value * 1000).toISOString()}, ${days.toFixed(1)} days left), the served certificate's notAfter; last attempt ${new Date(attempt.value * 1000).toISOString()}, success ${success.value}`;
  });
}

/** M5, after an attempt of the ACME client failed and the next one succeeded: Prometheus saw both outcomes. */
export async function renewalOutcomeCheck(stack: ComposeStack, check: Check): Promise<void> {
  await check('M5. acme: the failed attempt reached Prometheus as success 0, and the successful retry as 1', async () => {
    const started = Date.now();
    let now: number | undefined;
    while ((now = series(stack, 'tau_certificate_renewal_last_attempt_success')[0]?.value) !== 1 && Date.now() - started < 30_000) await sleep(1000);
    const lowest = series(stack, 'min_over_time(tau_certificate_renewal_last_attempt_success[10m])')[0]?.value;
    expect(lowest === 0 && now === 1, `over the last 10 minutes the lowest outcome was ${lowest}; now ${now}`);
    return `lowest outcome over the last 10 minutes ${lowest} (the failed attempt), now ${now}; the CertificateRenewalFailing rule waits 30 minutes of 0 before it fires`;
  });
}
