import { randomBytes } from 'crypto';
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { LogLevel, Project } from 'projen';
import { DjangoStack, DjangoStackOptions, KubernetesTarget, KubernetesTargetOptions } from '../../src/internal';
import { TAU } from '../helpers/synth';
import { resolveLock, runnableCopy, synthesizedCopy } from '../lib/repository-copy';

/**
 * The stacks the cluster phase deploys (test/k8s/cluster-e2e.sh), each in a copy of the repository with a
 * .env of its own: the repository's, exactly as `npx projen` makes it, and a variant the model allows.
 * Prints one line per stack: `NAME DIR HOST` (HOST: the Ingress's host name).
 *
 *   node --import tsx test/k8s/cluster-stacks.ts
 */

/**
 * The S3 service the variant keeps its uploads in: versitygw (test/k8s/s3-image.sh), run on the cluster by
 * test/k8s/cluster-media-s3.sh as the Service `s3` of its own namespace, with the keys of the stack's .env.
 * Plain http: the traffic stays on the cluster's pod network.
 */
export const VARIANT_S3 = { endpoint: 'http://s3.tau-s3.svc.cluster.local:7070', accessKey: 'tau-variant-web' };

/**
 * Another stack on another cluster layout: web :8123, PostgreSQL 18, its own namespace, host and web image (both
 * stacks run on the cluster at once), 3 web pods sharing uploads in an S3 bucket, 1 nginx.
 */
export const VARIANT: DjangoStackOptions = {
  ...TAU, web: { port: 8123 }, postgres: { version: 18 },
  media: { storage: 's3', bucket: 'tau-variant-media', endpoint: VARIANT_S3.endpoint, allowPlainHttp: true },
};
export const VARIANT_TARGET: KubernetesTargetOptions = {
  namespace: 'tau-variant',
  webImage: 'tau-variant-web:local',
  webImageByTag: true,
  ingress: { className: 'nginx', host: 'variant.example.com' },
  trustedProxies: ['10.244.0.0/16'],   // the test cluster's pod network (test/k8s/node.sh)
  replicas: 3,
  proxyReplicas: 1,
};

function variantStack(): string {
  const dir = runnableCopy('tau-cluster-');
  const project = new Project({ name: 'tau-variant', outdir: dir, logging: { level: LogLevel.OFF } });
  const stack = new DjangoStack(project, VARIANT);
  new KubernetesTarget(stack, VARIANT_TARGET);
  project.synth();
  resolveLock(stack, dir);
  // The operator's part: the S3 user's keys in .env (the S3 server is started with the same ones).
  const env = readFileSync(join(dir, '.env'), 'utf-8')
    .replace(/^MEDIA_S3_ACCESS_KEY_ID=.*$/m, `MEDIA_S3_ACCESS_KEY_ID=${VARIANT_S3.accessKey}`)
    .replace(/^MEDIA_S3_SECRET_ACCESS_KEY=.*$/m, `MEDIA_S3_SECRET_ACCESS_KEY=${randomBytes(18).toString('hex')}`);
  writeFileSync(join(dir, '.env'), env);
  // The copy's .projenrc.ts would make the repository's stack again: `npx projen TASK` runs the variant's tasks only.
  writeFileSync(join(dir, '.projenrc.ts'), '// The variant stack of test/k8s/cluster-stacks.ts: synthesized there.\n');
  return dir;
}

if (require.main === module) {
  console.log(`default ${synthesizedCopy('tau-cluster-')} tau.example.com`);
  console.log(`variant ${variantStack()} ${(VARIANT_TARGET.ingress as { host: string }).host}`);
}
