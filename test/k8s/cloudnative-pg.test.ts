import { KubernetesTarget, KubernetesTargetOptions, StackValidationError } from '../../src/internal';
import { cleanTempDirs, newStack, readTree, TAU } from '../helpers/synth';
import { writeTestCa } from '../lib/test-ca';
import { baseObjects, CNPG_K8S, CNPG_RECOVERY_K8S, Obj, synthWithTarget, TAU_K8S } from './k8s-helpers';

afterAll(cleanTempDirs);

const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe("database: 'cloudnative-pg'", () => {
  const objects = baseObjects(synthWithTarget(TAU, CNPG_K8S).outdir);

  test('no StatefulSet and no db Service: a Cluster, a Pooler and a ScheduledBackup instead', () => {
    expect(objects.filter((o) => ['StatefulSet', 'Service'].includes(o.kind) && o.metadata.name.startsWith('db'))).toEqual([]);
    expect(objects.filter((o) => o.apiVersion === 'postgresql.cnpg.io/v1').map((o) => `${o.kind}/${o.metadata.name}`))
      .toEqual(['Cluster/db', 'Pooler/db-pooler-rw', 'ScheduledBackup/db-daily']);
  });

  test("the Cluster: 3 instances, the app's owner and database, web's role without superuser rights, no PodMonitor", () => {
    const spec = find(objects, 'Cluster', 'db').spec;
    expect(spec).toMatchObject({ instances: 3, enableSuperuserAccess: false, monitoring: { enablePodMonitor: false }, storage: { size: '10Gi' } });
    // Behind PgBouncer a smart shutdown never ends by itself: a stopped primary fails over after 15 s, not 180.
    expect(spec.smartShutdownTimeout).toBe(15);
    expect(spec.bootstrap.initdb).toMatchObject({ database: 'tau', owner: 'tau', secret: { name: 'db-app' } });
    expect(spec.bootstrap.initdb.postInitApplicationSQL).toContain(
      'ALTER DEFAULT PRIVILEGES FOR ROLE "tau" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "tau_web"');
    expect(spec.managed.roles).toEqual([expect.objectContaining({ name: 'tau_web', login: true, superuser: false, createdb: false, passwordSecret: { name: 'db-web' } })]);
    expect(spec.backup.barmanObjectStore).toMatchObject({ destinationPath: 's3://tau-backups/db', endpointURL: 'http://s3.storage.svc:9000', serverName: 'db' });
    expect(spec.externalClusters).toBeUndefined();
    expect(find(objects, 'ScheduledBackup', 'db-daily').spec).toMatchObject({ schedule: '0 0 3 * * *', cluster: { name: 'db' } });
  });

  test('web and the migrations connect through PgBouncer in transaction mode, with server-side cursors off', () => {
    expect(find(objects, 'Pooler', 'db-pooler-rw').spec).toMatchObject({ type: 'rw', pgbouncer: { poolMode: 'transaction' }, cluster: { name: 'db' } });
    expect(find(objects, 'ConfigMap', 'tau-environment').data.POSTGRES_HOST).toBe('db-pooler-rw');
    // The Job's name carries the image's hash: found by its prefix.
    const env = (kind: string, name: string) => (objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name))!
      .spec.template.spec.containers[0].env as any[]);
    for (const [kind, name] of [['Deployment', 'web'], ['Job', 'migrate']]) {
      expect(env(kind, name)).toContainEqual({ name: 'POSTGRES_TRANSACTION_POOLER', value: 'true' });
    }
    // nginx reads no database variable: it gets none.
    expect((env('Deployment', 'nginx') ?? []).some((v) => v.name === 'POSTGRES_TRANSACTION_POOLER')).toBe(false);
    expect(find(objects, 'NetworkPolicy', 'web-egress').spec.egress[0])
      .toEqual({ to: [{ podSelector: { matchLabels: { 'cnpg.io/poolerName': 'db-pooler-rw' } } }], ports: [{ port: 5432, protocol: 'TCP' }] });
  });

  test('NetworkPolicies: the instances take the Pooler, each other and the operator; reach each other, the API server and the bucket', () => {
    const ingress = find(objects, 'NetworkPolicy', 'db-ingress').spec.ingress;
    expect(ingress[1].from[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' } });
    expect(find(objects, 'NetworkPolicy', 'db-egress').spec.egress).toEqual([
      { to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'db' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: '10.0.0.10/32' } }], ports: [{ port: 6443, protocol: 'TCP' }] },
      { ports: [{ port: 9000, protocol: 'TCP' }] },
    ]);
    const pooler = find(objects, 'NetworkPolicy', 'db-pooler-rw-ingress').spec.ingress[0].from;
    expect(pooler.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/name']).sort()).toEqual(['migrate', 'web']);
  });

  test('backup: false writes neither archiving nor a ScheduledBackup; podMonitor: true turns the PodMonitor on', () => {
    const o = baseObjects(synthWithTarget(TAU, { ...CNPG_K8S, cloudNativePg: { ...CNPG_K8S.cloudNativePg!, backup: false, podMonitor: true, instances: 1 } }).outdir);
    expect(find(o, 'Cluster', 'db').spec).toMatchObject({ instances: 1, monitoring: { enablePodMonitor: true } });
    expect(find(o, 'Cluster', 'db').spec.backup).toBeUndefined();
    expect(o.some((x) => x.kind === 'ScheduledBackup')).toBe(false);
  });
});

describe('a Cluster made from the bucket (recovery)', () => {
  const o = baseObjects(synthWithTarget(TAU, CNPG_RECOVERY_K8S).outdir);
  const spec = find(o, 'Cluster', 'db').spec;

  test("bootstraps from recovery.from's backups to the target, with the app's owner and its Secret, not initdb", () => {
    expect(spec.bootstrap).toEqual({
      recovery: { source: 'db', database: 'tau', owner: 'tau', secret: { name: 'db-app' }, recoveryTarget: { targetTime: '2026-12-06T09:30:00Z' } },
    });
    expect(spec.externalClusters).toEqual([{
      name: 'db',
      barmanObjectStore: {
        destinationPath: 's3://tau-backups/db', endpointURL: 'http://s3.storage.svc:9000', serverName: 'db',
        s3Credentials: {
          accessKeyId: { name: 'db-backup-credentials', key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: 'db-backup-credentials', key: 'ACCESS_SECRET_KEY' },
        },
      },
    }]);
  });

  test('archives into its own folder of the bucket; the rest of the base is the same as before the recovery', () => {
    expect(spec.backup.barmanObjectStore.serverName).toBe('db-2');
    const before = baseObjects(synthWithTarget(TAU, CNPG_K8S).outdir);
    const clusterless = (objects: Obj[]) => objects.filter((x) => x.kind !== 'Cluster');
    expect(clusterless(o)).toEqual(clusterless(before));
  });

  test('without targetTime, to the end of the archived WAL', () => {
    const c = CNPG_RECOVERY_K8S.cloudNativePg!;
    const all = baseObjects(synthWithTarget(TAU, { ...CNPG_RECOVERY_K8S, cloudNativePg: { ...c, recovery: { from: 'db' } } }).outdir);
    expect(find(all, 'Cluster', 'db').spec.bootstrap.recovery.recoveryTarget).toBeUndefined();
  });
});

describe('connections through PgBouncer', () => {
  test("the Pooler is sized from the stack: the database's connections shared by its pods, every web pool as its clients", () => {
    const options = { ...TAU, postgres: { version: 17 as const, maxConnections: 60, reservedConnections: 10 }, web: { port: 8000, workers: 3, databasePool: { maxSize: 4 } } };
    const o = baseObjects(synthWithTarget(options, { ...CNPG_K8S, replicas: 2, cloudNativePg: { ...CNPG_K8S.cloudNativePg!, poolerInstances: 2 } }).outdir);
    expect(find(o, 'Cluster', 'db').spec.postgresql.parameters).toEqual({ max_connections: '60' });
    // (60 − 10) / 2 server connections per pod; (2 replicas + a rollout's) × 3 workers × (4 + 1) + 10 clients.
    expect(find(o, 'Pooler', 'db-pooler-rw').spec.pgbouncer.parameters)
      .toEqual({ max_db_connections: '25', default_pool_size: '25', server_login_retry: '2', max_client_conn: '55' });
  });

  test('web\'s pools to PgBouncer are not refused by the database\'s budget, which the Pooler keeps', () => {
    // 11 web pods × 2 workers × 3 = 66 connections: past 100 − 40 directly, fine through PgBouncer.
    const options = { ...TAU, postgres: { version: 17 as const, reservedConnections: 40 }, web: { port: 8000, workers: 2, databasePool: { maxSize: 2 } } };
    expect(() => synthWithTarget(options, { ...TAU_K8S, replicas: 10 })).toThrow(/replicas × web.workers/);
    expect(() => synthWithTarget(options, { ...CNPG_K8S, replicas: 10 })).not.toThrow();
  });

  test('the settings turn server-side cursors and prepared statements off behind the pooler only', () => {
    const { outdir } = synthWithTarget(TAU, CNPG_K8S);
    const settings = readTree(outdir).get('Tau/settings_env.py')!.content;
    expect(settings).toContain('"DISABLE_SERVER_SIDE_CURSORS": _TRANSACTION_POOLER,');
    expect(settings).toMatch(/if _TRANSACTION_POOLER:\n(\s+#.*\n)*\s+DATABASES\["default"\]\.setdefault\("OPTIONS", \{\}\)\["prepare_threshold"\] = None/);
  });
});

describe('the database mode folds externalDatabase in: existing stacks keep their output', () => {
  test("externalDatabase alone means database: 'external', the same base as naming it", () => {
    const external = { host: 'tau.cluster-1.db.example.com' };
    const implied = baseObjects(synthWithTarget(TAU, { ...TAU_K8S, externalDatabase: external }).outdir);
    const named = baseObjects(synthWithTarget(TAU, { ...TAU_K8S, database: 'external', externalDatabase: external }).outdir);
    expect(named).toEqual(implied);
    expect(implied.some((o) => o.metadata.name === 'db')).toBe(false);
  });
});

describe('refusals of the database mode, every problem in one list', () => {
  const refuse = (options: KubernetesTargetOptions, ...messages: RegExp[]) => {
    const { project, stack, outdir } = newStack(TAU);
    new KubernetesTarget(stack, { ...TAU_K8S, ...options });
    expect(() => project.synth()).toThrow(StackValidationError);
    for (const m of messages) expect(() => project.synth()).toThrow(m);
    expect([...readTree(outdir).keys()]).toEqual([]);
  };

  test('an unknown mode', () => {
    refuse({ database: 'rds' as any }, /kubernetes: database = "rds"; statefulset, cloudnative-pg, external/);
  });
  test("'external' without its host", () => {
    refuse({ database: 'external' }, /kubernetes: externalDatabase = \(not set\); the external database's host/);
  });
  test('an external host with a mode that runs the database in the cluster', () => {
    refuse({ database: 'statefulset', externalDatabase: { host: 'db.example.com' } }, /kubernetes: externalDatabase = .*nothing with database: 'statefulset'/);
  });
  test('cloudNativePg options with another mode', () => {
    refuse({ cloudNativePg: CNPG_K8S.cloudNativePg }, /kubernetes: cloudNativePg = "\(given\)"; nothing with database: 'statefulset'/);
  });
  test('more PgBouncer pods than the database has connections for', () => {
    // No pool: web's own budget (compose's) has nothing to count, so the Pooler's is the only problem.
    const { project, stack, outdir } = newStack({ ...TAU, postgres: { version: 17, maxConnections: 20, reservedConnections: 18 }, web: { port: 8000, databasePool: false } });
    new KubernetesTarget(stack, { ...CNPG_K8S, cloudNativePg: { ...CNPG_K8S.cloudNativePg!, poolerInstances: 3 } });
    expect(() => project.synth()).toThrow(/cloudNativePg.poolerInstances = 3; at most postgres.maxConnections − postgres.reservedConnections = 20 − 18/);
    expect([...readTree(outdir).keys()]).toEqual([]);
  });
  test("a mode that runs the stack's database in the cluster when it is outside the stack (postgres.external)", () => {
    const { project, stack, outdir } = newStack({ ...TAU, postgres: { external: { caFile: 'postgres/ca.pem', host: 'db.example.com' } } });
    writeTestCa(outdir, 'postgres/ca.pem');
    new KubernetesTarget(stack, CNPG_K8S);
    expect(() => project.synth()).toThrow(/kubernetes: database = "cloudnative-pg"; 'external' only: the stack's database is outside it/);
  });
  test("'cloudnative-pg' without its options", () => {
    refuse({ database: 'cloudnative-pg' }, /kubernetes: cloudNativePg = \(not set\); the cluster's options/);
  });
  test('no API server range, no backup decision, and bad values: all reported at once', () => {
    refuse({
      database: 'cloudnative-pg',
      cloudNativePg: { instances: 0, apiServer: { to: '10.0.0.10' }, backup: undefined as any, podMonitor: 'yes' as any, replicas: 2 } as any,
    },
    /cloudNativePg.instances = 0; a whole number from 1 to 9/,
    /cloudNativePg.apiServer.to = "10.0.0.10"; the API server's addresses in CIDR notation/,
    /cloudNativePg.backup = \(not set\); a bucket for WAL archiving/,
    /cloudNativePg.podMonitor = "yes"; true or false/,
    /kubernetes cloudNativePg: replicas/);
  });
  test('bad backup values', () => {
    refuse({
      database: 'cloudnative-pg',
      cloudNativePg: { apiServer: { to: '10.0.0.10/32', port: 70000 }, backup: {
        destinationPath: 'tau-backups', endpointUrl: 'ftp://x', schedule: '0 3 * * *', retention: '30 days', to: 'anywhere', credentialsSecret: 'Bad_Name',
      } },
    },
    /cloudNativePg.apiServer.port = 70000/,
    /cloudNativePg.backup.destinationPath = "tau-backups"; an S3 bucket/,
    /cloudNativePg.backup.endpointUrl = "ftp:\/\/x"; an http\(s\) URL/,
    /cloudNativePg.backup.schedule = "0 3 \* \* \*"; a cron expression with seconds first/,
    /cloudNativePg.backup.retention = "30 days"/,
    /cloudNativePg.backup.to = "anywhere"/,
    /cloudNativePg.backup.credentialsSecret = "Bad_Name"/);
  });
  test('a recovery into the archive it reads, without a bucket, or with a malformed source or moment', () => {
    const c = CNPG_RECOVERY_K8S.cloudNativePg!;
    refuse({ ...CNPG_RECOVERY_K8S, cloudNativePg: { ...c, backup: { destinationPath: 's3://tau-backups/db' }, recovery: { from: 'db' } } },
      /cloudNativePg.backup.serverName = "db"; another folder than recovery.from \('db'\), such as 'db-2'/);
    refuse({ ...CNPG_RECOVERY_K8S, cloudNativePg: { ...c, backup: false } },
      /cloudNativePg.backup = false; the bucket the backups of recovery.from are in/);
    refuse({ ...CNPG_RECOVERY_K8S, cloudNativePg: { ...c, recovery: { from: 'DB_1', targetTime: '2026-12-06 09:30', to: 'x' } as any } },
      /cloudNativePg.recovery.from = "DB_1"; the serverName whose backups are in backup.destinationPath/,
      /cloudNativePg.recovery.targetTime = "2026-12-06 09:30"; a moment in RFC 3339 with its offset/,
      /kubernetes cloudNativePg.recovery: to = "x"; not an option/);
    refuse({ ...CNPG_RECOVERY_K8S, cloudNativePg: { ...c, backup: { destinationPath: 's3://tau-backups/db', serverName: 'Db 2' } } },
      /cloudNativePg.backup.serverName = "Db 2"; a folder name/);
  });
});
