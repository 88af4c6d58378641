import { Healthcheck, Service, VolumeMount as ModelMount } from '../model';
import { PGDATA } from '../postgres';
import {
  Container, Deployment, EnvVar as K8sEnvVar, Job, PodSpec, PodTemplateSpec, Probe, StatefulSet, Volume, VolumeMount,
} from './k8s-types';
import { dnsLabel, k8sName, KubernetesPlan } from './kubernetes-plan';

/** A checkov check skipped on one object, with the reason; written as `checkov.io/skipN` annotations. */
export interface CheckovSkip {
  readonly id: string;
  readonly reason: string;
}

/** The checkov annotations of an object: one `checkov.io/skipN: ID=reason` each. */
export function skipAnnotations(skips: readonly CheckovSkip[]): Record<string, string> {
  return Object.fromEntries(skips.map((s, i) => [`checkov.io/skip${i + 1}`, `${s.id}=${s.reason}`]));
}

/**
 * Checks skipped for a service's pods, each because the model cannot meet it for a reason given here (and in
 * the manifest): nothing else is skipped, and the tests run checkov with no skip of their own.
 */
export function checkovSkips(plan: KubernetesPlan, service: Service): CheckovSkip[] {
  const skips: CheckovSkip[] = [
    // The settings module reads its secrets from the environment (12-factor); files would need a second way
    // of reading each of them, in the app and in the images of the stack (postgres reads POSTGRES_PASSWORD).
    ...(plan.stack.env.forService(service).some((v) => v.secret)
      ? [{ id: 'CKV_K8S_35', reason: 'the app and the postgres image read their secrets from environment variables' }] : []),
  ];
  const images = [plan.image(service), ...(plan.role(service) === 'proxy' ? [plan.webImage] : [])];
  if (images.some((ref) => !ref.includes('@sha256:'))) {
    skips.push({ id: 'CKV_K8S_43', reason: 'images are pinned by tag in .projenrc.ts; give an image@sha256 reference to pin a digest' });
  }
  const uid = plan.uid(service);
  if (uid !== undefined && uid < 10000) {
    skips.push({ id: 'CKV_K8S_40', reason: `runs as its image's own user ${uid}, which owns its data files` });
  }
  const pullPolicies = [plan.pullPolicy(service), ...(plan.role(service) === 'proxy' ? [plan.pullPolicy(plan.stack.web)] : [])];
  if (pullPolicies.some((p) => p !== 'Always')) {
    skips.push({ id: 'CKV_K8S_15', reason: 'the default local web image is loaded into the cluster by hand, never pulled; set webImage to pull from a registry' });
  }
  if (plan.role(service) !== 'task' && service.port === undefined && !service.healthcheck) {
    const reason = 'the service listens on no port and the model gives it no healthcheck to probe';
    skips.push({ id: 'CKV_K8S_8', reason }, { id: 'CKV_K8S_9', reason });
  }
  return skips;
}

function seconds(d: { toSeconds(): number }): number {
  return Math.max(1, d.toSeconds());
}

/** The model's healthcheck as a probe handler: the program, or the script under `sh -c` (the container's shell expands `${NAME}`). */
function execHandler(healthcheck: Healthcheck): Probe {
  const probe = healthcheck.probe;
  return { exec: { command: probe.kind === 'command' ? [...probe.argv] : ['sh', '-c', probe.script] } };
}

/**
 * Readiness: may the pod get traffic? The model's healthcheck says it (web's health path answers 200 only
 * when the database does). Liveness: must the container be restarted? Only when its process stops answering
 * on its port: never because of another service, so a database outage takes web pods out of the Service but
 * restarts none. Startup: the liveness check, given the healthcheck's start period.
 */
function probes(plan: KubernetesPlan, service: Service): Pick<Container, 'startupProbe' | 'readinessProbe' | 'livenessProbe'> {
  const port = service.port === undefined ? undefined : plan.portName(service);
  const hc = service.healthcheck;
  const timing = hc
    ? { periodSeconds: seconds(hc.interval), timeoutSeconds: seconds(hc.timeout), failureThreshold: hc.retries }
    : { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 };
  const readiness: Probe | undefined = plan.role(service) === 'web' && port
    ? { httpGet: { path: plan.stack.healthPath, port } }
    : hc ? execHandler(hc) : port ? { tcpSocket: { port } } : undefined;
  const liveness: Probe | undefined = port ? { tcpSocket: { port } } : hc ? execHandler(hc) : undefined;
  if (!readiness || !liveness) return {};
  const startPeriod = hc ? hc.startPeriod.toSeconds() : 0;
  return {
    ...(startPeriod > 0
      ? { startupProbe: { ...liveness, periodSeconds: timing.periodSeconds, timeoutSeconds: timing.timeoutSeconds,
        failureThreshold: Math.ceil(startPeriod / timing.periodSeconds) + timing.failureThreshold } }
      : {}),
    readinessProbe: { ...readiness, ...timing },
    livenessProbe: { ...liveness, ...timing },
  };
}

/** How long web and nginx pods keep serving after they are told to stop (their preStop sleep). */
const DRAIN_SECONDS = 10;

/** A variable from the Secret (secrets) or the ConfigMap (the rest): each container gets exactly what it reads. */
function envVars(plan: KubernetesPlan, service: Service): K8sEnvVar[] {
  const vars: K8sEnvVar[] = plan.stack.env.forService(service).map((v) => ({
    name: v.name,
    valueFrom: v.secret
      ? { secretKeyRef: { name: plan.secretName, key: v.name } }
      : { configMapKeyRef: { name: plan.configMapName, key: v.name } },
  }));
  // Behind PgBouncer in transaction mode, a server-side cursor or a prepared statement would be looked for on
  // another server connection than the one that made it: the settings turn both off. Fixed by the database
  // mode, not a value an operator tunes: no ConfigMap entry.
  const pooler = plan.stack.transactionPoolerVariable;
  if (plan.cnpg && pooler && plan.databaseClients.includes(service)) {
    vars.push({ name: pooler, value: 'true' });
  }
  return vars;
}

/**
 * PGDATA below the mount: a fresh PersistentVolume's root is not empty (lost+found), and the postgres image
 * refuses to initialise a non-empty directory. From 18 on the image's PGDATA, /var/lib/postgresql/<major>/docker,
 * is below the mount (/var/lib/postgresql) already.
 */
export function postgresPgdata(version: number, mountPath: string): string | undefined {
  return version >= 18 ? undefined : `${mountPath}/pgdata`;
}

/** The service's kernel settings, and for an unprivileged proxy, the one that lets it bind the model's port below 1024. */
function sysctls(plan: KubernetesPlan, service: Service): { name: string; value: string }[] {
  return [
    ...Object.entries(service.sysctls).map(([name, value]) => ({ name, value })),
    ...(plan.role(service) === 'proxy' && (service.port ?? 1024) < 1024 ? [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] : []),
  ];
}

function securityContext() {
  return {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' as const },
  };
}

function resources(r: { cpu: string; memory: string; cpuLimit: string; memoryLimit: string }) {
  return { requests: { cpu: r.cpu, memory: r.memory }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } };
}

/** The pod volume a model mount becomes. */
function volumeFor(plan: KubernetesPlan, mount: ModelMount): Volume {
  const name = k8sName(mount.volume.name);
  if (mount.volume === plan.stack.staticFiles.volume) return { name, emptyDir: {} };
  return { name, persistentVolumeClaim: { claimName: name, ...(mount.readOnly ? { readOnly: true } : {}) } };
}

function writableVolumeName(path: string): string {
  return dnsLabel(`scratch${path}`);
}

/** A service's one container, its pod's volumes, and what the pod adds (nginx's static files). */
function podTemplate(plan: KubernetesPlan, service: Service, options: { stateful?: boolean } = {}): PodTemplateSpec {
  const uid = plan.uid(service)!;
  const mounts = plan.mounts(service);
  const volumes: Volume[] = [];
  const volumeMounts: VolumeMount[] = [];
  for (const m of mounts) {
    // The StatefulSet's claim template provides PostgreSQL's data.
    if (!(options.stateful && m.volume === plan.stack.dbData)) volumes.push(volumeFor(plan, m));
    volumeMounts.push({ name: k8sName(m.volume.name), mountPath: m.path, ...(m.readOnly ? { readOnly: true } : {}) });
  }
  for (const path of plan.writablePaths(service)) {
    volumes.push({ name: writableVolumeName(path), emptyDir: { sizeLimit: '256Mi' } });
    volumeMounts.push({ name: writableVolumeName(path), mountPath: path });
  }
  const env = envVars(plan, service);
  if (plan.role(service) === 'database' && plan.stack.dbData) {
    const pgdata = postgresPgdata(plan.stack.postgresVersion, service.mountPathOf(plan.stack.dbData)!);
    if (pgdata) env.push({ name: PGDATA, value: pgdata });
  }

  const files = plan.repositoryFiles(service);
  if (files.length > 0) {
    // The repository's files the service mounts, from its ConfigMap, each at its own path; executable, as in the repository.
    volumes.push({ name: 'files', configMap: { name: plan.filesConfigMapName(service), defaultMode: 0o555 } });
    for (const f of files) volumeMounts.push({ name: 'files', mountPath: f.mount.path, subPath: f.key, readOnly: true });
  }

  const initContainers: Container[] = [];
  if (plan.role(service) === 'proxy') {
    // nginx's config, from the ConfigMap, where the official image includes it.
    const conf = plan.nginxConf;
    if (conf) {
      const slash = conf.path.lastIndexOf('/');
      volumes.push({ name: 'site', configMap: { name: plan.nginxConfigMapName, items: [{ key: conf.path.slice(slash + 1), path: conf.path.slice(slash + 1) }] } });
      volumeMounts.push({ name: 'site', mountPath: conf.path.slice(0, slash), readOnly: true });
    }
    initContainers.push(collectStatic(plan));
  }
  if (plan.role(service) === 'web' && plan.services.some((s) => plan.role(s) === 'task' && plan.runsWebImage(s))) {
    initContainers.push(waitForMigrations(plan, env));
  }

  const stopGrace = service.stopGracePeriod?.toSeconds();
  // Long-running servers keep taking requests for a while after they are told to stop, while the endpoint
  // removal reaches every proxy; then the server gets its own grace period. 5 s was not enough on a busy node:
  // a rollout restart under load got 502s from connections kube-proxy still sent to a pod that had closed.
  const drain = plan.role(service) === 'web' || plan.role(service) === 'proxy' ? DRAIN_SECONDS : 0;
  const container: Container = {
    name: service.name,
    image: plan.image(service),
    imagePullPolicy: plan.pullPolicy(service),
    // The model's command replaces the image's CMD, as compose's does; the image's ENTRYPOINT stays.
    ...(service.entrypoint ? { command: [...service.entrypoint] } : {}),
    ...(plan.args(service) ? { args: [...plan.args(service)!] } : {}),
    ...(service.port !== undefined ? { ports: [
      { name: plan.portName(service), containerPort: service.port, protocol: 'TCP' as const },
      // Web's second port: its metrics, which no Service exposes; a scraper connects to each pod.
      ...(service === plan.stack.web ? [{ name: plan.metrics.portName, containerPort: plan.metrics.port, protocol: 'TCP' as const }] : []),
    ] } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(volumeMounts.length > 0 ? { volumeMounts } : {}),
    resources: resources(plan.resources(service)),
    securityContext: securityContext(),
    ...probes(plan, service),
    ...(drain > 0 ? { lifecycle: { preStop: { sleep: { seconds: drain } } } } : {}),
  };

  const affinity = plan.colocatedClaims(service);
  const users = [...new Set(affinity.flatMap((c) => c.users))];
  const spec: PodSpec = {
    // No pod talks to the Kubernetes API.
    automountServiceAccountToken: false,
    // No FOO_PORT=tcp://... variables for every Service: they would shadow variables of the stack (a Service
    // named "postgres" sets POSTGRES_PORT) and nothing reads them.
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      // Volumes are made writable for the pod's group.
      fsGroup: uid,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
      ...(sysctls(plan, service).length > 0 ? { sysctls: sysctls(plan, service) } : {}),
    },
    ...(stopGrace !== undefined || drain > 0 ? { terminationGracePeriodSeconds: (stopGrace ?? 30) + drain } : {}),
    ...(users.length > 0
      ? {
        // A ReadWriteOnce claim mounted by several pods attaches to one node: every pod that mounts it goes there.
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{
              labelSelector: {
                matchLabels: { 'app.kubernetes.io/part-of': plan.selector(service)['app.kubernetes.io/part-of'] },
                matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: users.map((u) => u.name) }],
              },
              topologyKey: 'kubernetes.io/hostname',
            }],
          },
        },
      }
      : {}),
    ...(initContainers.length > 0 ? { initContainers } : {}),
    containers: [container],
    ...(volumes.length > 0 ? { volumes } : {}),
  };
  return { metadata: { labels: plan.labels(service) }, spec };
}

/**
 * nginx serves the static files from an emptyDir of its own pod that this init container fills: Django's
 * collectstatic, run from the same web image the cluster runs, writing to STATIC_ROOT. So the files nginx
 * serves come from exactly the image version of its pod spec, with no ReadWriteMany volume and no second
 * image to build. collectstatic reads no secret and opens no database connection, but the settings module
 * requires the secret variables to be set: they get a placeholder, so nginx's pod never holds a secret.
 */
function collectStatic(plan: KubernetesPlan): Container {
  const web = plan.stack.web;
  const staticRoot = web.mountPathOf(plan.stack.staticFiles.volume)!;
  const env: K8sEnvVar[] = plan.stack.env.forService(web).map((v) => (v.secret
    ? { name: v.name, value: 'collectstatic-reads-no-secret' }
    : { name: v.name, valueFrom: { configMapKeyRef: { name: plan.configMapName, key: v.name } } }));
  return {
    name: 'collectstatic',
    image: plan.webImage,
    imagePullPolicy: plan.pullPolicy(web),
    // Straight to Django: the image's entrypoint would wait for the database, which nginx's pod may not reach.
    command: ['python', 'manage.py', 'collectstatic', '--noinput'],
    env,
    volumeMounts: [
      { name: k8sName(plan.stack.staticFiles.volume.name), mountPath: staticRoot },
      { name: writableVolumeName('/tmp'), mountPath: '/tmp' },
    ],
    resources: resources(plan.collectStaticResources),
    securityContext: { ...securityContext(), runAsUser: plan.stack.webUser.uid, runAsGroup: plan.stack.webUser.uid },
  };
}

/**
 * The longest the migrations Job may run, retries included, before Kubernetes stops it and marks it failed: a
 * migration stuck on a lock or a database that never comes does not hang the deploy (docs/KUBERNETES.md waits
 * as long for it).
 */
export const MIGRATIONS_DEADLINE_SECONDS = 600;

/**
 * How long a new web pod waits for the migrations of its image: as long as the migrations Job may run, plus a
 * minute for the Job's pod to start. Then the init container fails with the reason, and the kubelet retries it.
 */
export const MIGRATIONS_WAIT_SECONDS = MIGRATIONS_DEADLINE_SECONDS + 60;

/**
 * Web serves no request before the database has every migration of its own image: Django's `migrate --check`
 * (the same check, run in-process every 5 s so that Django loads once) must pass, so a rollout whose Job has
 * not run yet, or failed, keeps the old pods serving (maxUnavailable 0) instead of code ahead of its schema.
 * It runs with web's own environment (its database role reads django_migrations), and no other way out than
 * web's: its egress policy is web's.
 */
function waitForMigrations(plan: KubernetesPlan, env: K8sEnvVar[]): Container {
  const web = plan.stack.web;
  const jobs = `kubectl -n ${plan.namespace} get jobs -l app.kubernetes.io/component=migrations`;
  const script = [
    'import sys, time',
    'import django',
    'from django.core.management import call_command',
    'from django.db import connections',
    'django.setup()',
    `deadline = time.monotonic() + ${MIGRATIONS_WAIT_SECONDS}`,
    'while True:',
    '    try:',
    '        call_command("migrate", check_unapplied=True, verbosity=0)',
    '        print("web: every migration of this image is applied", file=sys.stderr, flush=True)',
    '        break',
    '    except SystemExit:',
    '        reason = "migrations of this image are not applied yet"',
    '    except Exception as error:',
    '        reason = f"the database cannot tell: {error}".strip()',
    '    connections.close_all()',
    '    if time.monotonic() > deadline:',
    `        sys.exit(f"web: {reason}, after ${MIGRATIONS_WAIT_SECONDS}s: the migrations Job of this image has not completed (${jobs})")`,
    '    print(f"web: waiting for the migrations Job: {reason}", file=sys.stderr, flush=True)',
    '    time.sleep(5)',
  ].join('\n');
  return {
    name: 'wait-for-migrations',
    image: plan.webImage,
    imagePullPolicy: plan.pullPolicy(web),
    // Straight to Django: the image's entrypoint would run the server after its wait for the database.
    command: ['python', '-c', script],
    ...(env.length > 0 ? { env } : {}),
    volumeMounts: [{ name: writableVolumeName('/tmp'), mountPath: '/tmp' }],
    resources: resources(plan.collectStaticResources),
    securityContext: securityContext(),
  };
}

function metadata(plan: KubernetesPlan, service: Service, annotations: Record<string, string>) {
  return {
    name: k8sName(service.name),
    namespace: plan.namespace,
    labels: plan.labels(service),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/** Pod template annotations: a hash of each ConfigMap the pods read, so that a change rolls them (and web's scrape annotations). */
function withChecksums(template: PodTemplateSpec, checksums: Record<string, string>): PodTemplateSpec {
  return Object.keys(checksums).length === 0 ? template : { ...template, metadata: { ...template.metadata, annotations: checksums } };
}

/** A long-running service (web, nginx, added ones) as a Deployment. */
export function renderDeployment(plan: KubernetesPlan, service: Service, checksums: Record<string, string>): Deployment {
  const autoscaled = plan.role(service) === 'web' && plan.autoscaling !== undefined;
  // A pod that holds a ReadWriteOnce claim alone must stop before its successor can mount it.
  const exclusive = plan.claims.some((c) => c.accessMode === 'ReadWriteOnce' && c.users.includes(service)) && plan.replicasOf(service) === 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(plan, service, skipAnnotations(checkovSkips(plan, service))),
    spec: {
      // Left to the HorizontalPodAutoscaler when there is one: an apply would otherwise reset its count.
      ...(autoscaled ? {} : { replicas: plan.replicasOf(service) }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: plan.selector(service) },
      strategy: exclusive
        ? { type: 'Recreate' }
        // A new pod is ready before an old one goes: never fewer than the wanted number serve.
        : { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: withChecksums(podTemplate(plan, service), { ...checksums, ...(service === plan.stack.web ? scrapeAnnotations(plan) : {}) }),
    },
  };
}

/**
 * The annotations by which a Prometheus with the usual Kubernetes pod discovery (the community Helm chart's,
 * and most examples') finds web's pods and scrapes each at its metrics address.
 */
function scrapeAnnotations(plan: KubernetesPlan): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(plan.metrics.port), 'prometheus.io/path': plan.metrics.path };
}

/** PostgreSQL as a StatefulSet of one, its data on a claim made from the template (retained when the set is deleted). */
export function renderStatefulSet(plan: KubernetesPlan, service: Service, checksums: Record<string, string>): StatefulSet {
  const data = k8sName(plan.stack.dbData!.name);
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: metadata(plan, service, skipAnnotations(checkovSkips(plan, service))),
    spec: {
      serviceName: plan.podsServiceName(service),
      replicas: 1,
      selector: { matchLabels: plan.selector(service) },
      template: withChecksums(podTemplate(plan, service, { stateful: true }), checksums),
      volumeClaimTemplates: [{
        metadata: { name: data, labels: plan.selector(service) },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(plan.storageClass ? { storageClassName: plan.storageClass } : {}),
          resources: { requests: { storage: plan.databaseSize } },
        },
      }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    },
  };
}

/**
 * A service that runs once (the migrations) as a Job. Its name carries a hash of its pod template: a Job's
 * template cannot change, so a new image or configuration gives a new Job, which runs again, and a finished
 * one is removed a day later.
 */
export function renderJob(plan: KubernetesPlan, service: Service, checksums: Record<string, string>, hash: (text: string) => string): Job {
  const template = withChecksums(podTemplate(plan, service), checksums);
  template.spec!.restartPolicy = 'Never';
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(plan, service, skipAnnotations(checkovSkips(plan, service))),
    spec: { backoffLimit: 4, activeDeadlineSeconds: MIGRATIONS_DEADLINE_SECONDS, ttlSecondsAfterFinished: 86400, template },
  };
  job.metadata!.name = `${k8sName(service.name).slice(0, 54).replace(/-+$/, '')}-${hash(JSON.stringify(template)).slice(0, 8)}`;
  return job;
}
