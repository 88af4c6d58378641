import { checkContainerPath, checkOptionKeys, checkPort, isCidr, named, Problem } from '../core';
import { Image } from '../model';
import { checkConnectionBudget } from '../postgres';
import {
  AUTOSCALING_OPTION_KEYS, CLOUDNATIVE_PG_BACKUP_OPTION_KEYS, CLOUDNATIVE_PG_OPTION_KEYS, CLOUDNATIVE_PG_RECOVERY_OPTION_KEYS, CloudNativePgRecoveryOptions, DATABASE_MODES, EGRESS_RULE_KEYS, EXTERNAL_DATABASE_OPTION_KEYS, INGRESS_OPTION_KEYS,
  KUBERNETES_SERVICE_OPTION_KEYS, KUBERNETES_TARGET_OPTION_KEYS, METRICS_OPTION_KEYS, RESOURCE_OPTION_KEYS, STORAGE_OPTION_KEYS,
} from './kubernetes-options';
import { k8sName, KubernetesPlan } from './kubernetes-plan';
import { kubernetesSite } from './render-k8s';

const COMPONENT = 'kubernetes';
/** The sysctls every kubelet of 1.29 and later lets a pod set (Kubernetes's "safe" set); others need the node's consent. */
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
];
const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const STORAGE = /^[1-9][0-9]{0,5}(Mi|Gi|Ti)$/;
const CPU = /^([1-9][0-9]{0,5}m|[0-9]{1,3}(\.[0-9]{1,3})?)$/;
const MEMORY = /^[1-9][0-9]{0,6}(Ki|Mi|Gi)$/;

function whole(field: string, value: unknown, min: number, max: number): Problem[] {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? [] : [{ component: COMPONENT, field, value, allowed: `a whole number from ${min} to ${max}` }];
}

function matches(field: string, value: unknown, pattern: RegExp, allowed: string): Problem[] {
  return typeof value === 'string' && pattern.test(value) ? [] : [{ component: COMPONENT, field, value, allowed }];
}

/**
 * Everything the cluster cannot run as declared, as problems naming the field: the target's options, and what
 * in the model only compose can express (a file of the repository mounted into a container, a host port).
 * Reported with the stack's own problems, before any file is written.
 */
export function validateKubernetes(plan: KubernetesPlan): Problem[] {
  const o = plan.options;
  const stack = plan.stack;
  const problems: Problem[] = [...checkOptionKeys(COMPONENT, o, KUBERNETES_TARGET_OPTION_KEYS)];
  const sub = (field: string, value: unknown, keys: readonly string[]) =>
    checkOptionKeys(`${COMPONENT} ${field}`, value, keys);

  problems.push(...matches('namespace', plan.namespace, DNS_LABEL,
    'a DNS label: lowercase letters, digits and "-", starting with a letter, at most 63 characters'));
  problems.push(...matches('clusterDomain', plan.clusterDomain, DNS_SUBDOMAIN, 'a DNS domain such as cluster.local'));
  if (stack.site.upstream) {
    problems.push(...kubernetesSite(plan).validate().filter((p) => p.field === 'resolver').map((p) => ({ ...p, component: COMPONENT, field: 'dnsResolver' })));
  }
  if (o.webImage !== undefined) {
    problems.push(...Image.fromRegistry(String(o.webImage)).validate(COMPONENT).map((p) => ({ ...p, field: 'webImage' })));
    if (!/@sha256:[0-9a-f]{64}$/.test(String(o.webImage)) && o.webImageByTag !== true) {
      problems.push({
        component: COMPONENT, field: 'webImage', value: o.webImage,
        allowed: 'the image you build, pulled by its digest, so that every pod runs the build you pushed: '
          + `'${String(o.webImage).replace(/@.*$/, '')}@sha256:<64 hex digits>' (after docker push: docker inspect --format '{{index .RepoDigests 0}}' <ref>); `
          + 'or webImageByTag: true to accept a tag',
      });
    }
  }
  if (o.webImageByTag !== undefined && typeof o.webImageByTag !== 'boolean') {
    problems.push({ component: COMPONENT, field: 'webImageByTag', value: o.webImageByTag, allowed: 'true or false' });
  }
  problems.push(...whole('replicas', plan.replicas, 1, 100), ...whole('proxyReplicas', plan.proxyReplicas, 1, 100));

  if (o.autoscaling) {
    const a = plan.autoscaling!;
    problems.push(...sub('autoscaling', o.autoscaling, AUTOSCALING_OPTION_KEYS),
      ...whole('autoscaling.minReplicas', a.minReplicas, 1, 1000),
      ...whole('autoscaling.maxReplicas', a.maxReplicas, Math.max(1, Number.isInteger(a.minReplicas) ? a.minReplicas : 1), 1000),
      ...whole('autoscaling.cpuUtilization', a.cpuUtilization, 1, 100));
  }

  const { perWorker, ...supply } = stack.databaseConnections;
  // Through CloudNativePG's PgBouncer, web's pools are PgBouncer's clients: the Pooler's parameters are sized
  // from them, and the database's own budget is checked with the database mode.
  if (perWorker !== undefined && !plan.cnpg) {
    // The most web pods at once: the autoscaler's ceiling or the fixed count, and a rollout's extra pod (maxSurge 1).
    const [field, most] = plan.autoscaling ? ['autoscaling.maxReplicas', plan.autoscaling.maxReplicas] : ['replicas', plan.replicas];
    problems.push(...checkConnectionBudget({
      component: COMPONENT, replicasField: field, replicas: most + 1, replicasWhy: `${field} ${most}, and a rollout's extra pod`,
      workers: stack.workers, perWorker,
    }, supply));
  }

  if (stack.tlsAtNginx) {
    problems.push({ component: COMPONENT, field: 'tls.mode (of the stack)', value: 'files or acme',
      allowed: 'on a cluster TLS ends at the Ingress: the stack\'s tls mode "proxy" (with the ingress controller\'s addresses as trustedProxies), and ingress.tlsSecretName, issued by cert-manager with ingress.clusterIssuer' });
  }
  if (o.ingress !== undefined && o.ingress !== false) {
    const i = o.ingress;
    problems.push(...sub('ingress', i, INGRESS_OPTION_KEYS));
    if (i.host !== undefined) problems.push(...matches('ingress.host', i.host, HOST, 'a host name such as tau.example.com (lowercase; *.example.com for a wildcard)'));
    if (i.className !== undefined) problems.push(...matches('ingress.className', i.className, DNS_SUBDOMAIN, 'the name of an IngressClass, such as nginx'));
    if (i.tlsSecretName !== undefined) {
      problems.push(...matches('ingress.tlsSecretName', i.tlsSecretName, DNS_SUBDOMAIN, 'the name of a Secret of type kubernetes.io/tls: lowercase letters, digits, "-" and "."'));
      if (!stack.tls) {
        problems.push({ component: COMPONENT, field: 'ingress.tlsSecretName', value: i.tlsSecretName,
          allowed: 'TLS that ends at the ingress needs the stack to say so (tls: { trustedProxies } in DjangoStack): Django then sets secure cookies and HSTS, and nginx passes X-Forwarded-Proto on' });
      }
    }
    if (i.clusterIssuer !== undefined) {
      problems.push(...matches('ingress.clusterIssuer', i.clusterIssuer, DNS_SUBDOMAIN, 'the name of a cert-manager ClusterIssuer'));
      if (i.tlsSecretName === undefined || i.host === undefined) {
        problems.push({ component: COMPONENT, field: 'ingress.clusterIssuer', value: i.clusterIssuer,
          allowed: 'cert-manager issues a certificate for ingress.host into ingress.tlsSecretName: give both' });
      }
    }
  }

  // ---- the proxy in front of nginx, and the connections out
  const POD_NETWORKS = 'the CIDR of the cluster\'s pod network, where the ingress controller connects from (its --cluster-cidr: '
    + 'flannel, kind and minikube 10.244.0.0/16, Calico 192.168.0.0/16, Cilium 10.0.0.0/8, k3s 10.42.0.0/16), or the controller\'s own narrower range';
  if (o.trustedProxies !== undefined && !Array.isArray(o.trustedProxies)) {
    problems.push({ component: COMPONENT, field: 'trustedProxies', value: o.trustedProxies, allowed: `a list of addresses or CIDR ranges: ${POD_NETWORKS}` });
  } else if (plan.ingress && plan.trustedProxies.length === 0) {
    problems.push({ component: COMPONENT, field: 'trustedProxies', value: o.trustedProxies,
      allowed: `${POD_NETWORKS}, such as trustedProxies: ['10.244.0.0/16']: behind the Ingress, nginx sees every request come from the controller, `
        + 'and without it every user shares one login pace and one connection limit' });
  } else {
    plan.trustedProxies.forEach((cidr, i) => {
      if (!isCidr(cidr, 'optional')) problems.push({ component: COMPONENT, field: `trustedProxies[${i}]`, value: cidr, allowed: `an address or CIDR range: ${POD_NETWORKS}` });
    });
  }
  problems.push(...validateMetrics(plan));
  if (o.egress !== undefined && !Array.isArray(o.egress)) {
    problems.push({ component: COMPONENT, field: 'egress', value: o.egress, allowed: 'a list of { to: \'203.0.113.25/32\', ports: [587] }' });
  } else {
    const names = plan.services.map((s) => s.name);
    (o.egress ?? []).forEach((rule, i) => {
      const field = `egress[${i}]`;
      if (rule === null || typeof rule !== 'object') {
        problems.push({ component: COMPONENT, field, value: rule, allowed: '{ to: \'203.0.113.25/32\', ports: [587] }' });
        return;
      }
      problems.push(...sub(field, rule, EGRESS_RULE_KEYS));
      if (!isCidr(rule.to)) {
        problems.push({ component: COMPONENT, field: `${field}.to`, value: rule.to, allowed: 'an IPv4 or IPv6 range in CIDR notation, such as 203.0.113.25/32 (one address) or 10.0.0.0/8' });
      }
      if (!Array.isArray(rule.ports) || rule.ports.length === 0) {
        problems.push({ component: COMPONENT, field: `${field}.ports`, value: rule.ports, allowed: 'one or more TCP ports, such as [587]' });
      } else {
        rule.ports.forEach((port, j) => problems.push(...whole(`${field}.ports[${j}]`, port, 1, 65535)));
      }
      if (rule.from !== undefined) {
        const from: unknown[] = Array.isArray(rule.from) ? rule.from : [rule.from];
        if (from.length === 0) problems.push({ component: COMPONENT, field: `${field}.from`, value: [], allowed: `one or more services of the cluster: ${names.join(', ')}` });
        for (const name of from) {
          if (!names.includes(name as string)) problems.push({ component: COMPONENT, field: `${field}.from`, value: name, allowed: `a service of the cluster: ${names.join(', ')}` });
        }
      }
    });
  }

  if (o.storage) {
    const s = o.storage;
    problems.push(...sub('storage', s, STORAGE_OPTION_KEYS));
    if (s.className !== undefined) problems.push(...matches('storage.className', s.className, DNS_SUBDOMAIN, 'the name of a StorageClass'));
    for (const field of ['databaseSize', 'mediaSize', 'volumeSize'] as const) {
      if (s[field] !== undefined) problems.push(...matches(`storage.${field}`, s[field], STORAGE, 'a size in Mi, Gi or Ti, such as 10Gi'));
    }
    if (s.mediaAccessMode !== undefined && s.mediaAccessMode !== 'ReadWriteMany' && s.mediaAccessMode !== 'ReadWriteOnce') {
      problems.push({ component: COMPONENT, field: 'storage.mediaAccessMode', value: s.mediaAccessMode, allowed: 'ReadWriteMany or ReadWriteOnce' });
    }
    // Uploads in a bucket make no media claim: its size and access mode would describe nothing.
    if (!stack.mediaFiles) {
      for (const field of ['mediaSize', 'mediaAccessMode'] as const) {
        if (s[field] !== undefined) {
          problems.push({ component: COMPONENT, field: `storage.${field}`, value: s[field], allowed: 'leave it out: with media.storage "s3" the uploads are in the bucket and there is no media claim' });
        }
      }
    }
  }

  if (o.externalDatabase) {
    problems.push(...sub('externalDatabase', o.externalDatabase, EXTERNAL_DATABASE_OPTION_KEYS));
    const host = o.externalDatabase.host;
    if (!(typeof host === 'string' && (IPV4.test(host) || DNS_SUBDOMAIN.test(host)))) {
      problems.push({ component: COMPONENT, field: 'externalDatabase.host', value: host, allowed: 'a host name or an IPv4 address' });
    }
    problems.push(...checkPort(COMPONENT, 'externalDatabase.port', o.externalDatabase.port));
  }

  problems.push(...validateDatabaseMode(plan));

  // ---- the environment: values for the cluster, never a secret
  const readHere = new Set(plan.services.flatMap((s) => s.environment));
  for (const [name, value] of Object.entries(o.environment ?? {})) {
    const v = stack.env.get(name);
    const field = `environment.${name}`;
    if (!v || !readHere.has(v)) {
      const known = plan.configValues.map((c) => c.variable.name).join(', ');
      problems.push({ component: COMPONENT, field, value, allowed: `a variable of the stack that a service of the cluster reads: ${known}` });
    } else if (v.secret) {
      problems.push({ component: COMPONENT, field, value: '(a literal secret)',
        allowed: `a secret is never written in .projenrc.ts: it reaches the cluster from .env through \`npx projen k8s:secret\`` });
    } else if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      problems.push({ component: COMPONENT, field, value, allowed: 'one line of text' });
    } else if (v === stack.mediaEndpoint && !plan.mediaBucket) {
      problems.push({ component: COMPONENT, field, value,
        allowed: 'the S3 service\'s URL, http:// or https://host[:port]: web connects to that port (its egress policy) and signs download URLs for it' });
    }
  }
  for (const c of plan.configValues) {
    if (c.value === undefined) {
      problems.push({ component: named('env', c.variable.name), field: 'kubernetes value', value: undefined,
        allowed: `a value for the cluster's ConfigMap: the variable has no default and is read from .env under compose; give it in the kubernetes environment: { ${c.variable.name}: '...' }` });
    }
  }

  // ---- per service
  const serviceNames = new Set(stack.services.map((s) => s.name));
  for (const [name, r] of Object.entries(o.resources ?? {})) {
    const field = `resources.${name}`;
    if (!serviceNames.has(name)) {
      problems.push({ component: COMPONENT, field, value: name, allowed: `a service of the stack: ${[...serviceNames].join(', ')}` });
      continue;
    }
    problems.push(...sub(field, r, RESOURCE_OPTION_KEYS));
    for (const key of ['cpu', 'cpuLimit'] as const) {
      if (r[key] !== undefined) problems.push(...matches(`${field}.${key}`, r[key], CPU, 'CPU in cores or millicores, such as 250m or 1'));
    }
    for (const key of ['memory', 'memoryLimit'] as const) {
      if (r[key] !== undefined) problems.push(...matches(`${field}.${key}`, r[key], MEMORY, 'memory in Ki, Mi or Gi, such as 256Mi'));
    }
  }
  const added = plan.services.filter((s) => plan.role(s) === 'service');
  for (const [name, options] of Object.entries(o.services ?? {})) {
    const field = `services.${name}`;
    const service = added.find((s) => s.name === name);
    if (!service) {
      problems.push({ component: COMPONENT, field, value: name,
        allowed: `a service added with stack.addService: ${added.map((s) => s.name).join(', ') || '(none)'}` });
      continue;
    }
    problems.push(...sub(field, options, KUBERNETES_SERVICE_OPTION_KEYS));
    if (options.runAsUser !== undefined) problems.push(...whole(`${field}.runAsUser`, options.runAsUser, 1, 2147483647));
    if (options.replicas !== undefined) problems.push(...whole(`${field}.replicas`, options.replicas, 1, 100));
    for (const path of options.writablePaths ?? []) {
      problems.push(...checkContainerPath(COMPONENT, `${field}.writablePaths`, path));
      if (service.mounts.some((m) => m.path === path)) {
        problems.push({ component: COMPONENT, field: `${field}.writablePaths`, value: path, allowed: 'a path the service does not mount a volume at' });
      }
    }
  }

  for (const service of plan.services) {
    const component = named('service', service.name);
    // Files the model writes become a ConfigMap of the service's; a hand-written file of the repository cannot reach a cluster.
    for (const f of plan.repositoryFiles(service)) {
      if (f.content !== undefined) continue;
      problems.push({ component, field: `mountFile(${f.mount.source})`, value: f.mount.path,
        allowed: 'on Kubernetes, only a file the model writes (a ManagedFile) is mounted, from a ConfigMap: put this one in the image, or in a volume the service mounts' });
    }
    if (service !== stack.nginx) {
      for (const port of service.publishedPorts) {
        problems.push({ component, field: 'ports', value: port.host,
          allowed: 'no host port on Kubernetes: only nginx is reached from outside, through the Ingress; other services are reached by name inside the namespace' });
      }
    }
    for (const name of Object.keys(service.sysctls).filter((n) => !SAFE_SYSCTLS.includes(n))) {
      problems.push({ component, field: `sysctls.${name}`, value: service.sysctls[name],
        allowed: `on Kubernetes, one of the safe set a kubelet runs without allowedUnsafeSysctls: ${SAFE_SYSCTLS.filter((n) => n.startsWith('net.')).join(', ')}` });
    }
    if (plan.uid(service) === undefined) {
      problems.push({ component, field: 'kubernetes runAsUser', value: undefined,
        allowed: `the numeric user its image runs as (pods run as non-root, which Kubernetes verifies only by number): services: { '${service.name}': { runAsUser: 999 } } in the KubernetesTarget options` });
    }
  }

  // Kubernetes names allow no "_" or ".": two volumes must not become one.
  const claimNames = new Map<string, string>();
  for (const v of stack.volumes) {
    const other = claimNames.get(k8sName(v.name));
    if (other !== undefined) {
      problems.push({ component: named('volume', v.name), field: 'name', value: v.name,
        allowed: `a name that stays apart from volume "${other}" on Kubernetes, where "_" and "." become "-" (both are ${k8sName(v.name)})` });
    } else {
      claimNames.set(k8sName(v.name), v.name);
    }
  }
  return problems;
}

/** A label's key (an optional DNS-subdomain prefix and a name) and value, as the API accepts them. */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function validateMetrics(plan: KubernetesPlan): Problem[] {
  const m = plan.options.metrics;
  if (m === undefined) return [];
  if (m === null || typeof m !== 'object') return [{ component: COMPONENT, field: 'metrics', value: m, allowed: '{ scraperNamespace: \'monitoring\' }' }];
  const problems = checkOptionKeys(`${COMPONENT} metrics`, m, METRICS_OPTION_KEYS);
  if (m.scraperNamespace !== undefined) {
    problems.push(...matches('metrics.scraperNamespace', m.scraperNamespace, DNS_LABEL, 'the name of the namespace Prometheus runs in, a DNS label such as monitoring'));
  }
  if (m.scraperPodLabels !== undefined) {
    const labels = m.scraperPodLabels;
    if (m.scraperNamespace === undefined) {
      problems.push({ component: COMPONENT, field: 'metrics.scraperPodLabels', value: labels, allowed: 'labels of the pods of metrics.scraperNamespace: give that namespace too' });
    }
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels) || Object.keys(labels).length === 0) {
      problems.push({ component: COMPONENT, field: 'metrics.scraperPodLabels', value: labels, allowed: 'one or more labels, such as { \'app.kubernetes.io/name\': \'prometheus\' }' });
    } else {
      for (const [key, value] of Object.entries(labels)) {
        const slash = key.lastIndexOf('/');
        const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
        if ((prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) || !LABEL_NAME.test(name) || typeof value !== 'string' || !LABEL_VALUE.test(value)) {
          problems.push({ component: COMPONENT, field: `metrics.scraperPodLabels["${key}"]`, value,
            allowed: 'a label: a key of letters, digits, "-", "_" and "." (an optional DNS prefix and "/" before it), a value of at most 63 of those characters' });
        }
      }
    }
  }
  if (m.podMonitor !== undefined && typeof m.podMonitor !== 'boolean') {
    problems.push({ component: COMPONENT, field: 'metrics.podMonitor', value: m.podMonitor, allowed: 'true or false' });
  }
  return problems;
}

/** The database mode and its options: one mode, its own options given, none of another mode's. */
function validateDatabaseMode(plan: KubernetesPlan): Problem[] {
  const o = plan.options;
  const problems: Problem[] = [];
  if (o.database !== undefined && !DATABASE_MODES.includes(o.database)) {
    return [{ component: COMPONENT, field: 'database', value: o.database, allowed: DATABASE_MODES.join(', ') }];
  }
  if (plan.database !== 'external' && !plan.stack.db) {
    return [{ component: COMPONENT, field: 'database', value: plan.database,
      allowed: "'external' only: the stack's database is outside it (postgres.external), so there is no db service to run in the cluster" }];
  }
  if (plan.database === 'external' && !plan.externalDatabase) {
    problems.push({ component: COMPONENT, field: 'externalDatabase', value: undefined,
      allowed: "the external database's host, with database: 'external': externalDatabase: { host: '...' }" });
  }
  if (plan.database !== 'external' && o.externalDatabase) {
    problems.push({ component: COMPONENT, field: 'externalDatabase', value: o.externalDatabase,
      allowed: `nothing with database: '${plan.database}' (the database runs in the cluster); or database: 'external'` });
  }
  if (plan.database !== 'cloudnative-pg') {
    if (o.cloudNativePg !== undefined) {
      problems.push({ component: COMPONENT, field: 'cloudNativePg', value: '(given)',
        allowed: `nothing with database: '${plan.database}'; or database: 'cloudnative-pg'` });
    }
    return problems;
  }
  const c = o.cloudNativePg;
  if (c === undefined) {
    return [...problems, { component: COMPONENT, field: 'cloudNativePg', value: undefined,
      allowed: "the cluster's options with database: 'cloudnative-pg': at least apiServer: { to: '<CIDR>' } and backup: { destinationPath: 's3://...' } (or backup: false)" }];
  }
  problems.push(...checkOptionKeys(`${COMPONENT} cloudNativePg`, c, CLOUDNATIVE_PG_OPTION_KEYS));
  if (c.instances !== undefined) problems.push(...whole('cloudNativePg.instances', c.instances, 1, 9));
  if (c.poolerInstances !== undefined) problems.push(...whole('cloudNativePg.poolerInstances', c.poolerInstances, 1, 20));
  const cnpg = plan.cnpg!;
  if (Number.isInteger(cnpg.poolerInstances) && cnpg.serverConnections < 1) {
    const { maxConnections, reservedConnections } = plan.stack.databaseConnections;
    problems.push({ component: COMPONENT, field: 'cloudNativePg.poolerInstances', value: cnpg.poolerInstances,
      allowed: `at most postgres.maxConnections − postgres.reservedConnections = ${maxConnections} − ${reservedConnections}: `
        + 'each PgBouncer pod needs at least one server connection of its own' });
  }
  if (c.podMonitor !== undefined && typeof c.podMonitor !== 'boolean') {
    problems.push({ component: COMPONENT, field: 'cloudNativePg.podMonitor', value: c.podMonitor, allowed: 'true or false' });
  }
  if (c.operatorNamespace !== undefined) problems.push(...matches('cloudNativePg.operatorNamespace', c.operatorNamespace, DNS_LABEL, 'a namespace name'));
  if (!c.apiServer || !isCidr(c.apiServer.to)) {
    problems.push({ component: COMPONENT, field: 'cloudNativePg.apiServer.to', value: c.apiServer?.to,
      allowed: "the API server's addresses in CIDR notation, as `kubectl get endpoints kubernetes` shows them, such as 10.0.0.10/32: the instances and PgBouncer reach it through the default-deny egress" });
  }
  if (c.apiServer) problems.push(...checkPort(COMPONENT, 'cloudNativePg.apiServer.port', c.apiServer.port));
  const b = c.backup;
  if (b === undefined) {
    problems.push({ component: COMPONENT, field: 'cloudNativePg.backup', value: undefined,
      allowed: "a bucket for WAL archiving and base backups, backup: { destinationPath: 's3://...' }, or backup: false to run without any" });
  } else if (b !== false) {
    problems.push(...checkOptionKeys(`${COMPONENT} cloudNativePg.backup`, b, CLOUDNATIVE_PG_BACKUP_OPTION_KEYS));
    problems.push(...matches('cloudNativePg.backup.destinationPath', b.destinationPath, /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/,
      'an S3 bucket and optional prefix, such as s3://tau-backups/db'));
    if (b.endpointUrl !== undefined && !(typeof b.endpointUrl === 'string' && /^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(b.endpointUrl))) {
      problems.push({ component: COMPONENT, field: 'cloudNativePg.backup.endpointUrl', value: b.endpointUrl, allowed: 'an http(s) URL, such as https://s3.eu-west-1.amazonaws.com' });
    }
    if (b.credentialsSecret !== undefined) problems.push(...matches('cloudNativePg.backup.credentialsSecret', b.credentialsSecret, DNS_SUBDOMAIN, 'the name of a Secret'));
    if (b.schedule !== undefined && !(typeof b.schedule === 'string' && b.schedule.trim().split(/\s+/).length === 6)) {
      problems.push({ component: COMPONENT, field: 'cloudNativePg.backup.schedule', value: b.schedule,
        allowed: "a cron expression with seconds first (six fields, CloudNativePG's format), such as '0 0 3 * * *'" });
    }
    if (b.retention !== undefined) problems.push(...matches('cloudNativePg.backup.retention', b.retention, /^[1-9][0-9]*[dwm]$/, 'days, weeks or months, such as 30d, 4w or 3m'));
    if (b.to !== undefined && !isCidr(b.to)) {
      problems.push({ component: COMPONENT, field: 'cloudNativePg.backup.to', value: b.to, allowed: 'an address range in CIDR notation, such as 203.0.113.0/24' });
    }
    if (b.serverName !== undefined) problems.push(...matches('cloudNativePg.backup.serverName', b.serverName, DNS_LABEL, "a folder name of lower-case letters, digits and '-', such as db-2"));
  }
  if (c.recovery !== undefined) problems.push(...checkRecovery(c.recovery, cnpg.backup));
  return problems;
}

/** A Cluster made from the bucket: it reads backup's bucket, and must archive into another folder than the one it reads. */
function checkRecovery(r: CloudNativePgRecoveryOptions, backup: NonNullable<KubernetesPlan['cnpg']>['backup']): Problem[] {
  const problems = checkOptionKeys(`${COMPONENT} cloudNativePg.recovery`, r, CLOUDNATIVE_PG_RECOVERY_OPTION_KEYS);
  problems.push(...matches('cloudNativePg.recovery.from', r?.from, DNS_LABEL, "the serverName whose backups are in backup.destinationPath, such as 'db'"));
  if (r?.targetTime !== undefined && !(typeof r.targetTime === 'string' && RFC3339.test(r.targetTime) && !Number.isNaN(Date.parse(r.targetTime)))) {
    problems.push({ component: COMPONENT, field: 'cloudNativePg.recovery.targetTime', value: r.targetTime,
      allowed: "a moment in RFC 3339 with its offset, such as '2026-12-06T09:30:00Z' or '2026-12-06T10:30:00+01:00'" });
  }
  if (!backup) {
    problems.push({ component: COMPONENT, field: 'cloudNativePg.backup', value: false,
      allowed: 'the bucket the backups of recovery.from are in, backup: { destinationPath: ... }: recovery reads it, and the restored cluster archives there' });
  } else if (r?.from === backup.serverName) {
    problems.push({ component: COMPONENT, field: 'cloudNativePg.backup.serverName', value: backup.serverName,
      allowed: `another folder than recovery.from ('${r.from}'), such as '${r.from}-2': the restored cluster would archive its WAL into the archive it is restored from` });
  }
  return problems;
}

/** A date and time with seconds and an offset (Z or ±hh:mm), as RFC 3339 writes it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
