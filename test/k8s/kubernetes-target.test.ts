import { readFileSync, statSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { Healthcheck, KubernetesTarget, kubernetesSite, renderNginxConf, StackValidationError } from '../../src/internal';
import { cleanTempDirs, newStack, readTree, TAU } from '../helpers/synth';
import { baseObjects, Obj, secretLeaks, synthWithTarget, TAU_K8S } from './k8s-helpers';
import { writeTestCa } from '../lib/test-ca';

afterAll(cleanTempDirs);

const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const container = (o: Obj, name?: string) => (o.spec.template.spec.containers as any[]).find((c) => name === undefined || c.name === name);

describe('the kustomize base, rendered from the stack model', () => {
  const { stack, outdir } = synthWithTarget();
  const objects = baseObjects(outdir);

  test('k8s/ holds a kustomization that lists every manifest, and the Secret script', () => {
    // GIVEN the default stack with the target WHEN synthesized THEN
    const files = [...readTree(outdir).keys()].filter((p) => p.startsWith('k8s/')).sort();
    expect(files).toEqual([
      'k8s/create-secret.sh', 'k8s/environment.yaml', 'k8s/ingress.yaml', 'k8s/kustomization.yaml', 'k8s/namespace.yaml',
      'k8s/network-policies.yaml', 'k8s/storage.yaml', 'k8s/workloads/db.yaml', 'k8s/workloads/migrate.yaml',
      'k8s/workloads/nginx.yaml', 'k8s/workloads/web.yaml',
    ]);
    const kustomization = parse(readFileSync(join(outdir, 'k8s/kustomization.yaml'), 'utf-8'));
    expect(kustomization.resources).toEqual([
      'namespace.yaml', 'environment.yaml', 'storage.yaml', 'workloads/db.yaml', 'workloads/migrate.yaml', 'workloads/web.yaml',
      'workloads/nginx.yaml', 'network-policies.yaml', 'ingress.yaml',
    ]);
    // Managed: read-only, the script executable.
    expect(statSync(join(outdir, 'k8s/workloads/web.yaml')).mode & 0o777).toBe(0o444);
    expect(statSync(join(outdir, 'k8s/create-secret.sh')).mode & 0o777).toBe(0o555);
  });

  test('db: a StatefulSet of one behind a ClusterIP Service (and its headless governing Service), its data on a claim template, PGDATA below the mount', () => {
    const sts = find(objects, 'StatefulSet', 'db');
    expect(find(objects, 'Service', 'db').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] });
    expect(find(objects, 'Service', 'db-pods').spec).toMatchObject({ clusterIP: 'None', selector: find(objects, 'Service', 'db').spec.selector });
    expect(sts.spec.serviceName).toBe('db-pods');
    expect(sts.spec.volumeClaimTemplates).toEqual([expect.objectContaining({
      metadata: expect.objectContaining({ name: 'postgres-data' }),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    })]);
    const db = container(sts);
    expect(db.image).toBe('postgres:17');
    expect(db.volumeMounts).toContainEqual({ name: 'postgres-data', mountPath: '/var/lib/postgresql/data' });
    expect(db.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
    // The model's pg_isready check, run by the container's shell (which expands the variables).
    expect(db.readinessProbe.exec.command).toEqual(['sh', '-c', stack.db!.healthcheck!.describe]);
    expect(db.livenessProbe.tcpSocket).toEqual({ port: 'postgres' });
    expect(db.env).toContainEqual({ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'tau-secrets', key: 'POSTGRES_PASSWORD' } } });
  });

  test('web: 2 replicas, readiness on the health path, liveness on the port alone, locked down as the image\'s user', () => {
    const web = find(objects, 'Deployment', 'web');
    expect(web.spec.replicas).toBe(2);
    expect(web.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const c = container(web);
    expect(c.image).toBe('tau-web:local');
    // No command or args: the image's entrypoint and CMD (Gunicorn), as compose runs it.
    expect(c.command).toBeUndefined();
    expect(c.args).toBeUndefined();
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }, { name: 'metrics', containerPort: 9000, protocol: 'TCP' }]);
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 5 });
    expect(c.livenessProbe).toMatchObject({ tcpSocket: { port: 'http' } });
    expect(c.securityContext).toEqual({
      runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(web.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    expect(c.volumeMounts).toContainEqual({ name: 'scratch-tmp', mountPath: '/tmp' });
    expect(c.volumeMounts).toContainEqual({ name: 'media-volume', mountPath: '/app/mediafiles' });
    // The model's limits for web (1 CPU, 1g) are its ceiling here as on compose; a quarter of them is requested.
    expect(stack.web.limits).toMatchObject({ cpus: 1, memory: '1g' });
    expect(c.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    // The model's stop grace period (the request timeout and 5 s), plus the 10 s drain before the stop.
    expect(web.spec.template.spec.terminationGracePeriodSeconds).toBe(stack.web.stopGracePeriod!.toSeconds() + 10);
    expect(find(objects, 'PodDisruptionBudget', 'web').spec).toEqual({ selector: web.spec.selector, maxUnavailable: 1 });
    expect(objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
  });

  test('every variable web reads comes from the ConfigMap or the Secret, under its own name', () => {
    const env = container(find(objects, 'Deployment', 'web')).env as any[];
    expect(env.map((e) => e.name)).toEqual(stack.env.forService(stack.web).map((v) => v.name));
    for (const e of env) {
      const secret = stack.env.get(e.name)!.secret;
      expect(e.valueFrom).toEqual(secret
        ? { secretKeyRef: { name: 'tau-secrets', key: e.name } }
        : { configMapKeyRef: { name: 'tau-environment', key: e.name } });
    }
    const config = find(objects, 'ConfigMap', 'tau-environment').data;
    expect(config).toMatchObject({ POSTGRES_HOST: 'db', POSTGRES_PORT: '5432', DJANGO_ALLOWED_HOSTS: 'tau.example.com', DJANGO_CSRF_TRUSTED_ORIGINS: 'http://tau.example.com', FORWARDED_ALLOW_IPS: '*' });
    expect(Object.keys(config).filter((k) => stack.env.get(k)!.secret)).toEqual([]);
  });

  test('migrations: a Job on the web image, the entrypoint given the model\'s release command', () => {
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.metadata.name).toMatch(/^migrate-[0-9a-f]{8}$/);
    expect(job.spec).toMatchObject({ backoffLimit: 4, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 86400 });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    const c = container(job);
    expect(c.image).toBe('tau-web:local');
    expect(c.args).toEqual([...stack.app.release.command!]);
  });

  test('nginx: the compose site rendered for the cluster, static files collected by an init container from the web image', () => {
    const site = find(objects, 'ConfigMap', 'nginx-site').data['default.conf'] as string;
    expect(site).toContain('resolver kube-dns.kube-system.svc.cluster.local valid=1s ipv6=off;');
    expect(site).toContain('set $web_tau_svc_cluster_local_upstream http://web.tau.svc.cluster.local:8000;');
    // The ingress controller's X-Forwarded-For, believed from the pod network only (trustedProxies).
    const realIp = ['set_real_ip_from 10.244.0.0/16;', 'real_ip_header X-Forwarded-For;', 'real_ip_recursive on;'];
    expect(site).toContain(realIp.join('\n'));
    expect(site).not.toContain('$forwarded_proto');
    // Everything else is the compose site's, line for line.
    const compose = readFileSync(join(outdir, 'nginx/default.conf'), 'utf-8').split('\n');
    // The proxy's block: its comment, real_ip, and the request id taken from it (the geo and the map that end it).
    const lines = site.split('\n');
    const start = lines.findIndex((l) => l.startsWith('# A proxy in front.'));
    const end = lines.findIndex((l, i) => i > start && l.startsWith('map $from_trusted_proxy')) + 3;
    const k8s = lines.filter((_, i) => i < start - 1 || i > end);
    const differing = compose.filter((line, i) => line !== k8s[i]);
    // and the Ingress's host among the names the site answers, where the client's address comes from, and the
    // request id the logs and the app get (the proxy's, when it sent one).
    expect(differing.filter((l) => !/resolver|upstream|address is looked up|server_name|# The client's address|request_id/.test(l))).toEqual([]);

    const nginx = find(objects, 'Deployment', 'nginx');
    const pod = nginx.spec.template.spec;
    expect(pod.initContainers).toEqual([expect.objectContaining({
      name: 'collectstatic', image: 'tau-web:local', command: ['python', 'manage.py', 'collectstatic', '--noinput'],
      volumeMounts: [{ name: 'static-volume', mountPath: '/app/staticfiles' }, { name: 'scratch-tmp', mountPath: '/tmp' }],
    })]);
    // The settings module wants its secrets set; collectstatic reads none, so nginx's pod holds none.
    expect(pod.initContainers[0].env.filter((e: any) => e.valueFrom?.secretKeyRef)).toEqual([]);
    const c = container(nginx);
    expect(c.volumeMounts).toEqual(expect.arrayContaining([
      { name: 'static-volume', mountPath: '/var/www/static', readOnly: true },
      { name: 'media-volume', mountPath: '/var/www/media', readOnly: true },
      { name: 'site', mountPath: '/etc/nginx/conf.d', readOnly: true },
    ]));
    expect(pod.volumes).toContainEqual({ name: 'static-volume', emptyDir: {} });
    // The local ports of its connections to web (one per request), and an unprivileged nginx on the model's port 80.
    expect(pod.securityContext.sysctls).toEqual([
      { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
      { name: 'net.ipv4.ip_unprivileged_port_start', value: '0' },
    ]);
    expect(nginx.spec.template.metadata.annotations['checksum/site']).toMatch(/^[0-9a-f]{16}$/);
  });

  test('media on a ReadWriteMany claim that web writes and nginx reads', () => {
    expect(find(objects, 'PersistentVolumeClaim', 'media-volume').spec).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '10Gi' } } });
  });

  test('network policies: deny by default; db from web and the migrations, web from nginx, nginx from anywhere', () => {
    const from = (name: string) => find(objects, 'NetworkPolicy', name).spec.ingress[0].from?.map((p: any) => p.podSelector.matchLabels['app.kubernetes.io/name']);
    expect(find(objects, 'NetworkPolicy', 'default-deny-ingress').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(from('db-ingress')).toEqual(['migrate', 'web']);
    expect(from('web-ingress')).toEqual(['nginx']);
    expect(from('nginx-ingress')).toBeUndefined();
  });

  test('egress: denied by default; DNS to kube-dns for every pod, web and the migrations to db, nginx to web', () => {
    expect(find(objects, 'NetworkPolicy', 'default-deny-egress').spec).toEqual({ podSelector: {}, policyTypes: ['Egress'] });
    expect(find(objects, 'NetworkPolicy', 'dns-egress').spec).toEqual({
      podSelector: {}, policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
      }],
    });
    const egress = (name: string) => find(objects, 'NetworkPolicy', `${name}-egress`).spec;
    const to = (service: string, port: number) => ({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': service, 'app.kubernetes.io/part-of': 'tau' } } }], ports: [{ port, protocol: 'TCP' }] });
    expect(egress('web')).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'tau' } }, policyTypes: ['Egress'], egress: [to('db', 5432)] });
    expect(egress('migrate').egress).toEqual([to('db', 5432)]);
    expect(egress('nginx').egress).toEqual([to('web', 8000)]);
    // db opens no connection: DNS only.
    expect(objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'db-egress')).toBeUndefined();
  });

  test('web waits for the migrations of its own image: an init container on the same image, with web\'s environment', () => {
    const web = find(objects, 'Deployment', 'web');
    const pod = web.spec.template.spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['wait-for-migrations']);
    const wait = pod.initContainers[0];
    const c = container(web);
    expect(wait).toMatchObject({ image: c.image, imagePullPolicy: c.imagePullPolicy, env: c.env, securityContext: c.securityContext });
    expect(wait.command.slice(0, 2)).toEqual(['python', '-c']);
    // Django's migrate --check, in-process, every 5 s, for the Job's deadline and a minute, then a reason.
    expect(wait.command[2]).toContain('call_command("migrate", check_unapplied=True, verbosity=0)');
    expect(wait.command[2]).toContain('time.monotonic() + 660');
    expect(wait.command[2]).toContain('kubectl -n tau get jobs -l app.kubernetes.io/component=migrations');
    // Neither the Job nor nginx waits.
    expect(objects.find((o) => o.kind === 'Job')!.spec.template.spec.initContainers).toBeUndefined();
    expect(find(objects, 'Deployment', 'nginx').spec.template.spec.initContainers.map((x: any) => x.name)).toEqual(['collectstatic']);
  });

  test('the migrations wait 5 s at most for a lock: the entrypoint\'s release step sets lock_timeout for them alone', () => {
    const entrypoint = readFileSync(join(outdir, 'docker-entrypoint.sh'), 'utf-8');
    expect(entrypoint).toContain('    PGOPTIONS="-c lock_timeout=5000" python manage.py migrate --noinput\n');
    // web's statement_timeout is its own: the Job does not read PGOPTIONS.
    expect(container(objects.find((o) => o.kind === 'Job')!).env.map((e: any) => e.name)).not.toContain('PGOPTIONS');
  });

  test('the Ingress routes the host to nginx, with the site\'s upload limit for ingress-nginx', () => {
    const ingress = find(objects, 'Ingress', 'nginx');
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [{ host: 'tau.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nginx', port: { name: 'http' } } } }] } }],
    });
    expect(ingress.metadata.annotations!['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('25m');
  });

  test('no secret and no .env in the base', () => {
    expect(secretLeaks(outdir, stack)).toEqual([]);
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
  });

  test('the Secret comes from .env through a task, and neither .env nor the base goes into git or the image', () => {
    const tasks = JSON.parse(readFileSync(join(outdir, '.projen/tasks.json'), 'utf-8')).tasks;
    expect(tasks['k8s:secret'].steps).toEqual([{ exec: 'sh k8s/create-secret.sh' }]);
    const gitignore = readFileSync(join(outdir, '.gitignore'), 'utf-8').split('\n');
    expect(gitignore).toEqual(expect.arrayContaining(['/.env', '/k8s/**/.env*']));
    expect(readFileSync(join(outdir, '.dockerignore'), 'utf-8').split('\n')).toContain('k8s');
    const script = readFileSync(join(outdir, 'k8s/create-secret.sh'), 'utf-8');
    expect(script).toContain('for name in POSTGRES_PASSWORD POSTGRES_APP_PASSWORD POSTGRES_WEB_PASSWORD DJANGO_SECRET_KEY; do');
    expect(script).toContain('kubectl create secret generic tau-secrets --namespace tau --from-env-file=/dev/stdin --dry-run=client -o yaml');
  });

  test('the namespace enforces the restricted Pod Security Standard', () => {
    expect(find(objects, 'Namespace', 'tau').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });
});

describe('one value in the model, every manifest that depends on it', () => {
  test('the web port reaches the Service, the container, the probes, the policy and nginx\'s upstream', () => {
    const { outdir } = synthWithTarget({ ...TAU, web: { port: 8123 } });
    const objects = baseObjects(outdir);
    const web = container(find(objects, 'Deployment', 'web'));
    expect(web.ports[0].containerPort).toBe(8123);
    expect(find(objects, 'Service', 'web').spec.ports[0].port).toBe(8123);
    expect(find(objects, 'ConfigMap', 'nginx-site').data['default.conf']).toContain('http://web.tau.svc.cluster.local:8123;');
  });

  test('PostgreSQL 18: the claim at /var/lib/postgresql, the image\'s own PGDATA below it', () => {
    const objects = baseObjects(synthWithTarget({ ...TAU, postgres: { version: 18 } }).outdir);
    const db = container(find(objects, 'StatefulSet', 'db'));
    expect(db.image).toBe('postgres:18');
    expect(db.volumeMounts).toContainEqual({ name: 'postgres-data', mountPath: '/var/lib/postgresql' });
    expect(db.env.some((e: any) => e.name === 'PGDATA')).toBe(false);
  });

  test('autoscaling: an autoscaling/v2 HPA owns the web count; one replica gets no disruption budget', () => {
    const scaled = baseObjects(synthWithTarget(TAU, { ...TAU_K8S, autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 60 } }).outdir);
    expect(find(scaled, 'Deployment', 'web').spec.replicas).toBeUndefined();
    expect(find(scaled, 'HorizontalPodAutoscaler', 'web').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
    const single = baseObjects(synthWithTarget(TAU, { ...TAU_K8S, replicas: 1, proxyReplicas: 1 }).outdir);
    expect(single.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  test('an external database: no StatefulSet, and its host in the ConfigMap', () => {
    const objects = baseObjects(synthWithTarget(TAU, { ...TAU_K8S, externalDatabase: { host: 'tau.cluster-1.db.example.com' } }).outdir);
    expect(objects.filter((o) => o.metadata.name === 'db')).toEqual([]);
    expect(find(objects, 'ConfigMap', 'tau-environment').data).toMatchObject({ POSTGRES_HOST: 'tau.cluster-1.db.example.com', POSTGRES_PORT: '5432' });
    expect(objects.some((o) => o.metadata.name === 'db-ingress')).toBe(false);
  });

  test('the stack\'s database outside it (postgres.external): no StatefulSet or claim; web and the migrations verify it with the CA of the repository, reached on its port', () => {
    const options = { ...TAU, postgres: { external: { caFile: 'postgres/ca.pem', host: 'tau.cluster-1.db.example.com', port: 6432 } } };
    const { outdir } = synthWithTarget(options, TAU_K8S);
    const objects = baseObjects(outdir);
    expect(objects.filter((o) => o.kind === 'StatefulSet' || o.metadata.name.startsWith('db') || o.metadata.name.includes('postgres'))).toEqual([]);
    expect(find(objects, 'ConfigMap', 'tau-environment').data).toMatchObject({ POSTGRES_HOST: 'tau.cluster-1.db.example.com', POSTGRES_PORT: '6432' });
    const ca = readFileSync(join(outdir, 'postgres/ca.pem'), 'utf-8');
    for (const [kind, name] of [['Deployment', 'web'], ['Job', 'migrate']]) {
      const workload = objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name))!;
      const files = workload.spec.template.spec.volumes.find((v: any) => v.name === 'files').configMap.name;
      expect(find(objects, 'ConfigMap', files).data['ca.pem']).toBe(ca);
      expect(container(workload).volumeMounts).toContainEqual({ name: 'files', mountPath: '/etc/postgresql-ca/root.crt', subPath: 'ca.pem', readOnly: true });
      expect(find(objects, 'NetworkPolicy', `${name}-egress`).spec.egress).toEqual([{ ports: [{ port: 6432, protocol: 'TCP' }] }]);
    }
    // The superuser is gone with the db service: the Secret script asks .env for the app's roles only.
    expect(readFileSync(join(outdir, 'k8s/create-secret.sh'), 'utf-8')).not.toContain('POSTGRES_PASSWORD ');
  });

  test('uploads in an S3 bucket: no media claim or mount, the bucket in the ConfigMap, the keys in the Secret, web\'s egress to the endpoint\'s port, nginx serves no /media/', () => {
    const media = { storage: 's3', bucket: 'tau-media', endpoint: 'https://s3.eu-central-1.amazonaws.com', region: 'eu-central-1' } as const;
    const { outdir } = synthWithTarget({ ...TAU, media }, TAU_K8S);
    const objects = baseObjects(outdir);
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata.name)).toEqual([]);
    const volumeNames = objects.filter((o) => o.spec?.template).flatMap((o) => (o.spec.template.spec.volumes ?? []).map((v: any) => `${o.metadata.name}:${v.name}`));
    expect(volumeNames.filter((n) => /media/.test(n))).toEqual([]);
    expect(find(objects, 'ConfigMap', 'tau-environment').data).toMatchObject({
      MEDIA_S3_BUCKET: 'tau-media', MEDIA_S3_ENDPOINT_URL: 'https://s3.eu-central-1.amazonaws.com', MEDIA_S3_REGION: 'eu-central-1',
    });
    const script = readFileSync(join(outdir, 'k8s/create-secret.sh'), 'utf-8');
    expect(script).toMatch(/MEDIA_S3_ACCESS_KEY_ID/);
    expect(script).toMatch(/MEDIA_S3_SECRET_ACCESS_KEY/);
    const env = container(find(objects, 'Deployment', 'web')).env;
    expect(env.find((e: any) => e.name === 'MEDIA_S3_SECRET_ACCESS_KEY').valueFrom.secretKeyRef).toEqual({ name: 'tau-secrets', key: 'MEDIA_S3_SECRET_ACCESS_KEY' });
    // web reaches db and the S3 service's port (any address: the policy cannot name a host); the migrations only db.
    const rules = (name: string) => find(objects, 'NetworkPolicy', `${name}-egress`).spec.egress;
    expect(rules('web')).toEqual([{ ports: [{ port: 443, protocol: 'TCP' }] }, expect.objectContaining({ ports: [{ port: 5432, protocol: 'TCP' }] })]);
    expect(rules('migrate').map((r: any) => r.ports[0].port)).toEqual([5432]);
    const site = find(objects, 'ConfigMap', 'nginx-site').data['default.conf'];
    expect(site).not.toMatch(/location[^{]*\/media\//);
    expect(site).toMatch(/location[^{]*\/static\//);
  });

  test('an S3 endpoint of the cluster\'s own environment: its port is the one web may connect to', () => {
    const media = { storage: 's3', bucket: 'tau-media', endpoint: 'https://s3.example.com', allowPlainHttp: true } as const;
    const objects = baseObjects(synthWithTarget({ ...TAU, media },
      { ...TAU_K8S, environment: { MEDIA_S3_ENDPOINT_URL: 'http://s3.storage.svc.cluster.local:7070' } }).outdir);
    expect(find(objects, 'ConfigMap', 'tau-environment').data.MEDIA_S3_ENDPOINT_URL).toBe('http://s3.storage.svc.cluster.local:7070');
    expect(find(objects, 'NetworkPolicy', 'web-egress').spec.egress[0]).toEqual({ ports: [{ port: 7070, protocol: 'TCP' }] });
    expect(find(objects, 'NetworkPolicy', 'nginx-egress').spec.egress.map((r: any) => r.ports[0].port)).toEqual([8000]);
  });

  test('postgres.external without a host: the cluster needs one in its environment', () => {
    const { project, stack, outdir } = newStack({ ...TAU, postgres: { external: { caFile: 'postgres/ca.pem' } } });
    writeTestCa(outdir, 'postgres/ca.pem');
    new KubernetesTarget(stack, TAU_K8S);
    expect(() => project.synth()).toThrow(/env "POSTGRES_HOST": kubernetes value = \(not set\); a value for the cluster's ConfigMap/);
  });

  test('TLS at the ingress: the secret name, cert-manager, and https in the trusted origin', () => {
    const objects = baseObjects(synthWithTarget({ ...TAU, tls: { trustedProxies: ['10.0.0.0/8'] } },
      { ingress: { host: 'tau.example.com', tlsSecretName: 'tau-tls', clusterIssuer: 'letsencrypt' }, trustedProxies: ['10.244.0.0/16'] }).outdir);
    const ingress = find(objects, 'Ingress', 'nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['tau.example.com'], secretName: 'tau-tls' }]);
    expect(ingress.metadata.annotations!['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(find(objects, 'ConfigMap', 'tau-environment').data.DJANGO_CSRF_TRUSTED_ORIGINS).toBe('https://tau.example.com');
    const site = find(objects, 'ConfigMap', 'nginx-site').data['default.conf'];
    expect(site).toContain('proxy_set_header X-Forwarded-Proto $forwarded_proto;');
    // The proxy in front is the ingress controller: the target's addresses, not the compose stack's.
    expect(site).toContain('set_real_ip_from 10.244.0.0/16;');
    expect(site).toContain('10.244.0.0/16 1;');
    expect(site).not.toContain('10.0.0.0/8');
  });

  test('egress rules of the options: from the web image\'s pods by default, or from the services named', () => {
    const objects = baseObjects(synthWithTarget(TAU, { ...TAU_K8S, egress: [
      { to: '203.0.113.25/32', ports: [587, 465] }, { to: '198.51.100.0/24', ports: [443], from: ['nginx'] },
    ] }).outdir);
    const rules = (name: string) => find(objects, 'NetworkPolicy', `${name}-egress`).spec.egress;
    const smtp = { to: [{ ipBlock: { cidr: '203.0.113.25/32' } }], ports: [{ port: 587, protocol: 'TCP' }, { port: 465, protocol: 'TCP' }] };
    expect(rules('web')).toEqual([expect.objectContaining({ ports: [{ port: 5432, protocol: 'TCP' }] }), smtp]);
    expect(rules('migrate')).toEqual([expect.anything(), smtp]);
    expect(rules('nginx')).toEqual([expect.anything(), { to: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: [{ port: 443, protocol: 'TCP' }] }]);
  });

  test('web\'s metrics: scrape annotations and a named port on its pods, no Service; by default no policy lets a scraper in', () => {
    const objects = baseObjects(synthWithTarget().outdir);
    const web = find(objects, 'Deployment', 'web');
    expect(web.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9000', 'prometheus.io/path': '/metrics' });
    expect(container(web).ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }, { name: 'metrics', containerPort: 9000, protocol: 'TCP' }]);
    expect(find(objects, 'Deployment', 'nginx').spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'NetworkPolicy' && JSON.stringify(o.spec).includes('9000'))).toEqual([]);
    expect(objects.filter((o) => o.kind === 'PodMonitor')).toEqual([]);
  });

  test('metrics.scraperNamespace: the scraper\'s pods reach web\'s metrics port only; podMonitor writes a PodMonitor on that port', () => {
    const { outdir } = synthWithTarget(TAU, { ...TAU_K8S, metrics: { scraperNamespace: 'monitoring', scraperPodLabels: { 'app.kubernetes.io/name': 'prometheus' }, podMonitor: true } });
    const objects = baseObjects(outdir);
    const selector = { matchLabels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'tau' } };
    expect(find(objects, 'NetworkPolicy', 'web-metrics-ingress').spec).toEqual({
      podSelector: selector, policyTypes: ['Ingress'],
      ingress: [{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
        ports: [{ port: 9000, protocol: 'TCP' }],
      }],
    });
    // No other policy names the scraper's namespace.
    expect(objects.filter((o) => JSON.stringify(o).includes('"monitoring"')).map((o) => o.metadata.name)).toEqual(['web-metrics-ingress']);
    expect(find(objects, 'PodMonitor', 'web')).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1', metadata: { namespace: 'tau' },
      spec: { selector, podMetricsEndpoints: [{ port: 'metrics', path: '/metrics' }] },
    });
    expect(parse(readFileSync(join(outdir, 'k8s/kustomization.yaml'), 'utf-8')).resources).toContain('pod-monitor.yaml');
  });

  test('a changed metrics port reaches the container, the annotations and the scrape policy', () => {
    const objects = baseObjects(synthWithTarget({ ...TAU, web: { port: 8000, metricsPort: 9102 } }, { ...TAU_K8S, metrics: { scraperNamespace: 'monitoring' } }).outdir);
    const web = find(objects, 'Deployment', 'web');
    expect(web.spec.template.metadata.annotations['prometheus.io/port']).toBe('9102');
    expect(container(web).ports[1]).toEqual({ name: 'metrics', containerPort: 9102, protocol: 'TCP' });
    expect(find(objects, 'NetworkPolicy', 'web-metrics-ingress').spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 9102, protocol: 'TCP' }],
    }]);
  });

  test('an external database is reached on its port, at whatever address its name has', () => {
    const objects = baseObjects(synthWithTarget(TAU, { ...TAU_K8S, externalDatabase: { host: 'tau.cluster-1.db.example.com', port: 6432 } }).outdir);
    for (const name of ['web', 'migrate']) {
      expect(find(objects, 'NetworkPolicy', `${name}-egress`).spec.egress).toEqual([{ ports: [{ port: 6432, protocol: 'TCP' }] }]);
    }
  });

  test('without an Ingress, trustedProxies may be left out: nginx then believes no X-Forwarded-For', () => {
    const objects = baseObjects(synthWithTarget(TAU, { ingress: false }).outdir);
    expect(find(objects, 'ConfigMap', 'nginx-site').data['default.conf']).not.toContain('real_ip');
  });

  test('a ReadWriteOnce media claim puts every pod that mounts it on one node', () => {
    const objects = baseObjects(synthWithTarget(TAU, { ...TAU_K8S, storage: { mediaAccessMode: 'ReadWriteOnce', className: 'local-path' } }).outdir);
    expect(find(objects, 'PersistentVolumeClaim', 'media-volume').spec).toMatchObject({ accessModes: ['ReadWriteOnce'], storageClassName: 'local-path' });
    for (const name of ['web', 'nginx']) {
      expect(find(objects, 'Deployment', name).spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{
        labelSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'tau' }, matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['web', 'nginx'] }] },
        topologyKey: 'kubernetes.io/hostname',
      }]);
    }
  });

  test("a service's own limits and writablePaths reach its pods, and PostgreSQL's writable paths are the model's", () => {
    // GIVEN a service with limits and writable paths of its own, and no Kubernetes option for its paths
    const { stack, outdir } = synthWithTarget(TAU, { ...TAU_K8S, services: { cache: { runAsUser: 999 } } }, (s) => {
      s.addService('cache', { image: 'redis:7.4-alpine', port: 6379, limits: { memory: '96m', cpus: 0.5 }, writablePaths: ['/data', '/tmp'] });
    });
    const objects = baseObjects(outdir);
    const cache = container(find(objects, 'Deployment', 'cache'));
    // THEN its ceiling is the model's, a quarter of it requested (96m / 4 = 24Mi; 0.5 / 4 = 125m)
    expect(cache.resources).toEqual({ requests: { cpu: '125m', memory: '24Mi' }, limits: { cpu: '500m', memory: '96Mi' } });
    expect(cache.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/data', '/tmp']);
    // AND db's emptyDirs are exactly the directories compose gives it as tmpfs
    const db = container(find(objects, 'StatefulSet', 'db'));
    const scratch = db.volumeMounts.filter((m: any) => m.name.startsWith('scratch-')).map((m: any) => m.mountPath);
    expect(scratch).toEqual([...stack.db!.writablePaths]);
    const compose = parse(readFileSync(join(outdir, 'docker-compose.yml'), 'utf-8'));
    expect(compose.services.db.tmpfs).toEqual(scratch);
  });

  test('a Redis and a Celery worker become Deployments, Redis with a Service reached from web and the worker', () => {
    const { outdir } = synthWithTarget(TAU, { ...TAU_K8S, services: { redis: { runAsUser: 999, writablePaths: ['/data'] } } }, (stack) => {
      const redis = stack.addService('redis', { image: 'redis:7.4-alpine', port: 6379, healthcheck: Healthcheck.command('redis-cli', 'ping') }).joins(stack.backNetwork);
      stack.web.dependsOn(redis, { healthy: true });
      stack.env.add('REDIS_URL', { description: 'Cache URL', value: redis.url('redis', 6379, '/0'), for: [stack.web] });
      const worker = stack.addService('worker', { image: stack.web.image, command: ['celery', '-A', 'Tau', 'worker'] }).joins(stack.backNetwork);
      worker.dependsOn(stack.db!, { healthy: true });
      stack.env.share(stack.web, worker);
    });
    const objects = baseObjects(outdir);
    const redis = container(find(objects, 'Deployment', 'redis'));
    expect(redis).toMatchObject({ image: 'redis:7.4-alpine', readinessProbe: { exec: { command: ['redis-cli', 'ping'] } }, livenessProbe: { tcpSocket: { port: 'tcp' } } });
    expect(redis.volumeMounts).toEqual([{ name: 'scratch-data', mountPath: '/data' }]);
    expect(find(objects, 'Deployment', 'redis').spec.template.spec.securityContext.runAsUser).toBe(999);
    expect(find(objects, 'Service', 'redis').spec.ports).toEqual([{ name: 'tcp', port: 6379, targetPort: 'tcp', protocol: 'TCP' }]);
    const worker = find(objects, 'Deployment', 'worker');
    expect(container(worker)).toMatchObject({ image: 'tau-web:local', args: ['celery', '-A', 'Tau', 'worker'] });
    expect(worker.spec.template.spec.securityContext.runAsUser).toBe(10001);
    // No port and no healthcheck: nothing to probe, said in the skip's reason.
    expect(Object.values(worker.metadata.annotations!)).toContain('CKV_K8S_8=the service listens on no port and the model gives it no healthcheck to probe');
    const peers = (name: string) => find(objects, 'NetworkPolicy', name).spec.ingress[0].from.map((p: any) => p.podSelector.matchLabels['app.kubernetes.io/name']);
    expect(peers('redis-ingress')).toEqual(['web', 'worker']);
    expect(peers('db-ingress')).toEqual(['migrate', 'web', 'worker']);
  });
});

describe('what the cluster cannot run is refused with the stack\'s problems, and nothing is written', () => {
  const refuse = (configure: (stack: any) => Record<string, unknown> | void, message: RegExp) => {
    const { project, stack, outdir } = newStack(TAU);
    const options = configure(stack) ?? {};
    new KubernetesTarget(stack, { ...TAU_K8S, ...options });
    expect(() => project.synth()).toThrow(StackValidationError);
    expect(() => project.synth()).toThrow(message);
    expect([...readTree(outdir).keys()]).toEqual([]);
  };

  test('a file of the repository mounted into a service', () => {
    refuse((s) => void s.addService('admin', { image: 'adminer:4.8.1', port: 8080 }).mountFile('config/admin.ini', '/etc/admin.ini'),
      /service "admin": mountFile\(config\/admin.ini\) = "\/etc\/admin.ini"; on Kubernetes, only a file the model writes \(a ManagedFile\) is mounted/);
  });

  test('a host port of a service other than nginx', () => {
    refuse((s) => void s.addService('admin', { image: 'adminer:4.8.1', port: 8080 }).publish(8080),
      /service "admin": ports = 8080; no host port on Kubernetes/);
  });

  test('a registry image whose user is not given', () => {
    refuse((s) => void s.addService('cache', { image: 'redis:7.4-alpine', port: 6379 }),
      /service "cache": kubernetes runAsUser = \(not set\); the numeric user its image runs as/);
  });

  test('HTTPS at nginx (tls mode acme): on a cluster TLS ends at the Ingress', () => {
    const { project, stack, outdir } = newStack({ ...TAU, hosts: ['tau.example.com'], tls: { mode: 'acme', email: 'ops@example.com' } });
    new KubernetesTarget(stack, TAU_K8S);
    expect(() => project.synth()).toThrow(/kubernetes: tls.mode \(of the stack\) = "files or acme"; on a cluster TLS ends at the Ingress/);
    expect([...readTree(outdir).keys()]).toEqual([]);
  });

  test("the target's problems join the stack's in one list, by the stack's one walk over its tree", () => {
    // GIVEN a stack with a problem of its own (logs) and a target with one of its own (a misspelt option)
    const { project, stack, outdir } = newStack({ ...TAU, logs: { maxFiles: 0 } });
    new KubernetesTarget(stack, { ...TAU_K8S, replicaz: 3 } as any);
    // THEN the stack's validate() lists both, the stack's first
    const listed = stack.validate().map((p) => `${p.component}: ${p.field}`);
    expect(listed).toEqual(['logs: maxFiles', 'kubernetes: replicaz']);
    // AND synthesis refuses with that one list, writing nothing
    expect(() => project.synth()).toThrow(/2 problems[^]*logs: maxFiles = 0[^]*kubernetes: replicaz = 3/);
    expect([...readTree(outdir).keys()]).toEqual([]);
  });

  test('a misspelt option, with the one that was meant', () => {
    refuse(() => ({ replicaz: 3 }), /kubernetes: replicaz = 3; not an option; did you mean "replicas"\?/);
  });

  test('TLS at the ingress without the stack\'s tls', () => {
    refuse(() => ({ ingress: { host: 'tau.example.com', tlsSecretName: 'tau-tls' } }), /kubernetes: ingress.tlsSecretName = "tau-tls"; TLS that ends at the ingress needs the stack to say so/);
  });

  test('a secret given a value for the cluster', () => {
    refuse(() => ({ environment: { DJANGO_SECRET_KEY: 'x' } }), /kubernetes: environment.DJANGO_SECRET_KEY = "\(a literal secret\)"/);
  });

  test('the web image we build, from a registry by tag only: pulled by its digest, or the tag accepted in so many words', () => {
    refuse(() => ({ webImage: 'ghcr.io/acme/tau-web:1.4.2' }),
      /kubernetes: webImage = "ghcr.io\/acme\/tau-web:1.4.2"; the image you build, pulled by its digest[^]*'ghcr.io\/acme\/tau-web:1.4.2@sha256:<64 hex digits>'[^]*webImageByTag: true/);
    for (const options of [{ webImage: `ghcr.io/acme/tau-web:1.4.2@sha256:${'ab'.repeat(32)}` }, { webImage: 'ghcr.io/acme/tau-web:1.4.2', webImageByTag: true }]) {
      const { project, stack } = newStack(TAU);
      const target = new KubernetesTarget(stack, { ...TAU_K8S, ...options });
      project.synth();
      expect(target.plan.webImage).toBe(options.webImage);
    }
  });

  test('an Ingress without trustedProxies: what to give, with the usual pod networks', () => {
    const { project, stack, outdir } = newStack(TAU);
    new KubernetesTarget(stack, { ingress: { className: 'nginx', host: 'tau.example.com' } });
    expect(() => project.synth()).toThrow(/kubernetes: trustedProxies = \(not set\); the CIDR of the cluster's pod network[^]*10.244.0.0\/16[^]*Calico 192.168.0.0\/16[^]*every user shares one login pace/);
    expect([...readTree(outdir).keys()]).toEqual([]);
    refuse(() => ({ trustedProxies: ['10.244.0.0/33', 'pods'] }),
      /has 2 problems[^]*trustedProxies\[0\] = "10.244.0.0\/33"; an address or CIDR range[^]*trustedProxies\[1\] = "pods"/);
    refuse(() => ({ trustedProxies: '10.244.0.0/16' }), /kubernetes: trustedProxies = "10.244.0.0\/16"; a list of addresses or CIDR ranges/);
  });

  test('egress rules: a CIDR range, TCP ports, services of the cluster', () => {
    refuse(() => ({ egress: [{ to: '203.0.113.25', ports: [0, 587], from: ['wbe'] }, { to: '::/0', ports: [], port: 25 }] }), new RegExp([
      'has 5 problems', 'egress\\[0\\]\\.to = "203.0.113.25"; an IPv4 or IPv6 range in CIDR notation', 'egress\\[0\\]\\.ports\\[0\\] = 0; a whole number from 1 to 65535',
      'egress\\[0\\]\\.from = "wbe"; a service of the cluster: db, migrate, web, nginx', 'egress\\[1\\]: port = 25; not an option', 'egress\\[1\\]\\.ports = \\[\\]; one or more TCP ports',
    ].join('[^]*')));
  });

  test('metrics: a namespace by its name, labels of the scraper\'s pods with it, podMonitor a boolean', () => {
    refuse(() => ({ metrics: { scraperNamespace: 'Monitoring', podMonitor: 'yes', scrapper: true } }), new RegExp([
      'has 3 problems', 'kubernetes metrics: scrapper = true; not an option', 'metrics\\.scraperNamespace = "Monitoring"; the name of the namespace Prometheus runs in',
      'metrics\\.podMonitor = "yes"; true or false',
    ].join('[^]*')));
    refuse(() => ({ metrics: { scraperPodLabels: { 'app/name/x': 'prometheus', ok: 'a b' } } }), new RegExp([
      'has 3 problems', 'metrics\\.scraperPodLabels = [^;]*; labels of the pods of metrics\\.scraperNamespace: give that namespace too', 'metrics\\.scraperPodLabels\\["app/name/x"\\] = "prometheus"; a label',
      'metrics\\.scraperPodLabels\\["ok"\\] = "a b"; a label',
    ].join('[^]*')));
  });

  test('an S3 endpoint in the environment that is no http(s) URL', () => {
    const { project, stack, outdir } = newStack({ ...TAU, media: { storage: 's3', bucket: 'tau-media', endpoint: 'https://s3.example.com' } });
    new KubernetesTarget(stack, { ...TAU_K8S, environment: { MEDIA_S3_ENDPOINT_URL: 's3.storage.svc:7070' } });
    expect(() => project.synth()).toThrow(/kubernetes: environment.MEDIA_S3_ENDPOINT_URL = "s3.storage.svc:7070"; the S3 service's URL, http:\/\/ or https:\/\/host\[:port\]/);
    expect([...readTree(outdir).keys()]).toEqual([]);
  });

  test('a sysctl outside the set every kubelet allows (compose runs it; a pod would not start)', () => {
    const { project, stack, outdir } = newStack(TAU);
    stack.addService('worker', { image: 'tau-worker:1', sysctls: { 'net.core.somaxconn': '1024' } });
    new KubernetesTarget(stack, { ...TAU_K8S, services: { worker: { runAsUser: 1000 } } });
    expect(() => project.synth()).toThrow(/service "worker": sysctls.net.core.somaxconn = "1024"; on Kubernetes, one of the safe set a kubelet runs without allowedUnsafeSysctls: net.ipv4.ip_local_port_range/);
    expect([...readTree(outdir).keys()]).toEqual([]);
  });

  test('several at once, in one list', () => {
    refuse(() => ({ namespace: 'Tau_NS', replicas: 0, storage: { mediaSize: '10GB' } }),
      /has 3 problems[^]*namespace = "Tau_NS"[^]*replicas = 0[^]*storage.mediaSize = "10GB"/);
  });
});

test('the site nginx serves on the cluster is the stack\'s site with three settings changed', () => {
  // GIVEN the default stack WHEN the cluster's site is rendered THEN only the resolver, the upstream and the trusted proxies differ.
  const { project, stack } = newStack(TAU);
  const target = new KubernetesTarget(stack, TAU_K8S);
  project.synth();
  
  const site = kubernetesSite(target.plan);
  expect(site.resolver).toBe('kube-dns.kube-system.svc.cluster.local');
  expect(site.upstream!.name).toBe('web.tau.svc.cluster.local');
  expect(site.served).toEqual(stack.site.served);
  expect(site.trustedProxies).toEqual(['10.244.0.0/16']);
  expect(stack.site.trustedProxies).toEqual([]);
  expect(renderNginxConf(site, 'm').length).toBeGreaterThan(1000);
});
