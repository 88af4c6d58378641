import { execFileSync } from 'child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { LogLevel, Project } from 'projen';
import { DjangoStack } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { copyRepository, resolveLock, ROOT } from '../lib/repository-copy';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import { Check } from './checks';
import { addTestViews, newestBackup, opsEnv, replicas, script, waitAllHealthy } from './operations';
import * as smoke from './smoke';

/**
 * Media in an S3 bucket, end to end: the stack synthesized with `media: { storage: 's3' }`, its lock made by
 * uv for that requirements.txt, built and run from its unmodified files, against a real S3 server.
 *
 * The S3 server is versitygw (test/s3/build.sh), the stand-in for the operator's S3 service: one more service in
 * a compose file of the test's own (docker-compose.e2e-s3.yml) on the network web reaches the outside through,
 * run from a scratch image holding only its static binary. Its posix backend keeps objects as files, their
 * metadata in extended attributes, and earlier versions in a directory of their own. (Its --sidecar metadata
 * directory is not used: with it, v1.8.0 leaves an object deleted after a copy of an earlier version over it.)
 */

const S3_SERVICE = 's3';
const S3_PORT = 7070;
const BUCKET = 'tau-media';
const ACCESS_KEY = 'tau-e2e-web';
const SECRET_KEY = `e2e-${Math.random().toString(36).slice(2)}-s3-secret`;


/** The copy of the repository with the stack re-synthesized for s3 media, its lock resolved and .env filled. */
function s3Stack(log: (line: string) => void): string {
  const dir = copyRepository('tau-e2e-s3-');
  const project = new Project({ name: 'tau-s3', outdir: dir, logging: { level: LogLevel.OFF } });
  const stack = new DjangoStack(project, {
    ...TAU, media: { storage: 's3', bucket: BUCKET, endpoint: `http://${S3_SERVICE}:${S3_PORT}`, allowPlainHttp: true },
  });
  project.synth();
  // What `npx projen lock` does for this stack: uv resolves requirements.txt, django-storages and boto3 included.
  const started = Date.now();
  const locked = resolveLock(stack, dir);
  log(`  requirements.lock for s3 media by uv in ${((Date.now() - started) / 1000).toFixed(1)} s: ${['django-storages', 'boto3', 'botocore']
    .map((n) => new RegExp(`^${n}==\\S+`, 'm').exec(locked)?.[0] ?? `no ${n}`).join(', ')}`);
  // The operator's part: the S3 user's keys, in .env.
  const env = readFileSync(join(dir, '.env'), 'utf-8')
    .replace(/^MEDIA_S3_ACCESS_KEY_ID=.*$/m, `MEDIA_S3_ACCESS_KEY_ID=${ACCESS_KEY}`)
    .replace(/^MEDIA_S3_SECRET_ACCESS_KEY=.*$/m, `MEDIA_S3_SECRET_ACCESS_KEY=${SECRET_KEY}`);
  writeFileSync(join(dir, '.env'), env);
  // The S3 service, beside the stack: on the network through which web reaches the outside.
  writeFileSync(join(dir, 'docker-compose.e2e-s3.yml'), [
    'services:',
    `  ${S3_SERVICE}:`,
    '    image: tau-e2e-versitygw',
    `    command: [--access, ${ACCESS_KEY}, --secret, ${SECRET_KEY}, --port, ":${S3_PORT}", posix, --versioning-dir, /data/versions, /data/buckets]`,
    '    volumes: [s3_data:/data]',
    '    networks: [front]',
    'volumes:',
    '  s3_data: {}',
    '',
  ].join('\n'));
  return dir;
}

/** The image of the S3 stand-in: versitygw's static binary, alone, in a scratch image, with its data directories. */
function buildS3Image(): string {
  const bin = execFileSync('bash', [join(ROOT, 'test', 's3', 'build.sh')], { encoding: 'utf-8' }).trim().split('\n').pop()!;
  const context = mkdtempSync(join(tmpdir(), 'tau-e2e-versitygw-'));
  try {
    copyFileSync(join(bin, 'versitygw'), join(context, 'versitygw'));
    for (const d of ['buckets', 'versions']) execFileSync('mkdir', ['-p', join(context, 'data', d)]);
    // Unprivileged; a new named volume at /data takes the owner of the image's /data.
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY versitygw /versitygw\nCOPY --chown=65534:65534 data /data\nUSER 65534:65534\nENTRYPOINT ["/versitygw"]\n');
    const r = run(DOCKER, ['build', '--quiet', '--tag', 'tau-e2e-versitygw', context], { env: { DOCKER_BUILDKIT: '1' } });
    if (r.code !== 0) throw new Error(`building the versitygw image: ${r.output}`);
    const version = /Version\s*:\s*(\S+)/.exec(execFileSync(join(bin, 'versitygw'), ['--version'], { encoding: 'utf-8' }))?.[1];
    return `image tau-e2e-versitygw: versitygw ${version}, its static binary alone`;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Python run with the web image (boto3 in it), as the S3 service's user: the bucket seen from outside the app. */
function s3Python(stack: ComposeStack, web: string, code: string, stdin?: string): string {
  const prelude = [
    'import boto3, sys',
    `c = boto3.client("s3", endpoint_url="http://${S3_SERVICE}:${S3_PORT}", aws_access_key_id="${ACCESS_KEY}", aws_secret_access_key="${SECRET_KEY}", region_name="us-east-1")`,
  ].join('\n');
  const r = stack.compose(['run', '--rm', '--no-deps', '-T', '--entrypoint', 'python', web, '-c', `${prelude}\n${code}`], { input: stdin });
  if (r.code !== 0) throw new Error(`python with boto3 (exit ${r.code}): ${r.output.trim().split('\n').slice(-8).join(' / ')}`);
  return r.output.trim().split('\n').filter((l) => !/^(Creating|Starting|\[\+\]|Container)/.test(l)).join('\n');
}

/** The S3 service's address on the front network (the harness reaches it there, as a browser reaches the operator's). */
function s3Address(stack: ComposeStack): string {
  return run(DOCKER, ['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', stack.containerId(S3_SERVICE)]).output.trim();
}

/** A signed URL as a browser follows it: to the S3 service (reached at its address), host name and signature as given. */
async function download(stack: ComposeStack, url: string): Promise<smoke.Response> {
  const u = new URL(url);
  return new smoke.Client(u.origin, `${s3Address(stack)}:${u.port || 80}`).request(u.pathname + u.search);
}

/** Uploads a file through the admin (as smoke.uploadMedia does) and returns the URL the app gives for it. */
async function upload(client: smoke.Client, title: string, filename: string, type: string, content: Buffer): Promise<string> {
  return smoke.uploadMedia(client, title, content, { filename, type, urlPrefix: `http://${S3_SERVICE}:${S3_PORT}/${BUCKET}/` });
}

export async function runMediaS3(log: (line: string) => void, check: Check): Promise<void> {
  log('media in an S3 bucket (media.storage "s3") against versitygw, the stand-in for the operator\'s S3 service');
  const dir = s3Stack(log);
  addTestViews(dir);
  const stack = new ComposeStack(dir, 'tau-e2e-s3', ['docker-compose.yml', 'docker-compose.e2e-s3.yml']);
  const web = stack.built;
  const client = new smoke.Client(`http://localhost:${stack.front.port}`);
  const password = `e2e-${Math.random().toString(36).slice(2)}-Passw0rd`;
  const content = Buffer.from(`stored in the bucket ${Date.now()}\n`);
  try {
    stack.standIns(['tau-e2e-versitygw']);
    log(`  ${buildS3Image()}; stand-ins ready`);
    let started = Date.now();
    stack.build();
    log(`  docker build of the web image (django-storages, boto3): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    stack.composeOrThrow(['up', '--detach', S3_SERVICE]);
    for (let i = 0; i < 40 && run(DOCKER, ['logs', stack.containerId(S3_SERVICE)]).output.indexOf('listening') < 0; i++) await sleep(250);
    // The operator's part: the bucket, with versioning on (what backup.sh checks and restore.sh relies on).
    log(`  ${s3Python(stack, web, [
      `c.create_bucket(Bucket="${BUCKET}")`,
      `c.put_bucket_versioning(Bucket="${BUCKET}", VersioningConfiguration={"Status": "Enabled"})`,
      `print("bucket ${BUCKET} made, versioning", c.get_bucket_versioning(Bucket="${BUCKET}")["Status"])`,
    ].join('\n'))}`);
    started = Date.now();
    await stack.up();
    log(`  docker compose up: every healthcheck healthy in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    await check('S1. no media volume and no /media/ location: web mounts only the static files, nginx serves no uploads', async () => {
      const volumes = Object.keys((stack.config as { volumes?: Record<string, unknown> }).volumes ?? {});
      smoke.expect(!volumes.includes('media_volume'), `volumes: ${volumes.join(', ')}`);
      const conf = readFileSync(join(dir, 'nginx', 'default.conf'), 'utf-8');
      smoke.expect(!/location \^?~? ?\/media\//.test(conf), 'nginx/default.conf has a /media/ location');
      return `volumes ${volumes.join(', ')}; nginx/default.conf has no /media/ location`;
    });
    const superuser = stack.exec(web, ['python', 'manage.py', 'createsuperuser', '--noinput'], {
      DJANGO_SUPERUSER_USERNAME: 'admin', DJANGO_SUPERUSER_EMAIL: 'admin@example.com', DJANGO_SUPERUSER_PASSWORD: password,
    });
    smoke.expect(superuser.code === 0, `createsuperuser: ${superuser.output}`);
    await smoke.login(client, 'admin', password);

    let url = '';
    let key = '';
    await check('S2. an upload through the app is an object in the bucket, listed by the S3 server; the same name again replaces nothing', async () => {
      url = await upload(client, 'e2e s3 file', 'notes.txt', 'text/plain', content);
      key = decodeURIComponent(new URL(url).pathname.slice(`/${BUCKET}/`.length));
      const listed = s3Python(stack, web, `for o in c.list_objects_v2(Bucket="${BUCKET}").get("Contents", []): print(o["Key"], o["Size"])`);
      smoke.expect(listed.split('\n').includes(`${key} ${content.length}`), `the bucket lists: ${listed}`);
      // Another upload under the same name gets a key of its own: the first user's file is not replaced.
      const second = await upload(client, 'e2e s3 same name', 'notes.txt', 'text/plain', Buffer.from('another user\'s notes\n'));
      const secondKey = decodeURIComponent(new URL(second).pathname.slice(`/${BUCKET}/`.length));
      const first = await download(stack, url);
      smoke.expect(secondKey !== key && first.body.equals(content), `the second notes.txt is ${secondKey}; the first now reads ${first.body.toString().slice(0, 80)}`);
      return `the app links ${url.split('?')[0]}?X-Amz-…; the bucket lists "${key} ${content.length}"; a second notes.txt became ${secondKey}, the first unchanged`;
    });
    await check('S3. the signed URL downloads the file as an attachment; the same URL unsigned or tampered with is refused', async () => {
      const r = await download(stack, url);
      const disposition = String(r.headers['content-disposition']);
      const type = String(r.headers['content-type']);
      smoke.expect(r.status === 200 && r.body.equals(content), `GET the signed URL: ${r.status} ${r.body.toString().slice(0, 200)}`);
      smoke.expect(disposition === 'attachment' && type === 'application/octet-stream', `Content-Disposition ${disposition}, Content-Type ${type}`);
      const unsigned = await download(stack, url.split('?')[0]);
      const tampered = await download(stack, url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`));
      smoke.expect(unsigned.status === 403 && tampered.status === 403, `unsigned: ${unsigned.status}, tampered signature: ${tampered.status}`);
      return `200, ${r.body.length} bytes as uploaded, Content-Disposition: ${disposition}, Content-Type: ${type}; unsigned 403, tampered 403`;
    });
    await check('S4. an uploaded HTML page is served as a download, not inline', async () => {
      const page = await upload(client, 'e2e s3 html', 'attack.html', 'text/html', Buffer.from('<script>alert(document.cookie)</script>'));
      const r = await download(stack, page);
      const disposition = String(r.headers['content-disposition']);
      const type = String(r.headers['content-type']);
      smoke.expect(r.status === 200 && disposition === 'attachment' && type === 'application/octet-stream', `${r.status}, Content-Disposition ${disposition}, Content-Type ${type}`);
      smoke.expect(new URL(page).origin !== new URL(client.base).origin, `served from the site's own origin ${new URL(page).origin}`);
      return `attack.html -> ${r.status}, Content-Type: ${type}, Content-Disposition: ${disposition}, from ${new URL(page).origin}, not the site's origin`;
    });
    await check('S5. two web replicas read the same file from the bucket', async () => {
      stack.composeOrThrow(['up', '--detach', '--no-deps', '--scale', `${web}=2`, web]);
      const ids = replicas(stack, web);
      await waitAllHealthy(ids);
      const read = ids.map((id) => run(DOCKER, ['exec', id, 'python', 'manage.py', 'shell', '--verbosity', '0', '-c',
        `from django.core.files.storage import default_storage as s; import sys; sys.stdout.write(s.open(${JSON.stringify(key)}).read().decode())`]).output);
      smoke.expect(ids.length === 2 && read.every((r) => r === content.toString()), `replicas ${ids.length}, read: ${read.map((r) => JSON.stringify(r.slice(0, 80))).join(' / ')}`);
      return `${ids.length} replicas each read ${key} (${content.length} bytes) through django-storages`;
    });
    await check('S6. web restarted: the file is still there, at a freshly signed URL', async () => {
      stack.composeOrThrow(['restart', web], { timeoutMs: 180_000 });
      await waitAllHealthy(replicas(stack, web));
      for (let i = 0; i < 20 && (await client.request('/healthz')).status !== 200; i++) await sleep(250);
      const read = await smoke.graphql(client, '{ documents { title attachmentUrl } }');
      const again = read.documents.find((d: { title: string }) => d.title === 'e2e s3 file')?.attachmentUrl as string;
      const r = await download(stack, again);
      smoke.expect(r.status === 200 && r.body.equals(content), `after the restart: ${r.status}`);
      return `after docker compose restart ${web}: ${r.status}, the same ${content.length} bytes`;
    });
    await check('S7. backup.sh records the current object versions (versioning checked on); overwritten and deleted, restore.sh brings them back', async () => {
      const backedUp = script(stack, 'backup.sh');
      const backup = newestBackup(dir);
      const backups = readFileSync(join(dir, backup, 'media-versions.tsv'), 'utf-8');
      smoke.expect(backups.split('\n').some((l) => l.startsWith(`${key}\t`)), `media-versions.tsv: ${backups}`);
      // An upload replaced and another deleted, behind the app's back.
      s3Python(stack, web, [
        `c.put_object(Bucket="${BUCKET}", Key=${JSON.stringify(key)}, Body=b"overwritten")`,
        `for o in c.list_objects_v2(Bucket="${BUCKET}")["Contents"]:`,
        `    if o["Key"] != ${JSON.stringify(key)}: c.delete_object(Bucket="${BUCKET}", Key=o["Key"])`,
      ].join('\n'));
      const lost = await download(stack, url);
      smoke.expect(!lost.body.equals(content), 'the overwrite did not change the object');
      const restored = script(stack, 'restore.sh', [backup]);
      const back = await download(stack, url);
      const count = s3Python(stack, web, `print(len(c.list_objects_v2(Bucket="${BUCKET}").get("Contents", [])))`);
      smoke.expect(back.status === 200 && back.body.equals(content) && count === String(backups.trim().split('\n').length),
        `after restore: ${back.status} ${back.body.toString().slice(0, 80)}; ${count} objects, ${backups.trim().split('\n').length} backed up`);
      return `${backedUp}: ${backups.trim().split('\n').length} object versions recorded; one overwritten, the others deleted; ${restored.split('\n').pop()}; the file reads as uploaded, ${count} objects`;
    });
    await check('S8. backup.sh refuses a bucket that keeps no versions, and writes no backup', async () => {
      s3Python(stack, web, 'c.create_bucket(Bucket="tau-unversioned")');
      const before = newestBackup(dir);
      // Compose takes a variable from the caller's environment over .env: web's bucket, for this run only.
      const r = run('sh', [join(dir, 'ops', 'backup.sh')], { env: { ...opsEnv(stack), MEDIA_S3_BUCKET: 'tau-unversioned' }, timeoutMs: 300_000 });
      const said = r.output.trim().split('\n').filter((l) => l.startsWith('backup:')).pop() ?? r.output.trim().split('\n').pop();
      smoke.expect(r.code !== 0 && /versioning of bucket tau-unversioned is off/.test(said ?? '') && newestBackup(dir) === before,
        `backup.sh exited ${r.code}: ${said}; newest backup ${newestBackup(dir)}`);
      return `exit ${r.code}: "${said}"; no new backup`;
    });
  } catch (e) {
    log(`  ✗ media-s3: ${(e as Error).message}`);
    for (const s of stack.services) log(`  --- ${s} output:\n${stack.logs(s, 15)}`);
    throw e;
  } finally {
    await stack.down({ volumes: true }).catch((e) => log(`  (down: ${(e as Error).message})`));
    rmSync(dir, { recursive: true, force: true });
  }
}
