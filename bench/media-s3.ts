import { ChildProcess, execFileSync, spawn } from 'child_process';
import { createHash, createHmac, randomBytes } from 'crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { request } from 'http';
import { tmpdir } from 'os';
import { join, resolve } from 'path';

/**
 * Downloads of uploads in an S3 bucket: straight from the S3 service with a signed URL (what the stack does with
 * media.storage "s3"), against the same signed request passed through nginx (what proxying /media/ to the bucket
 * would add: one more hop, with nginx's headers). The S3 service is versitygw (test/s3/build.sh), nginx is the
 * machine's; both run here as processes on 127.0.0.1, so both sides are reached the same way. wrk -t2 -c16,
 * A B A B, best of each. Prints one JSON object, on one line (bench/run.ts reads it).
 *
 *   node --import tsx bench/media-s3.ts
 */

const ROOT = resolve(__dirname, '..');
const DURATION = process.env.BENCH_SECONDS ?? '5';
const BUCKET = 'bench';
const ACCESS = 'bench-access';
const SECRET = randomBytes(18).toString('base64url');
const REGION = 'us-east-1';

interface Wrk { requestsPerSecond: number; mibPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number }

function ms(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'] : NaN;
}

function mib(value: string): number {
  const m = /^([\d.]+)([KMG]?)B$/.exec(value.trim());
  return m ? Number(m[1]) * { '': 1 / 2 ** 20, K: 1 / 1024, M: 1, G: 1024 }[m[2] as '' | 'K' | 'M' | 'G'] : NaN;
}

function wrk(url: string): Wrk {
  const out = execFileSync('wrk', ['-t2', '-c16', `-d${DURATION}s`, '--latency', url], { encoding: 'utf-8' });
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    mibPerSecond: mib(/Transfer\/sec:\s+(\S+)/.exec(out)![1]),
    p50Ms: ms(/50%\s+(\S+)/.exec(out)![1]),
    p99Ms: ms(/99%\s+(\S+)/.exec(out)![1]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** A SigV4 presigned GET URL (query authentication, as boto3's generate_presigned_url makes it), path-style. */
function presign(host: string, key: string, expires = 3600): string {
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = now.slice(0, 8);
  const scope = `${day}/${REGION}/s3/aws4_request`;
  const path = `/${BUCKET}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const query = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'], ['X-Amz-Credential', `${ACCESS}/${scope}`], ['X-Amz-Date', now],
    ['X-Amz-Expires', String(expires)], ['X-Amz-SignedHeaders', 'host'],
  ].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort().join('&');
  const canonical = ['GET', path, query, `host:${host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, day), REGION), 's3'), 'aws4_request');
  return `${path}?${query}&X-Amz-Signature=${createHmac('sha256', signingKey).update(toSign).digest('hex')}`;
}

function get(port: number, path: string, host?: string): Promise<{ status: number; headers: Record<string, unknown>; bytes: number }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: host ? { Host: host } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function waitFor(port: number, path: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    if (await get(port, path).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 125));
  }
  throw new Error(`nothing answers on 127.0.0.1:${port}`);
}

async function main(): Promise<void> {
  const bin = execFileSync('bash', [join(ROOT, 'test', 's3', 'build.sh')], { encoding: 'utf-8' }).trim().split('\n').pop()!;
  const dir = mkdtempSync(join(tmpdir(), 'tau-bench-s3-'));
  const children: ChildProcess[] = [];
  try {
    // The posix backend serves a bucket's directory as it finds it: the objects are written there directly.
    mkdirSync(join(dir, 'buckets', BUCKET, 'documents'), { recursive: true });
    const sizes = { small: 16 * 1024, large: 1024 * 1024 };
    for (const [name, size] of Object.entries(sizes)) writeFileSync(join(dir, 'buckets', BUCKET, 'documents', `${name}.bin`), randomBytes(size));
    const s3Port = 17000 + Math.floor(Math.random() * 1000);
    const nginxPort = s3Port + 1000;
    const s3Host = `127.0.0.1:${s3Port}`;
    children.push(spawn(join(bin, 'versitygw'), ['--access', ACCESS, '--secret', SECRET, '--port', s3Host, '--quiet',
      'posix', join(dir, 'buckets')], { stdio: 'ignore' }));
    await waitFor(s3Port, '/');
    // nginx in front, as a /media/ location proxying to the bucket would be: upstream keepalive, the Host the
    // signature names, the media headers added.
    mkdirSync(join(dir, 'nginx'));
    writeFileSync(join(dir, 'nginx', 'nginx.conf'), [
      'daemon off;', 'worker_processes 1;', `pid ${join(dir, 'nginx', 'nginx.pid')};`, `error_log ${join(dir, 'nginx', 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {', '  access_log off;', `  client_body_temp_path ${join(dir, 'nginx')};`, `  proxy_temp_path ${join(dir, 'nginx')};`,
      `  upstream s3 { server ${s3Host}; keepalive 32; }`,
      `  server { listen 127.0.0.1:${nginxPort};`,
      `    location /${BUCKET}/ { proxy_pass http://s3; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host ${s3Host};`,
      '      add_header Content-Security-Policy "sandbox" always; add_header X-Content-Type-Options "nosniff" always; }',
      '  }', '}', '',
    ].join('\n'));
    children.push(spawn('/usr/sbin/nginx', ['-p', join(dir, 'nginx'), '-c', join(dir, 'nginx', 'nginx.conf')], { stdio: 'ignore' }));
    await waitFor(nginxPort, '/');

    const results: Record<string, { direct: Wrk; nginx: Wrk; ratio: number; checked: string }> = {};
    for (const name of Object.keys(sizes)) {
      const path = presign(s3Host, `documents/${name}.bin`);
      const direct = await get(s3Port, path);
      const proxied = await get(nginxPort, path);
      if (direct.status !== 200 || proxied.status !== 200 || direct.bytes !== proxied.bytes) {
        throw new Error(`${name}: direct ${direct.status} ${direct.bytes} B, through nginx ${proxied.status} ${proxied.bytes} B`);
      }
      const unsigned = await get(s3Port, path.split('?')[0]);
      const runs: Wrk[][] = [[], []];
      for (let i = 0; i < 2; i++) {
        runs[0].push(wrk(`http://${s3Host}${path}`));
        runs[1].push(wrk(`http://127.0.0.1:${nginxPort}${path}`));
      }
      const best = (r: Wrk[]) => r.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
      const [d, n] = [best(runs[0]), best(runs[1])];
      results[name] = { direct: d, nginx: n, ratio: d.requestsPerSecond / n.requestsPerSecond, checked: `${direct.bytes} B both ways; unsigned ${unsigned.status}` };
    }
    console.log(JSON.stringify({ versitygw: /Version\s*:\s*(\S+)/.exec(execFileSync(join(bin, 'versitygw'), ['--version'], { encoding: 'utf-8' }))?.[1], results }));
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
