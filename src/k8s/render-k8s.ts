import { Document, isMap, isScalar, Scalar, YAMLMap } from 'yaml';
import { Service } from '../model';
import { NginxConfFile, NginxSite, renderNginxConf } from '../nginx';
import {
  ConfigMap, HorizontalPodAutoscaler, Ingress, Kustomization, ManifestObject, Namespace, NetworkPolicy, PodMonitor,
  PersistentVolumeClaim, PodDisruptionBudget, Service as K8sService,
} from './k8s-types';
import { k8sName, KubernetesPlan, shortHash } from './kubernetes-plan';
import { poolerRule, renderCloudNativePg } from './render-cnpg';
import { renderDeployment, renderJob, renderStatefulSet } from './render-workloads';

/** One file of the kustomize base. */
export interface Manifest {
  /** Relative to the base directory. */
  readonly path: string;
  /** What the file holds, said at its top. */
  readonly about: string;
  readonly objects: readonly ManifestObject[];
}

/** The whole base: its manifests, in the order the kustomization lists them. */
export interface KubernetesBase {
  readonly manifests: readonly Manifest[];
  readonly kustomization: Kustomization;
}

/**
 * The nginx site of the cluster: the compose stack's site (limits, timeouts, served files, headers), with the
 * cluster DNS as its resolver and the web Service's fully qualified name as its upstream: nginx looks the name
 * up itself, through `resolver`, and that lookup does not search the pod's DNS domains.
 */
export function kubernetesSite(plan: KubernetesPlan): NginxSite {
  const site = plan.stack.site;
  const app = site.upstream!;
  const upstream = new Service(plan.fqdn(app), { image: app.image, port: app.port });
  const ingress = plan.options.ingress;
  const host = ingress ? ingress.host : undefined;
  const k8s = new NginxSite(plan.stack.nginx, {
    ...site.options,
    resolver: plan.dnsResolver,
    // The Ingress routes by host; without one it sends every host name here.
    serverNames: host ? [...new Set([host, ...(site.serverNames ?? [])])] : undefined,
    // The proxy in front is the ingress controller: X-Forwarded-For (and X-Forwarded-Proto, with the stack's
    // tls) are believed from its addresses, the target's, not from those of the compose stack's proxy.
    trustedProxies: [...plan.trustedProxies],
  }).proxyTo(upstream);
  for (const files of site.served) k8s.serve(files);
  for (const path of site.internalPaths) k8s.keepInternal(path);
  return k8s;
}

function namespace(plan: KubernetesPlan): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: plan.namespace,
      labels: {
        ...plan.stackLabels,
        // The API server refuses any pod of the namespace that breaks the "restricted" Pod Security Standard.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
    },
  };
}

function environment(plan: KubernetesPlan): ManifestObject {
  const values = plan.configValues;
  const object: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    // Its own component label: applied with the migrations Job (docs/KUBERNETES.md), whose pod reads it.
    metadata: { name: plan.configMapName, namespace: plan.namespace, labels: { ...plan.stackLabels, 'app.kubernetes.io/component': 'environment' } },
    data: Object.fromEntries(values.map((c) => [c.variable.name, c.value ?? ''])),
  };
  return {
    object,
    comment: ` The variables of the stack that are not secret, for every pod that reads them (env valueFrom).\n Secrets are in the Secret ${plan.secretName}, made from .env by \`npx projen k8s:secret\`.`,
    notes: values.map((c) => ({ path: ['data', c.variable.name], text: `${c.variable.description} (${c.origin})` })),
  };
}

function nginxSite(plan: KubernetesPlan, marker: string): { object: ConfigMap; conf: string } {
  const conf = renderNginxConf(kubernetesSite(plan), marker);
  const path = plan.nginxConf?.path ?? NginxConfFile.CONTAINER_PATH;
  return {
    conf,
    object: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: plan.nginxConfigMapName, namespace: plan.namespace, labels: plan.labels(plan.stack.nginx) },
      data: { [path.slice(path.lastIndexOf('/') + 1)]: conf },
    },
  };
}

function claims(plan: KubernetesPlan): ManifestObject[] {
  return plan.claims.map((c) => ({
    comment: ` ${c.volume.description ?? c.volume.name}: mounted by ${c.users.map((u) => u.name).join(', ')}.${c.accessMode === 'ReadWriteMany'
      ? '\n ReadWriteMany: the StorageClass must offer it (NFS, CephFS, EFS, Azure Files, Filestore, Longhorn RWX).' : ''}`,
    object: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: c.name, namespace: plan.namespace, labels: plan.stackLabels },
      spec: {
        accessModes: [c.accessMode],
        ...(plan.storageClass ? { storageClassName: plan.storageClass } : {}),
        resources: { requests: { storage: c.size } },
      },
    } satisfies PersistentVolumeClaim,
  }));
}

/**
 * The Service a service's clients connect to: a virtual address that follows its ready pods. `headless`: the
 * StatefulSet's governing Service instead (`podsServiceName`), each pod's own name, for tools that address one pod.
 */
function service(plan: KubernetesPlan, s: Service, headless = false): K8sService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: headless ? plan.podsServiceName(s) : k8sName(s.name), namespace: plan.namespace, labels: plan.labels(s) },
    spec: {
      ...(headless ? { clusterIP: 'None' } : { type: 'ClusterIP' as const }),
      selector: plan.selector(s),
      ports: [{ name: plan.portName(s), port: s.port!, targetPort: plan.portName(s), protocol: 'TCP' }],
    },
  };
}

function disruptionBudget(plan: KubernetesPlan, s: Service): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: k8sName(s.name), namespace: plan.namespace, labels: plan.labels(s) },
    spec: { selector: { matchLabels: plan.selector(s) }, maxUnavailable: 1 },
  };
}

function autoscaler(plan: KubernetesPlan, s: Service): HorizontalPodAutoscaler {
  const a = plan.autoscaling!;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: k8sName(s.name), namespace: plan.namespace, labels: plan.labels(s) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: k8sName(s.name) },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.cpuUtilization } } }],
    },
  };
}

/** A pod count that a disruption budget protects: from two pods on (with one, a budget would block every drain). */
function protectedCount(plan: KubernetesPlan, s: Service): boolean {
  return plan.replicasOf(s) >= 2;
}

function workload(plan: KubernetesPlan, s: Service, checksums: Record<string, string>, marker: string): Manifest {
  const objects: ManifestObject[] = [];
  const role = plan.role(s);
  const about = !s.description ? `The ${s.name} service.` : s.description.startsWith(`${s.name}:`) ? s.description : `${s.name}: ${s.description}`;
  let sums = { ...checksums };
  if (role === 'proxy') {
    const site = nginxSite(plan, marker);
    sums = { ...sums, 'checksum/site': shortHash(site.conf) };
    objects.push({ object: site.object, comment: ' nginx\'s site: the compose stack\'s nginx/default.conf, rendered from the same model for the cluster.' });
  }
  const files = plan.repositoryFiles(s, marker);
  if (files.length > 0) {
    const data = Object.fromEntries(files.map((f) => [f.key, f.content!]));
    sums = { ...sums, 'checksum/files': shortHash(JSON.stringify(data)) };
    objects.push({
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: plan.filesConfigMapName(s), namespace: plan.namespace, labels: plan.labels(s) },
        data,
      } satisfies ConfigMap,
      comment: ` The files of the repository ${s.name} mounts under compose (${files.map((f) => f.mount.source).join(', ')}), at the same paths.`,
    });
  }
  if (s.port !== undefined && role !== 'task') objects.push({ object: service(plan, s) });
  if (role === 'database') {
    objects.push({
      object: service(plan, s, true),
      comment: ` The StatefulSet's governing Service (headless): each pod's own name, ${k8sName(s.name)}-0.${plan.podsServiceName(s)}.
 Clients connect to ${k8sName(s.name)}, the Service above: a headless name resolves to the pod's own address, which
 the cluster DNS keeps serving from its cache (30 s in CoreDNS's default configuration) after the pod comes
 back with another, so every restart of the pod would cut the app off that long.`,
    });
    objects.push({ object: renderStatefulSet(plan, s, sums) });
  } else if (role === 'task') {
    objects.push({
      object: renderJob(plan, s, sums, shortHash),
      comment: ' Runs on every apply of a new image or configuration; web does not wait for it (see\n docs/KUBERNETES.md for applying it first).',
    });
  } else {
    objects.push({ object: renderDeployment(plan, s, sums) });
    if (role === 'web' && plan.autoscaling) objects.push({ object: autoscaler(plan, s) });
    const floor = role === 'web' && plan.autoscaling ? plan.autoscaling.minReplicas >= 2 : protectedCount(plan, s);
    if (floor) objects.push({ object: disruptionBudget(plan, s), comment: ' Node drains take one pod at a time.' });
  }
  return { path: `workloads/${k8sName(s.name)}.yaml`, about, objects };
}

/** A policy that selects every pod of the namespace and allows nothing in one direction: the others allow. */
function denyAll(plan: KubernetesPlan, direction: 'Ingress' | 'Egress', comment: string): ManifestObject {
  return {
    comment,
    object: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `default-deny-${direction.toLowerCase()}`, namespace: plan.namespace, labels: plan.stackLabels },
      spec: { podSelector: {}, policyTypes: [direction] },
    } satisfies NetworkPolicy,
  };
}

function networkPolicies(plan: KubernetesPlan): ManifestObject[] {
  const policies: ManifestObject[] = [denyAll(plan, 'Ingress', ' No pod of the namespace accepts a connection unless a policy below allows it.')];
  for (const s of plan.services.filter((x) => x.port !== undefined && plan.role(x) !== 'task')) {
    const proxy = plan.role(s) === 'proxy';
    const clients = plan.clients(s);
    if (!proxy && clients.length === 0) continue;
    policies.push({
      comment: proxy
        ? ` ${s.name} takes connections from anywhere (the ingress controller, in its own namespace) on its port.`
        : ` ${s.name} takes connections from ${clients.map((c) => c.name).join(', ')} only.`,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${k8sName(s.name)}-ingress`, namespace: plan.namespace, labels: plan.labels(s) },
        spec: {
          podSelector: { matchLabels: plan.selector(s) },
          policyTypes: ['Ingress'],
          ingress: [{
            ...(proxy ? {} : { from: clients.map((c) => ({ podSelector: { matchLabels: plan.selector(c) } })) }),
            ports: [{ port: plan.portName(s), protocol: 'TCP' }],
          }],
        },
      } satisfies NetworkPolicy,
    });
  }
  const m = plan.metrics;
  if (m.scraperNamespace) {
    const web = plan.stack.web;
    policies.push({
      comment: ` The scraper's pods (namespace ${m.scraperNamespace}) reach ${web.name}'s metrics port, and no other port of the stack.`,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${k8sName(web.name)}-metrics-ingress`, namespace: plan.namespace, labels: plan.labels(web) },
        spec: {
          podSelector: { matchLabels: plan.selector(web) },
          policyTypes: ['Ingress'],
          ingress: [{
            from: [{
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': m.scraperNamespace } },
              ...(m.scraperPodLabels ? { podSelector: { matchLabels: { ...m.scraperPodLabels } } } : {}),
            }],
            ports: [{ port: m.port, protocol: 'TCP' }],
          }],
        },
      } satisfies NetworkPolicy,
    });
  }
  return [...policies, ...egressPolicies(plan)];
}

/** The Prometheus Operator's way to find web's pods: their metrics port, by name, on every pod of web. */
function podMonitor(plan: KubernetesPlan): ManifestObject {
  const web = plan.stack.web;
  return {
    object: {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: k8sName(web.name), namespace: plan.namespace, labels: plan.labels(web) },
      spec: {
        selector: { matchLabels: plan.selector(web) },
        podMetricsEndpoints: [{ port: plan.metrics.portName, path: plan.metrics.path }],
      },
    } satisfies PodMonitor,
  };
}

/**
 * The cluster DNS: kube-dns's pods in kube-system (CoreDNS keeps the label k8s-app: kube-dns). A policy sees the
 * pod's own port, after the Service's translation: 53, on which CoreDNS listens in every common distribution.
 */
const CLUSTER_DNS = {
  to: [{
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
  }],
  ports: [{ port: 53, protocol: 'UDP' as const }, { port: 53, protocol: 'TCP' as const }],
};

/**
 * No pod connects anywhere but where the stack's wiring says (the same clients as the ingress policies above,
 * seen from their side), plus DNS and the target's `egress`: a compromised pod reaches neither the Kubernetes
 * API, nor the cloud's metadata service, nor the pods of other namespaces, nor the internet.
 */
function egressPolicies(plan: KubernetesPlan): ManifestObject[] {
  const policies: ManifestObject[] = [
    denyAll(plan, 'Egress', ' No pod of the namespace opens a connection unless a policy below allows it.'),
    {
      comment: ' Every pod looks names up in the cluster DNS (UDP, and TCP for long answers).',
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'dns-egress', namespace: plan.namespace, labels: plan.stackLabels },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [CLUSTER_DNS] },
      } satisfies NetworkPolicy,
    },
  ];
  const external = plan.externalDatabase;
  // The services each one connects to: those it is a client of; an external database too, by its port only (a
  // policy cannot select a host name: its address, if fixed, narrows it with egress).
  const targets = plan.services.filter((s) => s.port !== undefined && plan.role(s) !== 'task');
  // With CloudNativePG the clients of the database connect to the Pooler's pods, never to the instances.
  const databaseClients = external || plan.cnpg ? plan.databaseClients : [];
  // The S3 service of the uploads likewise, by the port of its URL: a bucket's address is a host name, often
  // many addresses that change (an in-cluster S3 service is a Service's name in another namespace).
  const bucket = plan.mediaBucket;
  for (const client of plan.services) {
    const servers = targets.filter((s) => plan.clients(s).includes(client));
    const toDatabase = external && databaseClients.includes(client) ? [external] : [];
    const toPooler = plan.cnpg && databaseClients.includes(client) ? [poolerRule(plan)] : [];
    const toBucket = bucket?.clients.includes(client) ? [bucket] : [];
    const extra = plan.egress.filter((e) => e.from.includes(client.name));
    if (servers.length + toDatabase.length + toPooler.length + toBucket.length + extra.length === 0) continue;
    const rules = [
      ...toDatabase.map((d) => ({ ports: [{ port: d.port, protocol: 'TCP' as const }] })),
      ...toPooler,
      ...toBucket.filter((b) => !toDatabase.some((d) => d.port === b.port)).map((b) => ({ ports: [{ port: b.port, protocol: 'TCP' as const }] })),
      ...servers.map((s) => ({ to: [{ podSelector: { matchLabels: plan.selector(s) } }], ports: [{ port: s.port!, protocol: 'TCP' as const }] })),
      ...extra.map((e) => ({ to: [{ ipBlock: { cidr: e.to } }], ports: e.ports.map((port) => ({ port, protocol: 'TCP' as const })) })),
    ];
    const said = [
      ...toDatabase.map((d) => `the external database (port ${d.port}, any address)`),
      ...toBucket.map((b) => `the media bucket's S3 service ${b.endpoint} (port ${b.port}, any address)`),
      ...toPooler.map(() => `PgBouncer (${plan.cnpg!.pooler})`),
      ...servers.map((s) => s.name),
      ...extra.map((e) => `${e.to} (${e.ports.join(', ')})`),
    ];
    policies.push({
      comment: ` ${client.name} connects to ${said.join(', ')} only.`,
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${k8sName(client.name)}-egress`, namespace: plan.namespace, labels: plan.labels(client) },
        spec: { podSelector: { matchLabels: plan.selector(client) }, policyTypes: ['Egress'], egress: rules },
      } satisfies NetworkPolicy,
    });
  }
  return policies;
}

function ingress(plan: KubernetesPlan): ManifestObject {
  const i = plan.ingress!;
  const nginx = plan.stack.nginx;
  const site = plan.stack.site;
  const object: Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: k8sName(nginx.name),
      namespace: plan.namespace,
      labels: plan.labels(nginx),
      annotations: {
        // For ingress-nginx (other controllers ignore them): the controller is a proxy in front of nginx, with
        // nginx's own defaults, so it gets the site's upload limit and the longest a request may take.
        'nginx.ingress.kubernetes.io/proxy-body-size': site.maxUploadSize,
        'nginx.ingress.kubernetes.io/proxy-read-timeout': String(site.readTimeout.toSeconds()),
        ...(i.clusterIssuer ? { 'cert-manager.io/cluster-issuer': i.clusterIssuer } : {}),
      },
    },
    spec: {
      ...(i.className ? { ingressClassName: i.className } : {}),
      ...(i.tlsSecretName ? { tls: [{ ...(i.host ? { hosts: [i.host] } : {}), secretName: i.tlsSecretName }] } : {}),
      rules: [{
        ...(i.host ? { host: i.host } : {}),
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: k8sName(nginx.name), port: { name: plan.portName(nginx) } } } }] },
      }],
    },
  };
  return { object, comment: ` The site's way in: everything to ${nginx.name}, which serves the files and proxies the rest.` };
}

/** The kustomize base: every manifest of the cluster, from the plan. Pure: the same plan gives the same files. */
export function renderKubernetes(plan: KubernetesPlan, marker: string): KubernetesBase {
  const manifests: Manifest[] = [];
  if (plan.createNamespace) {
    manifests.push({ path: 'namespace.yaml', about: `The namespace of the stack, with the "restricted" Pod Security Standard enforced.`, objects: [{ object: namespace(plan) }] });
  }
  const env = environment(plan);
  manifests.push({ path: 'environment.yaml', about: 'The non-secret variables of the stack.', objects: [env] });
  const checksums = { 'checksum/environment': shortHash(JSON.stringify((env.object as ConfigMap).data)) };
  const pvcs = claims(plan);
  if (pvcs.length > 0) manifests.push({ path: 'storage.yaml', about: 'The claims of the stack\'s volumes (PostgreSQL\'s is the StatefulSet\'s own).', objects: pvcs });
  for (const s of plan.services) manifests.push(workload(plan, s, checksums, marker));
  if (plan.cnpg) {
    manifests.push({ path: 'database.yaml', about: 'PostgreSQL by the CloudNativePG operator: the Cluster, the Pooler web connects through, the backups.', objects: renderCloudNativePg(plan) });
  }
  manifests.push({ path: 'network-policies.yaml', about: 'Who may connect to whom, in and out: nothing but what the stack\'s wiring needs, and DNS.', objects: networkPolicies(plan) });
  if (plan.ingress) manifests.push({ path: 'ingress.yaml', about: 'The Ingress in front of nginx.', objects: [ingress(plan)] });
  if (plan.metrics.podMonitor) {
    manifests.push({ path: 'pod-monitor.yaml', about: 'Web\'s metrics for the Prometheus Operator (needs its CustomResourceDefinitions).', objects: [podMonitor(plan)] });
  }
  return {
    manifests,
    kustomization: { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: manifests.map((m) => m.path) },
  };
}

/** A manifest as YAML: its header, then each object as a document with its comments. */
export function renderManifestYaml(manifest: Manifest, marker: string): string {
  const header = `# ${marker}\n# ${manifest.about}\n`;
  const docs = manifest.objects.map((o) => {
    // No anchors: a reader (and kubectl) sees every value where it applies.
    const doc = new Document(o.object, { aliasDuplicateObjects: false });
    if (o.comment) (doc.contents as YAMLMap).commentBefore = o.comment;
    for (const note of o.notes ?? []) commentAt(doc, note.path, note.text);
    return doc.toString({ lineWidth: 0 });
  });
  return `${header}${docs.map((d) => `---\n${d}`).join('')}`;
}

export function renderKustomizationYaml(base: KubernetesBase, plan: KubernetesPlan, marker: string): string {
  const doc = new Document(base.kustomization);
  doc.commentBefore = [
    ` ${marker}`,
    ' The stack as a kustomize base, generated from .projenrc.ts: apply with `kubectl apply -k k8s/`.',
    ` Before the first apply, make the Secret ${plan.secretName} from .env: \`npx projen k8s:secret\`. No secret is in this base.`,
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}

function commentAt(doc: Document, path: readonly (string | number)[], text: string): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (!isMap(parent)) return;
  const pair = parent.items.find((p) => isScalar(p.key) && (p.key as Scalar).value === last);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${text}`;
}
