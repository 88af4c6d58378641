import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { cleanTempDirs, tempDir, TAU } from '../helpers/synth';
import { parseEnvFile } from '../lib/env-file';
import { baseObjects, CNPG_K8S, CNPG_RECOVERY_K8S, expectedPods, Obj, synthWithTarget } from './k8s-helpers';

/**
 * A cloudnative-pg base against the real kube-apiserver of test/k8s/with-apiserver.sh, with CloudNativePG's own
 * CustomResourceDefinitions at the release the objects are written for (test/k8s/cnpg-crds.sh: config/crd/bases of
 * the operator's module, from the Go module proxy). The CRDs' OpenAPI schemas judge every field of the Cluster,
 * Pooler and ScheduledBackup: a misspelt or misplaced field is refused by the server-side dry run (fields are
 * pruned or refused under the strict field validation kubectl asks for). Then the same steps as any base
 * (test/k8s/apply-base.sh). No operator runs here: that the objects work is test/k8s/cluster-cnpg.sh's part.
 */

afterAll(cleanTempDirs);

const HERE = __dirname;
let log = '';
let status = -1;
let out = '';
let objects: Obj[] = [];
let envFile = '';
let recovery: Obj | undefined;
const CRDS = ['clusters', 'poolers', 'scheduledbackups'].map((k) => `crd/${k}.postgresql.cnpg.io`).join(' ');

beforeAll(() => {
  const synth = synthWithTarget(TAU, CNPG_K8S);
  const { stack, target, outdir } = synth;
  objects = baseObjects(outdir);
  envFile = join(outdir, stack.envFile);
  out = join(tempDir(), 'cnpg');
  mkdirSync(out);
  const crds = spawnSync('bash', [join(HERE, 'cnpg-crds.sh')], { encoding: 'utf-8', timeout: 300_000 });
  if (crds.status !== 0) throw new Error(`cnpg-crds.sh failed: ${crds.stderr}`);
  // The same base made again from its bucket (recovery): its Cluster, judged by the schema in a dry run over the stored one.
  const recoveryDir = synthWithTarget(TAU, CNPG_RECOVERY_K8S).outdir;
  const recoveryFile = join(recoveryDir, 'k8s', 'database.yaml');
  recovery = baseObjects(recoveryDir).find((o) => o.kind === 'Cluster');
  const script = [
    `kubectl apply --server-side -f '${crds.stdout.trim()}' >/dev/null`,
    // kubectl wait fails on an object without conditions yet (a CRD just created): until each has some.
    `for i in $(seq 60); do [ "$(kubectl get ${CRDS} -o jsonpath='{range .items[*]}{.status.conditions[0].type}{" "}{end}' | wc -w)" = 3 ] && break; sleep 1; done`,
    `kubectl wait --for=condition=Established --timeout=60s ${CRDS}`,
    `bash '${join(HERE, 'apply-base.sh')}' '${join(outdir, 'k8s')}' '${target.plan.namespace}' '${envFile}' '${out}' ${expectedPods(objects)}`,
    `kubectl -n '${target.plan.namespace}' get clusters.postgresql.cnpg.io,poolers.postgresql.cnpg.io,scheduledbackups.postgresql.cnpg.io -o json >'${out}/cnpg.json'`,
    `kubectl apply --server-side --dry-run=server --validate=strict -o json -f '${recoveryFile}' >'${out}/recovery.json'`,
  ].join(' && ');
  const result = spawnSync('bash', [join(HERE, 'with-apiserver.sh'), 'bash', '-c', script], {
    encoding: 'utf-8', env: { ...process.env, K8S_CONTROLLERS: '1' }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024,
  });
  log = `${result.stdout}${result.stderr}`;
  status = result.status ?? -1;
}, 600_000);

test('with the CRDs of CloudNativePG v1.29.0, the API server accepts the base: dry run, apply, no drift', () => {
  expect({ status, log: status === 0 ? '' : log }).toEqual({ status: 0, log: '' });
  expect(log.match(/^customresourcedefinition\.apiextensions\.k8s\.io\/\S+ condition met$/gm)).toHaveLength(3);
  expect(log).toMatch(/ok - kubectl apply --server-side --dry-run=server -k \S+\n(.*\n)*\s+cluster\.postgresql\.cnpg\.io\/db serverside-applied \(server dry run\)/);
  expect(log).toMatch(/\s+pooler\.postgresql\.cnpg\.io\/db-pooler-rw serverside-applied \(server dry run\)/);
  expect(log).toMatch(/\s+scheduledbackup\.postgresql\.cnpg\.io\/db-daily serverside-applied \(server dry run\)/);
  expect(log).toContain('ok - kubectl diff --server-side -k');
});

test('every CloudNativePG object is stored as generated: no field pruned by the schemas', () => {
  const stored: Obj[] = JSON.parse(readFileSync(join(out, 'cnpg.json'), 'utf-8')).items;
  const generated = objects.filter((o) => o.apiVersion === 'postgresql.cnpg.io/v1');
  expect(stored.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(generated.map((o) => `${o.kind}/${o.metadata.name}`).sort());
  for (const g of generated) {
    const s = stored.find((o) => o.kind === g.kind && o.metadata.name === g.metadata.name)!;
    // The server adds defaults of its schema, never drops what was sent.
    expect(s.spec).toMatchObject(g.spec);
  }
});

test('a Cluster made from the bucket (recovery, to a moment) passes the same schema: nothing pruned', () => {
  const items: Obj[] = JSON.parse(readFileSync(join(out, 'recovery.json'), 'utf-8')).items;
  const stored = items.find((o) => o.kind === 'Cluster')!;
  expect(stored.spec.bootstrap).toEqual(recovery!.spec.bootstrap);
  expect(stored.spec).toMatchObject(recovery!.spec);
});

test("create-secret.sh made the roles' basic-auth Secrets the Cluster reads, with .env's passwords", () => {
  const recorded: Obj[] = JSON.parse(readFileSync(join(out, 'objects.json'), 'utf-8')).items;
  const env = parseEnvFile(readFileSync(envFile, 'utf-8'));
  const secret = (name: string) => recorded.find((o) => o.kind === 'Secret' && o.metadata.name === name) as any;
  const decoded = (name: string) => Object.fromEntries(Object.entries(secret(name).data as Record<string, string>)
    .map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf-8')]));
  for (const [name, user, password] of [['db-app', 'tau', 'POSTGRES_APP_PASSWORD'], ['db-web', 'tau_web', 'POSTGRES_WEB_PASSWORD']]) {
    expect(secret(name)?.type).toBe('kubernetes.io/basic-auth');
    expect(decoded(name)).toEqual({ username: user, password: env[password] });
  }
  // The superuser's password is not needed in the cluster: the stack's Secret leaves it out.
  expect(Object.keys(decoded('tau-secrets'))).not.toContain('POSTGRES_PASSWORD');
});
