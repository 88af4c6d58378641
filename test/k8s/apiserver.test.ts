import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Healthcheck } from '../../src/internal';
import { cleanTempDirs, tempDir, TAU } from '../helpers/synth';
import { parseEnvFile } from '../lib/env-file';
import { baseObjects, expectedPods, Obj, synthWithTarget, TAU_K8S } from './k8s-helpers';

/**
 * The generated bases applied to a real kube-apiserver v1.32.13 with its kube-controller-manager
 * (test/k8s/with-apiserver.sh, built from the release's Go modules by test/k8s/build.sh), as docs/KUBERNETES.md tells a
 * user to: the Secret from .env with create-secret.sh, a server-side dry run of `-k k8s/`, the real apply, no
 * drift after it; then the controllers make every workload's pods, under the "restricted" Pod Security
 * Standard. No kubelet runs, so every pod stays Pending (no node, no container, no image pulled): that the pods
 * run is not proven here.
 */

afterAll(cleanTempDirs);

const HERE = __dirname;

interface Applied {
  readonly name: string;
  readonly namespace: string;
  readonly dir: string;
  readonly envFile: string;
  readonly pods: number;
  readonly objects: Obj[];
  readonly out: string;
  /** The stack's secret variables: what the Secret must hold. */
  readonly secrets: string[];
}

function prepare(name: string, synth: ReturnType<typeof synthWithTarget>, env?: (text: string) => string): Applied {
  const { stack, target, outdir } = synth;
  const out = join(tempDir(), name);
  mkdirSync(out);
  let envFile = join(outdir, stack.envFile);
  if (env) {
    envFile = join(out, 'env');
    writeFileSync(envFile, env(readFileSync(join(outdir, stack.envFile), 'utf-8')), { mode: 0o600 });
  }
  const objects = baseObjects(outdir);
  const secrets = stack.env.all.filter((v) => v.secret).map((v) => v.name);
  return { name, namespace: target.plan.namespace, dir: join(outdir, 'k8s'), envFile, pods: expectedPods(objects), objects, out, secrets };
}

const runs: Applied[] = [];
let log = '';
let status = -1;

beforeAll(() => {
  // The default stack, as .projenrc.ts declares it.
  runs.push(prepare('tau', synthWithTarget()));
  // Another: PostgreSQL 18, TLS at the ingress, autoscaling, a ReadWriteOnce media claim, a registry image,
  // Redis and a Celery worker; and a secret with the characters a .env value may hold ($, #, spaces, \).
  runs.push(prepare('atlas', synthWithTarget(
    { ...TAU, django: { ...TAU.django, project: 'Atlas' }, postgres: { version: 18 }, tls: { trustedProxies: ['10.0.0.0/8'] }, web: { port: 8123, workers: 3 } },
    {
      ingress: { className: 'nginx', host: 'atlas.example.com', tlsSecretName: 'atlas-tls', clusterIssuer: 'letsencrypt' },
      trustedProxies: ['10.0.0.0/8'],
      egress: [{ to: '203.0.113.25/32', ports: [587] }],
      autoscaling: { minReplicas: 2, maxReplicas: 5 },
      storage: { mediaAccessMode: 'ReadWriteOnce', className: 'standard', databaseSize: '20Gi' },
      webImage: `registry.example.com/atlas/atlas-web:2.1.0@sha256:${'a1'.repeat(32)}`,
      services: { redis: { runAsUser: 999, writablePaths: ['/data'] } },
    },
    (stack) => {
      const redis = stack.addService('redis', { image: 'redis:7.4-alpine', port: 6379, healthcheck: Healthcheck.command('redis-cli', 'ping') }).joins(stack.backNetwork);
      stack.web.dependsOn(redis, { healthy: true });
      stack.env.add('REDIS_URL', { description: 'Cache URL', value: redis.url('redis', 6379, '/0'), for: [stack.web] });
      const worker = stack.addService('worker', { image: stack.web.image, command: ['celery', '-A', 'Atlas', 'worker'] }).joins(stack.backNetwork);
      worker.dependsOn(stack.db!, { healthy: true });
      stack.env.share(stack.web, worker);
    }),
  (text) => text.replace(/^POSTGRES_PASSWORD='.*'$/m, "POSTGRES_PASSWORD=' p@ss $HOME #not-a-comment \\ end '")));
  // Uploads in an S3 bucket: no media claim; the bucket from the ConfigMap, the S3 user's keys (filled in .env
  // by the operator) from the Secret.
  runs.push(prepare('orbit', synthWithTarget(
    { ...TAU, django: { ...TAU.django, project: 'Orbit' }, media: { storage: 's3', bucket: 'orbit-media', endpoint: 'https://s3.eu-central-1.amazonaws.com', region: 'eu-central-1' } },
    { ...TAU_K8S, ingress: { className: 'nginx', host: 'orbit.example.com' } }),
  (text) => text.replace(/^MEDIA_S3_ACCESS_KEY_ID=.*$/m, "MEDIA_S3_ACCESS_KEY_ID='AKIAORBITEXAMPLE'")
    .replace(/^MEDIA_S3_SECRET_ACCESS_KEY=.*$/m, "MEDIA_S3_SECRET_ACCESS_KEY='orbit/secret+key'")));

  const script = runs.map((r) => ['bash', join(HERE, 'apply-base.sh'), r.dir, r.namespace, r.envFile, r.out, String(r.pods)]
    .map((a) => `'${a}'`).join(' ')).join(' && ');
  const result = spawnSync('bash', [join(HERE, 'with-apiserver.sh'), 'bash', '-c', script], {
    encoding: 'utf-8', env: { ...process.env, K8S_CONTROLLERS: '1' }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024,
  });
  log = `${result.stdout}${result.stderr}`;
  status = result.status ?? -1;
}, 600_000);

const recorded = (r: Applied): Obj[] => JSON.parse(readFileSync(join(r.out, 'objects.json'), 'utf-8')).items;
const events = (r: Applied): any[] => JSON.parse(readFileSync(join(r.out, 'events.json'), 'utf-8')).items;
const owned = (objects: Obj[], kind: string, owner: Obj) => objects.filter((o) => o.kind === kind
  && (o.metadata as any).ownerReferences?.some((ref: any) => ref.kind === owner.kind && ref.name === owner.metadata.name));

test('the API server accepts each base: the Secret from .env, a server-side dry run of -k, the apply, no drift', () => {
  expect({ status, log: status === 0 ? '' : log }).toEqual({ status: 0, log: '' });
  for (const r of runs) {
    expect(log).toContain(`ok - kubectl apply --server-side --dry-run=server -k ${r.dir}`);
    expect(log).toContain(`ok - kubectl apply --server-side -k ${r.dir}`);
    // docs/KUBERNETES.md's "migrations first": the selector picks the Job, the ConfigMap its pod reads and the
    // egress policy that lets it reach db, alone.
    const after = log.split(`-l 'app.kubernetes.io/component in (environment,migrations)' (migrations first)\n`)[runs.indexOf(r) + 1].split('\n');
    const applied = after.slice(0, after.findIndex((l) => /^(ok|FAIL) - /.test(l)));
    expect(applied).toEqual([
      expect.stringMatching(/^\s+configmap\/[a-z-]+-environment serverside-applied \(server dry run\)$/),
      expect.stringMatching(/^\s+job\.batch\/migrate-[0-9a-f]{8} serverside-applied \(server dry run\)$/),
      expect.stringMatching(/^\s+networkpolicy\.networking\.k8s\.io\/migrate-egress serverside-applied \(server dry run\)$/),
    ]);
    expect(log).toContain(`ok - kubectl diff --server-side -k ${r.dir}: no drift after the apply`);
  }
});

describe.each(['tau', 'atlas', 'orbit'])('%s', (which) => {
  const r = () => runs.find((x) => x.name === which)!;

  test('every object of the base is stored, in its namespace', () => {
    const stored = recorded(r()).map((o) => `${o.kind}/${o.metadata.name}`);
    for (const o of r().objects.filter((x) => x.kind !== 'Namespace')) expect(stored).toContain(`${o.kind}/${o.metadata.name}`);
  });

  test('the controllers make the workloads\' objects: ReplicaSets and their pods, the Job\'s pod, the StatefulSet\'s pod and claim', () => {
    const objects = recorded(r());
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const sets = owned(objects, 'ReplicaSet', d);
      expect({ deployment: d.metadata.name, replicaSets: sets.length }).toEqual({ deployment: d.metadata.name, replicaSets: 1 });
      expect(owned(objects, 'Pod', sets[0]).length).toBe(d.spec.replicas);
    }
    for (const job of objects.filter((o) => o.kind === 'Job')) expect(owned(objects, 'Pod', job).length).toBe(1);
    for (const sts of objects.filter((o) => o.kind === 'StatefulSet')) {
      expect(owned(objects, 'Pod', sts).map((p) => p.metadata.name)).toEqual([`${sts.metadata.name}-0`]);
      const claim = sts.spec.volumeClaimTemplates[0].metadata.name;
      expect(objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === `${claim}-${sts.metadata.name}-0`)).toBe(true);
    }
    expect(events(r()).filter((e) => e.reason === 'FailedCreate').map((e) => e.message)).toEqual([]);
  });

  test('no kubelet: every pod is Pending, on no node', () => {
    const pods = recorded(r()).filter((o) => o.kind === 'Pod');
    expect(pods.length).toBe(r().pods);
    expect([...new Set(pods.map((p) => `${(p as any).status.phase} ${(p as any).spec.nodeName ?? '(no node)'}`))]).toEqual(['Pending (no node)']);
  });

  test('the Secret holds exactly the secret variables of .env, unquoted, as the settings module reads them', () => {
    const secret = recorded(r()).find((o) => o.kind === 'Secret')!;
    const env = parseEnvFile(readFileSync(r().envFile, 'utf-8'));
    const data = Object.fromEntries(Object.entries((secret as any).data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf-8')]));
    // The default stack's four, and with s3 media the S3 user's two keys.
    expect(r().secrets.length).toBe(which === 'orbit' ? 6 : 4);
    expect(data).toEqual(Object.fromEntries(r().secrets.map((name) => [name, env[name]])));
  });
});

test('the awkward password reached the Secret as written', () => {
  const secret = recorded(runs[1]).find((o) => o.kind === 'Secret')!;
  expect(Buffer.from((secret as any).data.POSTGRES_PASSWORD, 'base64').toString('utf-8')).toBe(' p@ss $HOME #not-a-comment \\ end ');
});
