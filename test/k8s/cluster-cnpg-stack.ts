import { copyFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { LogLevel, Project } from 'projen';
import { DjangoStack, KubernetesTarget, KubernetesTargetOptions } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { runnableCopy } from '../lib/repository-copy';

/** Where the stack's backups go: a bucket of the S3 server cluster-cnpg.sh runs on the cluster (s3-server.sh). */
export const CNPG_CLUSTER_BACKUP = { destinationPath: 's3://tau-backups/db', endpointUrl: 'http://s3.tau-s3.svc.cluster.local:7070' };

/**
 * The stack of test/k8s/cluster-cnpg.sh, in a copy of the repository with a .env of its own: the repository's
 * stack with database: 'cloudnative-pg', sized for the test node's 2 CPUs (tiny CPU requests, one web, one
 * nginx, one PgBouncer pod), archiving to CNPG_CLUSTER_BACKUP's bucket. Prints the copy's directory.
 * With --recover-to TIME, the same stack whose Cluster is made from that bucket, to TIME (docs/KUBERNETES.md's
 * restore), archiving into a folder of its own; written over the .env of ENV_FROM (the first copy's: the
 * Secrets and passwords the running stack has).
 *
 *   node --import tsx test/k8s/cluster-cnpg-stack.ts [--recover-to TIME ENV_FROM]
 */
export const CNPG_CLUSTER_TARGET: KubernetesTargetOptions = {
  ingress: { className: 'nginx', host: 'tau.example.com' },
  trustedProxies: ['10.244.0.0/16'],   // the test cluster's pod network (test/k8s/node.sh)
  replicas: 1,
  proxyReplicas: 1,
  resources: { db: { cpu: '50m', memory: '128Mi' }, web: { cpu: '50m' }, migrate: { cpu: '50m' }, nginx: { cpu: '20m' } },
  database: 'cloudnative-pg',
  cloudNativePg: {
    instances: 3,
    poolerInstances: 1,
    apiServer: { to: '10.200.0.1/32' },   // the node's address, where the API server listens (node.sh)
    backup: CNPG_CLUSTER_BACKUP,
  },
};

if (require.main === module) {
  const [flag, targetTime, envFrom] = process.argv.slice(2);
  const dir = runnableCopy('tau-cluster-cnpg-');
  if (flag === '--recover-to') copyFileSync(envFrom, join(dir, '.env'));
  const project = new Project({ name: 'tau', outdir: dir, logging: { level: LogLevel.OFF } });
  new KubernetesTarget(new DjangoStack(project, TAU), flag !== '--recover-to' ? CNPG_CLUSTER_TARGET : {
    ...CNPG_CLUSTER_TARGET,
    cloudNativePg: {
      ...CNPG_CLUSTER_TARGET.cloudNativePg!,
      backup: { ...CNPG_CLUSTER_BACKUP, serverName: 'db-2' },
      recovery: { from: 'db', targetTime },
    },
  });
  project.synth();
  writeFileSync(join(dir, '.projenrc.ts'), '// The stack of test/k8s/cluster-cnpg-stack.ts: synthesized there.\n');
  console.log(dir);
}
