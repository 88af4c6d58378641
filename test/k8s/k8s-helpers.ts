import { spawnSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { DjangoStack, DjangoStackOptions, KubernetesTarget, KubernetesTargetOptions } from '../../src/internal';
import { addExtras, GeneratedStack, validStack } from '../helpers/arbitraries';
import { newStack, TAU } from '../helpers/synth';
import { pythonTool } from '../lib/python-env';
import { writeTestCa } from '../lib/test-ca';
import { run } from '../validators/tools';

/** A Kubernetes object as read back from YAML. */
export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };

/** The options .projenrc.ts gives the target for Tau (docs/KUBERNETES.md). */
export const TAU_K8S: KubernetesTargetOptions = { ingress: { className: 'nginx', host: 'tau.example.com' }, trustedProxies: ['10.244.0.0/16'] };

/** A 3-instance CloudNativePG Cluster archiving to a bucket, behind its Pooler. */
export const CNPG_K8S: KubernetesTargetOptions = {
  ...TAU_K8S,
  database: 'cloudnative-pg',
  cloudNativePg: {
    apiServer: { to: '10.0.0.10/32' },
    backup: { destinationPath: 's3://tau-backups/db', endpointUrl: 'http://s3.storage.svc:9000' },
  },
};

/** CNPG_K8S's Cluster made again from its bucket, to a moment, archiving into a folder of its own. */
export const CNPG_RECOVERY_K8S: KubernetesTargetOptions = {
  ...CNPG_K8S,
  cloudNativePg: {
    ...CNPG_K8S.cloudNativePg!,
    backup: { destinationPath: 's3://tau-backups/db', endpointUrl: 'http://s3.storage.svc:9000', serverName: 'db-2' },
    recovery: { from: 'db', targetTime: '2026-12-06T09:30:00Z' },
  },
};

/** A stack with the Kubernetes target, synthesized into a directory of its own. */
export function synthWithTarget(options: DjangoStackOptions = TAU, k8s: KubernetesTargetOptions = TAU_K8S,
  configure?: (stack: DjangoStack) => void): { stack: DjangoStack; target: KubernetesTarget; outdir: string } {
  const { project, stack, outdir } = newStack(options);
  const caFile = options.postgres?.external?.caFile;
  if (caFile) writeTestCa(outdir, caFile);
  configure?.(stack);
  const target = new KubernetesTarget(stack, k8s);
  project.synth();
  return { stack, target, outdir };
}

/** `kubectl kustomize DIR`: the base as kubectl apply -k sends it (offline). */
export function kustomize(dir: string): string {
  const r = run('kubectl', ['kustomize', dir]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return r.stdout;
}

export function parseObjects(text: string): Obj[] {
  return parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o && typeof o === 'object');
}

/** Every object of the base under `outdir/k8s`, rendered by kustomize. */
export function baseObjects(outdir: string): Obj[] {
  return parseObjects(kustomize(join(outdir, KubernetesTarget.DIR)));
}

/**
 * A Python tool of the test tools' virtualenv (test/tools/requirements.lock). TAU_K8S_TOOLS_BIN points at another
 * bin/ directory holding kubernetes-validate and checkov, for a machine whose tools lock does not have them yet.
 */
export function k8sTool(name: 'kubernetes-validate' | 'checkov'): string {
  const bin = process.env.TAU_K8S_TOOLS_BIN;
  return bin ? join(bin, name) : pythonTool(name);
}

/** The pinned Kubernetes release every manifest is checked against: the one the real API server is built from. */
export const KUBERNETES_RELEASE = '1.32.0';

/** kubernetes-validate --strict against the pinned release's OpenAPI schemas: unknown fields are errors. */
export function schemaProblems(file: string): string[] {
  const r = run(k8sTool('kubernetes-validate'), ['--strict', '-k', KUBERNETES_RELEASE, '--quiet', file]);
  return r.code === 0 ? [] : [`kubernetes-validate: ${(r.stdout + r.stderr).trim()}`];
}

/**
 * checkov's Kubernetes (or Dockerfile) checks over `files`, in one run, with nothing skipped but what the files
 * themselves skip, with a reason. Nothing is sent anywhere (--skip-download; this machine reaches no such service).
 */
export function checkovResults(files: string | readonly string[], framework: 'kubernetes' | 'dockerfile'): {
  failed: string[]; skipped: { id: string; reason: string; resource: string }[]; passed: number;
} {
  const list = typeof files === 'string' ? [files] : files;
  // Its JSON report quotes every scanned object's lines: far more than spawnSync's default buffer.
  const result = spawnSync(k8sTool('checkov'), ['--framework', framework, ...list.flatMap((f) => ['-f', f]), '--skip-download', '-o', 'json'],
    { encoding: 'utf-8', env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' }, maxBuffer: 512 * 1024 * 1024, timeout: 180_000 });
  if (result.error) throw result.error;
  const r = { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  let report: any;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`checkov gave no JSON (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  }
  const results = (Array.isArray(report) ? report[0] : report).results ?? {};
  return {
    failed: (results.failed_checks ?? []).map((c: any) => `${c.check_id} ${c.check_name}: ${c.resource} (${c.file_path})`),
    skipped: (results.skipped_checks ?? []).map((c: any) => ({ id: c.check_id, reason: String(c.check_result?.suppress_comment ?? ''), resource: c.resource })),
    passed: (results.passed_checks ?? []).length,
  };
}

// ---------------------------------------------------------------------------------------- semantics

const WORKLOADS = ['Deployment', 'StatefulSet', 'Job'];

function podTemplates(objects: readonly Obj[]): { owner: Obj; labels: Record<string, string>; spec: any }[] {
  return objects.filter((o) => WORKLOADS.includes(o.kind)).map((o) => ({ owner: o, labels: o.spec.template.metadata?.labels ?? {}, spec: o.spec.template.spec }));
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function ports(spec: any): { name?: string; containerPort: number }[] {
  return [...(spec.initContainers ?? []), ...spec.containers].flatMap((c: any) => c.ports ?? []);
}

function hasPort(spec: any, port: string | number): boolean {
  return ports(spec).some((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
}

const name = (o: Obj) => `${o.kind}/${o.metadata.name}`;

/**
 * What must hold between the objects of a base for it to work, beyond each object's schema: selectors match
 * their pods' labels, every Service targetPort and probe port is a port of the container, every reference
 * (ConfigMap key, Secret, claim, Service, scale target) resolves, every container is locked down, and every
 * variable the app reads reaches web. Empty when all hold.
 */
export function semanticProblems(objects: readonly Obj[], stack: DjangoStack, target: KubernetesTarget, outdir: string): string[] {
  const problems: string[] = [];
  const plan = target.plan;
  const templates = podTemplates(objects);
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  for (const o of objects) {
    if (o.kind !== 'Namespace' && o.metadata.namespace !== plan.namespace) problems.push(`${name(o)}: namespace ${o.metadata.namespace}, not ${plan.namespace}`);
  }
  for (const t of templates) {
    const selector = t.owner.kind === 'Job' ? undefined : t.owner.spec.selector?.matchLabels;
    if (t.owner.kind !== 'Job' && !selects(selector, t.labels)) problems.push(`${name(t.owner)}: selector ${JSON.stringify(selector)} does not match its pod labels`);
    const volumes = new Set([...(t.spec.volumes ?? []).map((v: any) => v.name), ...(t.owner.spec.volumeClaimTemplates ?? []).map((v: any) => v.metadata.name)]);
    for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers]) {
      const where = `${name(t.owner)} container ${c.name}`;
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${where}: mounts ${m.name}, which the pod does not have`);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const p = c[probe];
        const port = p?.httpGet?.port ?? p?.tcpSocket?.port;
        if (port !== undefined && !(c.ports ?? []).some((x: any) => (typeof port === 'number' ? x.containerPort === port : x.name === port))) {
          problems.push(`${where}: ${probe} on port ${port}, which the container does not declare`);
        }
      }
      const sc = c.securityContext ?? {};
      const pod = t.spec.securityContext ?? {};
      if (!(sc.runAsNonRoot ?? pod.runAsNonRoot) || !((sc.runAsUser ?? pod.runAsUser) > 0)) problems.push(`${where}: not a numeric non-root user`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem not read-only`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: privilege escalation not off`);
      if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]' || sc.capabilities?.add) problems.push(`${where}: capabilities not dropped (ALL)`);
      if (!c.resources?.requests?.cpu || !c.resources?.limits?.memory) problems.push(`${where}: no requests and limits`);
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        if (cm) {
          const map = byKind('ConfigMap').find((m) => m.metadata.name === cm.name);
          if (!map || !(cm.key in (map.data ?? {}))) problems.push(`${where}: ${e.name} from ConfigMap ${cm.name} key ${cm.key}, which the base does not have`);
        }
        const secret = e.valueFrom?.secretKeyRef;
        if (secret) {
          const v = stack.env.get(secret.key);
          if (secret.name !== plan.secretName || !v?.secret) problems.push(`${where}: ${e.name} from Secret ${secret.name} key ${secret.key}, which create-secret.sh does not make`);
        }
        if (e.value !== undefined && stack.env.get(e.name)?.secret && c.name !== 'collectstatic') problems.push(`${where}: the secret ${e.name} is written in the manifest`);
      }
    }
    for (const v of t.spec.volumes ?? []) {
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim && !byKind('PersistentVolumeClaim').some((p) => p.metadata.name === claim)) problems.push(`${name(t.owner)}: claim ${claim} is not in the base`);
      const cm = v.configMap?.name;
      if (cm && !byKind('ConfigMap').some((p) => p.metadata.name === cm)) problems.push(`${name(t.owner)}: ConfigMap ${cm} is not in the base`);
    }
  }

  for (const s of byKind('Service')) {
    const selected = templates.filter((t) => selects(s.spec.selector, t.labels));
    if (selected.length === 0) problems.push(`${name(s)}: its selector matches no pod`);
    for (const p of s.spec.ports ?? []) {
      for (const t of selected) {
        if (!hasPort(t.spec, p.targetPort ?? p.port)) problems.push(`${name(s)}: targetPort ${p.targetPort} is not a containerPort of ${name(t.owner)}`);
      }
    }
  }
  for (const sts of byKind('StatefulSet')) {
    const svc = byKind('Service').find((s) => s.metadata.name === sts.spec.serviceName);
    if (!svc || svc.spec.clusterIP !== 'None') problems.push(`${name(sts)}: serviceName ${sts.spec.serviceName} is not a headless Service of the base`);
  }
  for (const pdb of byKind('PodDisruptionBudget')) {
    if (!templates.some((t) => selects(pdb.spec.selector?.matchLabels, t.labels))) problems.push(`${name(pdb)}: selects no pod`);
  }
  for (const np of byKind('NetworkPolicy')) {
    const podSelector = np.spec.podSelector?.matchLabels;
    if (podSelector === undefined || Object.keys(podSelector).length === 0) continue;
    const selected = templates.filter((t) => selects(podSelector, t.labels));
    if (selected.length === 0) problems.push(`${name(np)}: selects no pod`);
    for (const rule of np.spec.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        if (!templates.some((t) => selects(peer.podSelector?.matchLabels, t.labels))) problems.push(`${name(np)}: a peer selects no pod`);
      }
      for (const p of rule.ports ?? []) for (const t of selected) if (!hasPort(t.spec, p.port)) problems.push(`${name(np)}: port ${p.port} is not a port of ${name(t.owner)}`);
    }
    for (const rule of np.spec.egress ?? []) {
      for (const peer of rule.to ?? []) {
        if (peer.namespaceSelector || peer.ipBlock) continue;
        const servers = templates.filter((t) => selects(peer.podSelector?.matchLabels, t.labels));
        if (servers.length === 0) problems.push(`${name(np)}: an egress peer selects no pod`);
        for (const p of rule.ports ?? []) for (const t of servers) if (!hasPort(t.spec, p.port)) problems.push(`${name(np)}: egress port ${p.port} is not a port of ${name(t.owner)}`);
      }
    }
  }
  // Every connection an ingress policy lets in, its client's egress policies let out (by the server's pod port).
  const egressOf = (labels: Record<string, string>) => byKind('NetworkPolicy')
    .filter((np) => np.spec.policyTypes?.includes('Egress') && selects(np.spec.podSelector?.matchLabels ?? {}, labels))
    .flatMap((np) => np.spec.egress ?? []);
  for (const np of byKind('NetworkPolicy')) {
    for (const rule of np.spec.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        for (const client of templates.filter((t) => selects(peer.podSelector?.matchLabels, t.labels))) {
          for (const server of templates.filter((t) => selects(np.spec.podSelector?.matchLabels ?? {}, t.labels))) {
            const wanted = (rule.ports ?? []).map((p: any) => (typeof p.port === 'number' ? p.port : ports(server.spec).find((x: any) => x.name === p.port)?.containerPort));
            const out = egressOf(client.labels).some((e: any) => (e.to ?? [{}]).some((to: any) => !to.podSelector || selects(to.podSelector.matchLabels, server.labels))
              && wanted.every((port: number) => (e.ports ?? []).some((p: any) => p.port === port)));
            if (!out) problems.push(`${name(np)}: lets ${name(client.owner)} in on ${wanted.join(', ')}, but no egress policy lets it out`);
          }
        }
      }
    }
  }
  for (const ing of byKind('Ingress')) {
    for (const rule of ing.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        const svc = byKind('Service').find((s) => s.metadata.name === backend.name);
        if (!svc || !(svc.spec.ports ?? []).some((p: any) => p.name === backend.port.name || p.port === backend.port.number)) {
          problems.push(`${name(ing)}: backend ${backend.name}:${backend.port.name ?? backend.port.number} is not a Service port of the base`);
        }
      }
    }
  }
  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const ref = hpa.spec.scaleTargetRef;
    const scaled = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    if (!scaled) problems.push(`${name(hpa)}: scales ${ref.kind}/${ref.name}, which is not in the base`);
    else if (scaled.spec.replicas !== undefined) problems.push(`${name(hpa)}: ${ref.kind}/${ref.name} sets replicas, which each apply would reset`);
  }

  // nginx proxies to the web Service, by its name in the namespace, on the Service's port.
  const site = byKind('ConfigMap').find((m) => m.metadata.name === plan.nginxConfigMapName);
  const upstream = /set \$\w+ http:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.[a-z0-9.-]+:(\d+);/.exec(Object.values(site?.data ?? {}).join('\n'));
  if (!upstream) {
    problems.push('nginx site: no upstream by a Service\'s cluster name');
  } else {
    const svc = byKind('Service').find((s) => s.metadata.name === upstream[1]);
    if (!svc || upstream[2] !== plan.namespace || !(svc.spec.ports ?? []).some((p: any) => p.port === Number(upstream[3]))) {
      problems.push(`nginx site: upstream ${upstream[1]}.${upstream[2]}:${upstream[3]} is not a Service port of the base`);
    }
  }

  // Every variable the app reads reaches the web container: the settings module's, and every one the model gives web.
  // The settings module reads the owner role's only when web's runtime role is not set: web gets web's role and
  // never the owner's, the migrations Job the owner's.
  const env = (container: any) => new Set<string>((container?.env ?? []).map((e: any) => e.name));
  const webEnv = env(templates.find((t) => t.owner.kind === 'Deployment' && t.owner.metadata.name === stack.web.name)?.spec.containers[0]);
  const jobEnv = env(templates.find((t) => t.owner.kind === 'Job')?.spec.containers[0]);
  const owner = [stack.postgres.env.user.name, stack.postgres.env.password.name];
  const settings = readFileSync(join(outdir, stack.djangoProject, 'settings_env.py'), 'utf-8');
  const read = [...settings.matchAll(/_(?:str|bool|list|int)\("([A-Z][A-Z0-9_]*)"/g)].map((m) => m[1]).filter((v) => !owner.includes(v));
  for (const v of new Set([...read, ...stack.env.forService(stack.web).map((x) => x.name)])) {
    if (!webEnv.has(v)) problems.push(`web container: the app reads ${v}, which does not reach it`);
  }
  for (const v of owner) {
    if (webEnv.has(v)) problems.push(`web container: gets ${v}, the database owner's`);
    if (!jobEnv.has(v)) problems.push(`migrations Job: the database owner's ${v} does not reach it`);
  }
  return problems;
}

/** No `.env` under the base, and no secret value of `.env` in any file of it. */
export function secretLeaks(outdir: string, stack: DjangoStack): string[] {
  const problems: string[] = [];
  const dir = join(outdir, KubernetesTarget.DIR);
  const files = run('find', [dir, '-type', 'f']).stdout.trim().split('\n').filter(Boolean);
  if (files.some((f) => /(^|\/)\.env/.test(f.slice(dir.length)))) problems.push(`an env file in ${KubernetesTarget.DIR}/`);
  const envPath = join(outdir, stack.envFile);
  if (!existsSync(envPath)) return problems;
  const secrets = [...readFileSync(envPath, 'utf-8').matchAll(/^([A-Z_]+)='(.+)'$/gm)]
    .filter((m) => stack.env.get(m[1])?.secret).map((m) => m[2]);
  for (const f of files) {
    const text = readFileSync(f, 'utf-8');
    for (const s of secrets) if (text.includes(s)) problems.push(`${f}: holds a secret value of ${stack.envFile}`);
  }
  return problems;
}

// ------------------------------------------------------------------------------------- generated stacks

/** The target's options the generated stacks run with: replicas, autoscaling, storage, an external database, TLS at the ingress. */
export const k8sOptions = (g: GeneratedStack): fc.Arbitrary<KubernetesTargetOptions> => fc.record({
  replicas: fc.integer({ min: 1, max: 4 }),
  autoscale: fc.boolean(),
  proxyReplicas: fc.integer({ min: 1, max: 3 }),
  mediaAccessMode: fc.constantFrom<'ReadWriteMany' | 'ReadWriteOnce'>('ReadWriteMany', 'ReadWriteOnce'),
  storageClass: fc.option(fc.constantFrom('standard', 'nfs-client'), { nil: undefined }),
  // The database: the stack's own StatefulSet, or one outside the cluster named by the target (externalDatabase).
  external: fc.boolean(),
  host: fc.option(fc.constantFrom('tau.example.com', 'api.shop.example.org'), { nil: undefined }),
  registry: fc.boolean(),
  podNetwork: fc.constantFrom(['10.244.0.0/16'], ['192.168.0.0/16'], ['10.42.0.0/16', 'fd00:10:244::/56']),
  egress: fc.option(fc.constant([{ to: '203.0.113.25/32', ports: [587] }]), { nil: undefined }),
}).map((k) => ({
  replicas: k.replicas,
  proxyReplicas: k.proxyReplicas,
  ...(k.autoscale ? { autoscaling: { maxReplicas: k.replicas + 3 } } : {}),
  storage: { mediaAccessMode: k.mediaAccessMode, ...(k.storageClass ? { className: k.storageClass } : {}) },
  ...(k.external ? { externalDatabase: { host: 'db.internal.example.com' } } : {}),
  ingress: k.host ? { className: 'nginx', host: k.host, ...(g.options.tls ? { tlsSecretName: 'site-tls' } : {}) } : {},
  trustedProxies: k.podNetwork,
  ...(k.egress ? { egress: k.egress } : {}),
  ...(k.registry ? { webImage: `registry.example.com/team/${String(g.options.django.project).toLowerCase().replace(/_/g, '-')}-web:1.0.0@sha256:${'5e'.repeat(32)}` } : {}),
  // The images of the generated extra services: redis and memcached run as their own users; redis writes /data.
  services: Object.fromEntries(g.extras.filter((e) => e.kind !== 'worker').map((e) => [e.name,
    e.kind === 'redis' ? { runAsUser: 999, writablePaths: ['/data'] } : { runAsUser: 11211 }])),
}));

/**
 * The connections web's pools may take on the cluster, as a user would size the database for them: each pod
 * (the most the target runs, and a rollout's extra one) × its workers × (a pool of 2 and the health check's
 * own connection), plus the reserve; PostgreSQL's default 100 when that is enough.
 */
function maxConnectionsFor(g: GeneratedStack, k8s: KubernetesTargetOptions): number | undefined {
  const pods = (k8s.autoscaling?.maxReplicas ?? k8s.replicas ?? 2) + 1;
  const needed = pods * (g.options.web?.workers ?? 2) * 3 + 10;
  return needed > 100 ? needed : g.options.postgres?.maxConnections;
}

/** A generated stack with its extras and Kubernetes options. */
export const validKubernetesStack = validStack.chain((g) => fc.tuple(k8sOptions(g), fc.boolean()).map(([k8s, external]) => {
  const maxConnections = maxConnectionsFor(g, k8s);
  return external && !k8s.externalDatabase
    // Or a database outside the stack itself (postgres.external), verified against a CA file of the repository.
    ? { ...g, options: { ...g.options, postgres: { external: { caFile: 'postgres/ca.pem', host: 'db.internal.example.com' }, maxConnections } }, k8s }
    : { ...g, options: { ...g.options, postgres: { ...g.options.postgres, maxConnections } }, k8s };
}));

export function synthGenerated(g: GeneratedStack & { k8s: KubernetesTargetOptions }) {
  return synthWithTarget(g.options, g.k8s, (stack) => addExtras(stack, g.extras));
}

/** How many pods the controllers make for a base: replicas of each workload, one per Job. */
export function expectedPods(objects: readonly Obj[]): number {
  return objects.reduce((n, o) => {
    if (o.kind === 'Job') return n + 1;
    if (o.kind === 'StatefulSet') return n + (o.spec.replicas ?? 1);
    if (o.kind !== 'Deployment') return n;
    // Without replicas (an autoscaled Deployment), the API server's default of 1 until the autoscaler acts.
    return n + (o.spec.replicas ?? 1);
  }, 0);
}
