import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { Duration, DjangoStackOptions, MediaOptions, StackValidationError } from '../../src/internal';
import { cleanTempDirs, newStack, readTree, TAU, tempDir } from '../helpers/synth';
import { makeCa } from '../lib/test-ca';
import { shellcheck } from '../validators/files';
import { validateWithRealTools } from '../validators';
import { baseObjects, schemaProblems, secretLeaks, semanticProblems, synthWithTarget, TAU_K8S, kustomize } from '../k8s/k8s-helpers';

afterAll(cleanTempDirs);

const S3: MediaOptions = { storage: 's3', bucket: 'tau-media', endpoint: 'https://s3.eu-central-1.amazonaws.com', region: 'eu-central-1' };

/** The stack with `media`, synthesized: its files by path. */
function synth(media: MediaOptions = S3, options: DjangoStackOptions = TAU): Map<string, string> {
  const { project, outdir } = newStack({ ...options, media });
  project.synth();
  return new Map([...readTree(outdir)].map(([path, f]) => [path, f.content]));
}

/** The message of the refusal of `options` (the test fails if synthesis succeeds). */
function refusal(options: DjangoStackOptions, k8s?: Parameters<typeof synthWithTarget>[1]): string {
  try {
    if (k8s) synthWithTarget(options, k8s);
    else newStack(options).project.synth();
  } catch (e) {
    expect(e).toBeInstanceOf(StackValidationError);
    return (e as Error).message;
  }
  throw new Error('synthesis succeeded, but a refusal was expected');
}

describe('media in an S3 bucket', () => {
  const files = synth();
  const compose = parse(files.get('docker-compose.yml')!);

  test('no media volume: web and nginx mount the static files only, nginx has no /media/ location', () => {
    expect(Object.keys(compose.volumes)).toEqual(['postgres_data', 'pgbackrest', 'static_volume']);
    expect(compose.services.web.volumes).toEqual(['static_volume:/app/staticfiles']);
    expect(compose.services.nginx.volumes.filter((v: string) => /media/.test(v))).toEqual([]);
    expect(files.get('nginx/default.conf')).not.toMatch(/\/media\//);
    // The volume stack's files do have them: the difference is the option.
    const volume = synth({ storage: 'volume' });
    expect(Object.keys(parse(volume.get('docker-compose.yml')!).volumes)).toContain('media_volume');
    expect(volume.get('nginx/default.conf')).toMatch(/location \/media\/ \{/);
  });

  test('web reads the bucket, endpoint and region (defaults from the model) and the two keys (secrets from .env)', () => {
    expect(compose.services.web.environment).toMatchObject({
      MEDIA_S3_BUCKET: '${MEDIA_S3_BUCKET:-tau-media}',
      MEDIA_S3_ENDPOINT_URL: '${MEDIA_S3_ENDPOINT_URL:-https://s3.eu-central-1.amazonaws.com}',
      MEDIA_S3_REGION: '${MEDIA_S3_REGION:-eu-central-1}',
      MEDIA_S3_ACCESS_KEY_ID: '${MEDIA_S3_ACCESS_KEY_ID:?MEDIA_S3_ACCESS_KEY_ID must be set in .env}',
      MEDIA_S3_SECRET_ACCESS_KEY: '${MEDIA_S3_SECRET_ACCESS_KEY:?MEDIA_S3_SECRET_ACCESS_KEY must be set in .env}',
    });
    // migrate does not store uploads: it gets no key.
    expect(Object.keys(compose.services.migrate.environment).filter((n) => n.startsWith('MEDIA_'))).toEqual([]);
    const example = files.get('.env.example')!;
    expect(example).toMatch(/^MEDIA_S3_ACCESS_KEY_ID=$/m);
    expect(example).toMatch(/^MEDIA_S3_SECRET_ACCESS_KEY=$/m);
    expect(example).toMatch(/^MEDIA_S3_BUCKET='tau-media'$/m);
  });

  test('the settings store uploads with django-storages: private, signed URLs, never overwritten, served as downloads', () => {
    const settings = files.get('Tau/settings_env.py')!;
    expect(settings).toContain('"BACKEND": "storages.backends.s3.S3Storage"');
    expect(settings).toContain('"bucket_name": _str("MEDIA_S3_BUCKET", "tau-media")');
    expect(settings).toContain('"access_key": _str("MEDIA_S3_ACCESS_KEY_ID")');
    expect(settings).toContain('"default_acl": None');
    expect(settings).toContain('"querystring_auth": True');
    expect(settings).toContain('"querystring_expire": 3600');
    expect(settings).toContain('"file_overwrite": False');
    expect(settings).toContain('"object_parameters": {"ContentDisposition": "attachment", "ContentType": "application/octet-stream"}');
    expect(settings).not.toMatch(/MEDIA_ROOT/);
    expect(synth({ ...S3, urlExpiry: Duration.minutes(10) }).get('Tau/settings_env.py')).toContain('"querystring_expire": 600');
  });

  test('requirements.txt adds django-storages with its s3 extra (boto3); the volume stack does not', () => {
    expect(files.get('requirements.txt')).toMatch(/^# Media storage.*\ndjango-storages\[s3\]==1\.14\.6$/m);
    expect(synth({ storage: 'volume' }).get('requirements.txt')).not.toMatch(/django-storages/);
  });

  test('backup.sh records the bucket\'s current object versions and refuses a bucket without versioning; restore.sh brings them back', () => {
    const backup = files.get('ops/backup.sh')!;
    expect(backup).toContain('> "$dir.partial/media-versions.tsv"');
    expect(backup).toMatch(/if status != "Enabled":\n\s+sys\.exit\(/);
    expect(backup).not.toMatch(/media\.tar/);
    const restore = files.get('ops/restore.sh')!;
    expect(restore).toContain('< "$dir/media-versions.tsv"');
    expect(restore).toContain('copy_object(');
  });

  test('real tools: nginx -t, docker compose config, hadolint, shellcheck, yamllint, the settings module under Python', () => {
    // GIVEN the stack with s3 media and .env filled as an operator would (compose refuses empty keys)
    const { project, stack, outdir } = newStack({ ...TAU, media: S3 });
    project.synth();
    const env = join(outdir, '.env');
    writeFileSync(env, readFileSync(env, 'utf-8').replace(/^MEDIA_S3_ACCESS_KEY_ID=.*$/m, "MEDIA_S3_ACCESS_KEY_ID='AKIAEXAMPLE'")
      .replace(/^MEDIA_S3_SECRET_ACCESS_KEY=.*$/m, "MEDIA_S3_SECRET_ACCESS_KEY='example/secret'"));
    expect(validateWithRealTools(outdir, stack)).toEqual([]);
  }, 60_000);

  test('the s3 backup and restore scripts pass shellcheck', () => {
    const { project, outdir } = newStack({ ...TAU, media: S3 });
    project.synth();
    for (const script of ['ops/backup.sh', 'ops/restore.sh']) expect({ script, problems: shellcheck(join(outdir, script)) }).toEqual({ script, problems: [] });
  });
});

test('with an external database too: neither a database volume nor a media volume, web reads both from .env', () => {
  // GIVEN the stack with its database and its uploads both outside it
  const outdir = tempDir();
  makeCa(join(outdir, 'postgres', 'ca.pem'));
  const { project } = newStack({ ...TAU, postgres: { external: { caFile: 'postgres/ca.pem', host: 'db.example.test' } }, media: S3 }, outdir);
  project.synth();
  const compose = parse(readFileSync(join(outdir, 'docker-compose.yml'), 'utf-8'));
  // THEN only the static files are a volume, and web reads the S3 keys beside the database's variables
  expect(Object.keys(compose.volumes)).toEqual(['static_volume']);
  expect(Object.keys(compose.services.web.environment)).toEqual(expect.arrayContaining(['POSTGRES_HOST', 'MEDIA_S3_BUCKET', 'MEDIA_S3_SECRET_ACCESS_KEY']));
});

describe('media options refused at synthesis, each named with its field', () => {
  test.each<[string, MediaOptions, RegExp]>([
    ['s3 without a bucket', { storage: 's3', endpoint: 'https://s3.example.com' }, /media: bucket = \(not set\); an S3 bucket name/],
    ['a bucket name S3 refuses', { ...S3, bucket: 'Tau_Media' }, /media: bucket = "Tau_Media"; an S3 bucket name/],
    ['s3 without an endpoint', { storage: 's3', bucket: 'tau-media' }, /media: endpoint = \(not set\); the S3 service's URL/],
    ['an endpoint with a path', { ...S3, endpoint: 'https://s3.example.com/tau-media' }, /media: endpoint = "https:\/\/s3\.example\.com\/tau-media"; the S3 service's URL: https:\/\/host\[:port\], no path/],
    ['an endpoint with credentials', { ...S3, endpoint: 'https://key:secret@s3.example.com' }, /media: endpoint = .*no path, query or credentials/],
    ['a plain http endpoint without allowPlainHttp', { ...S3, endpoint: 'http://s3:7070' }, /media: endpoint = "http:\/\/s3:7070"; an https:\/\/ URL: over http, uploads and the signed download URLs travel unencrypted/],
    ['virtual addressing on a bare host name', { ...S3, endpoint: 'http://s3:7070', allowPlainHttp: true, addressing: 'virtual' }, /media: addressing = "virtual"; "path": with virtual addressing/],
    ['an unknown addressing', { ...S3, addressing: 'dns' as any }, /media: addressing = "dns"; "path" or "virtual"/],
    ['a region that is not one', { ...S3, region: 'EU Central' }, /media: region = "EU Central"; a region name such as us-east-1/],
    ['a signed URL valid longer than SigV4 allows', { ...S3, urlExpiry: Duration.days(8) }, /media: urlExpiry = "8 d"; .*at most 7 d/],
    ['an unknown storage', { storage: 'gcs' as any }, /media: storage = "gcs"; "volume" \(the default\) or "s3"/],
    ['a bucket with the volume storage', { bucket: 'tau-media' }, /media: bucket = "tau-media"; bucket is for storage: "s3"/],
    ['a misspelt option', { ...S3, bukcet: 'x' } as any, /media: bukcet = "x"; not an option; did you mean "bucket"\?/],
  ])('%s', (_name, media, message) => {
    expect(refusal({ ...TAU, media })).toMatch(message);
  });

  test('mediaFiles (a volume\'s path and URL) with s3', () => {
    expect(refusal({ ...TAU, media: S3, mediaFiles: { path: '/app/uploads' } })).toMatch(/mediaFiles: path = .*; mediaFiles \(the volume's path and URL prefix\) is for media on a volume/);
  });

  test('every problem at once: no bucket, an http endpoint and a bad region are three entries of one list', () => {
    const message = refusal({ ...TAU, media: { storage: 's3', endpoint: 'http://s3', region: 'x y' } });
    expect(message).toMatch(/has 3 problems/);
  });

  test('Kubernetes: a media claim\'s size or access mode with s3', () => {
    const message = refusal({ ...TAU, media: S3 }, { ...TAU_K8S, storage: { mediaSize: '50Gi', mediaAccessMode: 'ReadWriteOnce' } });
    expect(message).toMatch(/kubernetes: storage\.mediaSize = "50Gi"; leave it out: with media\.storage "s3" the uploads are in the bucket/);
    expect(message).toMatch(/kubernetes: storage\.mediaAccessMode = "ReadWriteOnce"; leave it out/);
  });
});

describe('Kubernetes with media in a bucket', () => {
  const { stack, target, outdir } = synthWithTarget({ ...TAU, media: S3 });
  const objects = baseObjects(outdir);

  test('no media claim; web reads the bucket from the ConfigMap and the keys from the Secret', () => {
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).toEqual([]);
    const config = objects.find((o) => o.kind === 'ConfigMap' && /environment$/.test(o.metadata.name))!;
    expect(config.data).toMatchObject({ MEDIA_S3_BUCKET: 'tau-media', MEDIA_S3_REGION: 'eu-central-1' });
    const web = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web')!;
    const env = web.spec.template.spec.containers[0].env as { name: string; valueFrom?: any }[];
    for (const name of ['MEDIA_S3_ACCESS_KEY_ID', 'MEDIA_S3_SECRET_ACCESS_KEY']) {
      expect(env.find((e) => e.name === name)?.valueFrom?.secretKeyRef).toEqual({ name: target.plan.secretName, key: name });
    }
    expect(readFileSync(join(outdir, 'k8s/create-secret.sh'), 'utf-8')).toContain('MEDIA_S3_SECRET_ACCESS_KEY');
  });

  test('semantics, schema (strict, 1.32) and no secret in k8s/', () => {
    expect(semanticProblems(objects, stack, target, outdir)).toEqual([]);
    expect(secretLeaks(outdir, stack)).toEqual([]);
    const file = join(outdir, 'rendered.yaml');
    writeFileSync(file, kustomize(join(outdir, 'k8s')));
    expect(schemaProblems(file)).toEqual([]);
  }, 60_000);
});
