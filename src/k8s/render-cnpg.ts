import { EnvVar } from '../model';
import { CustomObject, ManifestObject, NetworkPolicy } from './k8s-types';
import { KubernetesPlan } from './kubernetes-plan';

const CNPG = 'postgresql.cnpg.io/v1';
/** PostgreSQL's port in the instances and PgBouncer's in the Pooler's pods. */
const PG_PORT = 5432;
/** The instance manager's status endpoint, which the operator calls in each instance. */
const STATUS_PORT = 8000;
/** How long a stopping instance lets its sessions' transactions run before it closes them (CloudNativePG's default: 180). */
const SMART_SHUTDOWN_SECONDS = 15;

/** The value of a stack variable in the cluster's ConfigMap (the database's name). */
function value(plan: KubernetesPlan, v: EnvVar): string {
  return plan.configValues.find((c) => c.variable === v)?.value ?? v.default ?? '';
}

/** The pods of the Cluster: its instances, and the jobs that make them (initdb, join), which carry the same label. */
function clusterPods(plan: KubernetesPlan) {
  return { podSelector: { matchLabels: { 'cnpg.io/cluster': plan.cnpg!.cluster } } };
}

function poolerPods(plan: KubernetesPlan) {
  return { podSelector: { matchLabels: { 'cnpg.io/poolerName': plan.cnpg!.pooler } } };
}

const tcp = (port: number) => ({ port, protocol: 'TCP' as const });

function cluster(plan: KubernetesPlan): ManifestObject {
  const c = plan.cnpg!;
  // validateKubernetes refuses cloudnative-pg without the stack's db service.
  const db = plan.stack.db!;
  const r = plan.resources(db);
  const [owner, web] = plan.cnpgRoles;
  const backup = c.backup;
  const spec: Record<string, unknown> = {
    instances: c.instances,
    imageName: `ghcr.io/cloudnative-pg/postgresql:${plan.stack.postgresVersion}`,
    // The operator moves the primary by switchover on an update, one instance at a time.
    primaryUpdateStrategy: 'unsupervised',
    // A stopped instance (a drain, a deleted pod) waits this long for its sessions to end before a fast shutdown.
    // PgBouncer keeps its server connections open, so behind the Pooler they never end by themselves: the default
    // 180 s would only delay the failover of a stopped primary. In-flight transactions get this long to finish.
    smartShutdownTimeout: SMART_SHUTDOWN_SECONDS,
    // The same limit the Pooler's parameters and postgres.maxConnections are sized against.
    postgresql: { parameters: { max_connections: String(c.maxConnections) } },
    storage: { size: plan.databaseSize, ...(plan.storageClass ? { storageClass: plan.storageClass } : {}) },
    resources: { requests: { cpu: r.cpu, memory: r.memory }, limits: { cpu: r.cpuLimit, memory: r.memoryLimit } },
    // No superuser password in a Secret: nothing of the app connects as postgres.
    enableSuperuserAccess: false,
    bootstrap: c.recovery ? recovery(plan) : {
      initdb: {
        database: value(plan, plan.stack.databaseRoles.name),
        owner: owner.user,
        secret: { name: owner.secret },
        // web's runtime role reads and writes rows of what the owner creates, nothing more (as
        // postgres/create-app-role.sh does under compose); managed.roles below gives it LOGIN and its password.
        postInitApplicationSQL: [
          `CREATE ROLE "${web.user}" NOLOGIN`,
          `GRANT USAGE ON SCHEMA public TO "${web.user}"`,
          `ALTER DEFAULT PRIVILEGES FOR ROLE "${owner.user}" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "${web.user}"`,
          `ALTER DEFAULT PRIVILEGES FOR ROLE "${owner.user}" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "${web.user}"`,
        ],
      },
    },
    managed: {
      roles: [{
        name: web.user, ensure: 'present', login: true, superuser: false, createdb: false, createrole: false,
        replication: false, bypassrls: false, inherit: true, passwordSecret: { name: web.secret },
      }],
    },
    monitoring: { enablePodMonitor: c.podMonitor },
    ...(backup ? {
      backup: {
        retentionPolicy: backup.retention,
        barmanObjectStore: {
          ...objectStore(plan, backup.serverName),
          wal: { compression: 'gzip' },
          data: { compression: 'gzip' },
        },
      },
    } : {}),
    // The archive a recovery reads: the bucket's folder of the serverName it restores.
    ...(c.recovery ? { externalClusters: [{ name: c.recovery.from, barmanObjectStore: objectStore(plan, c.recovery.from) }] } : {}),
  };
  return {
    comment: ` PostgreSQL as ${c.instances} instance(s) run by the CloudNativePG operator (a prerequisite: docs/KUBERNETES.md),\n`
      + ' one primary and streaming replicas it promotes on failover.'
      + ' The secrets it reads (basic-auth, made by create-secret.sh\n'
      + ` from .env) are ${owner.secret} (${owner.user}, who owns the database and runs the migrations) and ${web.secret} (${web.user}).`
      + (c.recovery ? `\n Made from the bucket: the backups of ${c.recovery.from}, replayed to ${c.recovery.targetTime ?? 'the end of its archived WAL'}`
        + ' (read when the Cluster is created only).' : ''),
    notes: backup ? [{
      path: ['spec', 'backup', 'barmanObjectStore'],
      text: ' The in-tree Barman Cloud archiver, deprecated since 1.26 and removed in 1.30 (the operator warns so): the Barman\n'
        + ' Cloud plugin that replaces it runs as a second deployment next to the operator and needs cert-manager for their\n'
        + ' mutual TLS; this keeps one prerequisite for 1.29.',
    }] : [],
    object: {
      apiVersion: CNPG, kind: 'Cluster',
      metadata: { name: c.cluster, namespace: plan.namespace, labels: plan.labels(db) },
      spec,
    } satisfies CustomObject,
  };
}

/** Where in the bucket a serverName's base backups and WAL are, and the keys that reach it. */
function objectStore(plan: KubernetesPlan, serverName: string) {
  const backup = plan.cnpg!.backup!;
  return {
    destinationPath: backup.destinationPath,
    ...(backup.endpointUrl ? { endpointURL: backup.endpointUrl } : {}),
    serverName,
    s3Credentials: {
      accessKeyId: { name: backup.credentialsSecret, key: 'ACCESS_KEY_ID' },
      secretAccessKey: { name: backup.credentialsSecret, key: 'ACCESS_SECRET_KEY' },
    },
  };
}

/**
 * The Cluster made from the bucket: the newest base backup of recovery.from before the target, its WAL replayed
 * up to the target. The data brings the roles and their rights; the owner's and web's passwords are set again
 * from their Secrets.
 */
function recovery(plan: KubernetesPlan) {
  const c = plan.cnpg!;
  const [owner] = plan.cnpgRoles;
  return {
    recovery: {
      source: c.recovery!.from,
      database: value(plan, plan.stack.databaseRoles.name),
      owner: owner.user,
      secret: { name: owner.secret },
      ...(c.recovery!.targetTime ? { recoveryTarget: { targetTime: c.recovery!.targetTime } } : {}),
    },
  };
}

function pooler(plan: KubernetesPlan): ManifestObject {
  const c = plan.cnpg!;
  return {
    comment: ` PgBouncer in front of the primary: web's connections are pooled per transaction (${plan.stack.transactionPoolerVariable} in\n`
      + ' its settings), and survive a failover, which moves the pool to the new primary.',
    object: {
      apiVersion: CNPG, kind: 'Pooler',
      metadata: { name: c.pooler, namespace: plan.namespace, labels: plan.stackLabels },
      spec: {
        cluster: { name: c.cluster },
        instances: c.poolerInstances,
        type: 'rw',
        pgbouncer: {
          poolMode: 'transaction',
          parameters: {
            // The pods share the database's max_connections, less the reserved connections (the operator's and
            // an operator's psql): none can take them all and leave another pod without any.
            max_db_connections: String(c.serverConnections),
            default_pool_size: String(c.serverConnections),
            // After a failed login (the old primary going down in a failover) PgBouncer refuses every client until it
            // tries again: 2 s rather than 15 lets web's pools reach the promoted primary as soon as it is there.
            server_login_retry: '2',
            ...(c.clientConnections !== undefined ? {
              // Each web worker keeps its pool (web.databasePool) open to PgBouncer: cheap client slots here,
              // where a server connection is taken per transaction only. All of them may land on one pod.
              max_client_conn: String(c.clientConnections),
            } : {}),
          },
        },
      },
    } satisfies CustomObject,
  };
}

function scheduledBackup(plan: KubernetesPlan): ManifestObject {
  const c = plan.cnpg!;
  return {
    comment: ' A base backup to the bucket on a schedule; WAL is archived continuously in between.',
    object: {
      apiVersion: CNPG, kind: 'ScheduledBackup',
      metadata: { name: `${c.cluster}-daily`, namespace: plan.namespace, labels: plan.stackLabels },
      spec: { schedule: c.backup!.schedule, cluster: { name: c.cluster }, backupOwnerReference: 'self', method: 'barmanObjectStore' },
    } satisfies CustomObject,
  };
}

function policy(plan: KubernetesPlan, name: string, comment: string, spec: NetworkPolicy['spec']): ManifestObject {
  return {
    comment,
    object: {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name, namespace: plan.namespace, labels: plan.stackLabels },
      spec,
    } satisfies NetworkPolicy,
  };
}

/** The connections the Cluster and the Pooler need, through the namespace's default-deny policies. */
function policies(plan: KubernetesPlan): ManifestObject[] {
  const c = plan.cnpg!;
  const clients = plan.databaseClients;
  const operator = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': c.operatorNamespace } },
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
  };
  const apiServer = { to: [{ ipBlock: { cidr: c.apiServer.to } }], ports: [tcp(c.apiServer.port)] };
  const store = c.backup && {
    ...(c.backup.to ? { to: [{ ipBlock: { cidr: c.backup.to } }] } : {}),
    ports: [tcp(storePort(c.backup.endpointUrl))],
  };
  return [
    policy(plan, `${c.cluster}-ingress`, ` The instances take PostgreSQL connections from the Pooler and from each other (replication), and\n the operator's calls to their status port.`, {
      podSelector: clusterPods(plan).podSelector, policyTypes: ['Ingress'],
      ingress: [
        { from: [poolerPods(plan), clusterPods(plan)], ports: [tcp(PG_PORT)] },
        { from: [operator], ports: [tcp(STATUS_PORT), tcp(PG_PORT)] },
      ],
    }),
    policy(plan, `${c.cluster}-egress`, ` The instances connect to each other, to the API server (their instance manager)${store ? ' and to the bucket' : ''} only.`, {
      podSelector: clusterPods(plan).podSelector, policyTypes: ['Egress'],
      egress: [{ to: [clusterPods(plan)], ports: [tcp(PG_PORT)] }, apiServer, ...(store ? [store] : [])],
    }),
    policy(plan, `${c.pooler}-ingress`, ` PgBouncer takes connections from ${clients.map((s) => s.name).join(', ')} only.`, {
      podSelector: poolerPods(plan).podSelector, policyTypes: ['Ingress'],
      ingress: [{ from: clients.map((s) => ({ podSelector: { matchLabels: plan.selector(s) } })), ports: [tcp(PG_PORT)] }],
    }),
    policy(plan, `${c.pooler}-egress`, ' PgBouncer connects to the instances and to the API server (its instance manager) only.', {
      podSelector: poolerPods(plan).podSelector, policyTypes: ['Egress'],
      egress: [{ to: [clusterPods(plan)], ports: [tcp(PG_PORT)] }, apiServer],
    }),
  ];
}

/** The object store's port: the endpoint's, else HTTPS's. */
function storePort(endpointUrl: string | undefined): number {
  if (!endpointUrl) return 443;
  const url = new URL(endpointUrl);
  return url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
}

/** The egress rule of the database's clients: to the Pooler's pods, on PgBouncer's port. */
export function poolerRule(plan: KubernetesPlan) {
  return { to: [poolerPods(plan)], ports: [tcp(PG_PORT)] };
}

/** The CloudNativePG objects of the base: the Cluster, its Pooler, its backups and their NetworkPolicies. */
export function renderCloudNativePg(plan: KubernetesPlan): ManifestObject[] {
  return [cluster(plan), pooler(plan), ...(plan.cnpg!.backup ? [scheduledBackup(plan)] : []), ...policies(plan)];
}
