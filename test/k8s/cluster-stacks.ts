import { writeFileSync } from 'fs';
import { join } from 'path';
import { LogLevel, Project } from 'projen';
import { DjangoStack, DjangoStackOptions, KubernetesTarget, KubernetesTargetOptions } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { runnableCopy, synthesizedCopy } from '../lib/repository-copy';

/**
 * The stacks the cluster phase deploys (test/k8s/cluster-e2e.sh), each in a copy of the repository with a
 * .env of its own: the repository's, exactly as `npx projen` makes it, and a variant the model allows.
 * Prints one line per stack: `NAME DIR HOST` (HOST: the Ingress's host name).
 *
 *   node --import tsx test/k8s/cluster-stacks.ts
 */

/**
 * Another stack on another cluster layout: web :8123, PostgreSQL 18, its own namespace, host and web image (both
 * stacks run on the cluster at once), 3 web pods, 1 nginx, media ReadWriteOnce.
 */
export const VARIANT: DjangoStackOptions = { ...TAU, web: { port: 8123 }, postgres: { version: 18 } };
export const VARIANT_TARGET: KubernetesTargetOptions = {
  namespace: 'tau-variant',
  webImage: 'tau-variant-web:local',
  webImageByTag: true,
  ingress: { className: 'nginx', host: 'variant.example.com' },
  trustedProxies: ['10.244.0.0/16'],   // the test cluster's pod network (test/k8s/node.sh)
  replicas: 3,
  proxyReplicas: 1,
  storage: { mediaAccessMode: 'ReadWriteOnce' },
};

function variantStack(): string {
  const dir = runnableCopy('tau-cluster-');
  const project = new Project({ name: 'tau-variant', outdir: dir, logging: { level: LogLevel.OFF } });
  new KubernetesTarget(new DjangoStack(project, VARIANT), VARIANT_TARGET);
  project.synth();
  // The copy's .projenrc.ts would make the repository's stack again: `npx projen TASK` runs the variant's tasks only.
  writeFileSync(join(dir, '.projenrc.ts'), '// The variant stack of test/k8s/cluster-stacks.ts: synthesized there.\n');
  return dir;
}

if (require.main === module) {
  console.log(`default ${synthesizedCopy('tau-cluster-')} tau.example.com`);
  console.log(`variant ${variantStack()} ${(VARIANT_TARGET.ingress as { host: string }).host}`);
}
