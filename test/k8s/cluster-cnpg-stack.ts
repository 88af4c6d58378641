import { writeFileSync } from 'fs';
import { join } from 'path';
import { LogLevel, Project } from 'projen';
import { DjangoStack, KubernetesTarget, KubernetesTargetOptions } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { runnableCopy } from '../lib/repository-copy';

/**
 * The stack of test/k8s/cluster-cnpg.sh, in a copy of the repository with a .env of its own: the repository's
 * stack with database: 'cloudnative-pg', sized for the test node's 2 CPUs (tiny CPU requests, one web, one
 * nginx, one PgBouncer pod), without archiving (no bucket on the cluster). Prints the copy's directory.
 *
 *   node --import tsx test/k8s/cluster-cnpg-stack.ts
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
    backup: false,
  },
};

if (require.main === module) {
  const dir = runnableCopy('tau-cluster-cnpg-');
  const project = new Project({ name: 'tau', outdir: dir, logging: { level: LogLevel.OFF } });
  new KubernetesTarget(new DjangoStack(project, TAU), CNPG_CLUSTER_TARGET);
  project.synth();
  writeFileSync(join(dir, '.projenrc.ts'), '// The stack of test/k8s/cluster-cnpg-stack.ts: synthesized there.\n');
  console.log(dir);
}
