import { parse } from 'yaml';
import { Duration, KubernetesTarget, StackValidationError } from '../../src/internal';
import { cleanTempDirs, newStack, readTree, synthFiles, TAU } from '../helpers/synth';
import { TAU_K8S } from '../k8s/k8s-helpers';

afterAll(cleanTempDirs);

/** Synthesizes and returns the validation error's message, checking that nothing was written. */
function refusal(options: any, kubernetes?: Record<string, unknown>): string {
  const { project, stack, outdir } = newStack(options);
  if (kubernetes) new KubernetesTarget(stack, { ...TAU_K8S, ...kubernetes });
  try {
    project.synth();
  } catch (e) {
    expect(e).toBeInstanceOf(StackValidationError);
    expect([...readTree(outdir).keys()]).toEqual([]);
    return (e as Error).message;
  }
  throw new Error('synthesis succeeded, but a problem was expected');
}

describe("web's connection pool", () => {
  test('on by default: 1 to 2 connections per worker, a request waits at most web.requestTimeout, checked before use', () => {
    const settings = synthFiles(TAU)['Tau/settings_env.py'];
    expect(settings).toContain('"CONN_MAX_AGE": 0,');
    expect(settings).toContain('"CONN_HEALTH_CHECKS": True,');
    expect(settings).toMatch(/"pool": \{\n\s+"min_size": 1,\n\s+(\s+#.*\n)?\s+"max_size": 2,\n(\s+#.*\n)?\s+"timeout": 30,\n\s+\},/);
  });

  test('sizes and the wait are the model\'s', () => {
    const settings = synthFiles({ ...TAU, web: { ...TAU.web, databasePool: { minSize: 2, maxSize: 8, timeout: Duration.seconds(5) } } })['Tau/settings_env.py'];
    expect(settings).toMatch(/"min_size": 2,\n(\s+#.*\n)?\s+"max_size": 8,\n(\s+#.*\n)?\s+"timeout": 5,/);
  });

  test('off: a connection per request, no pool', () => {
    const settings = synthFiles({ ...TAU, web: { ...TAU.web, databasePool: false } })['Tau/settings_env.py'];
    expect(settings).not.toContain('"pool"');
    expect(settings).toContain('"CONN_MAX_AGE": 0,');
  });

  test('postgres.maxConnections reaches the server\'s command line on compose and Kubernetes, written once in the model', () => {
    const files = synthFiles({ ...TAU, postgres: { ...TAU.postgres, maxConnections: 250 } }, (stack) => void new KubernetesTarget(stack, TAU_K8S));
    const command = ['postgres', '-c', 'max_connections=250'];
    // On one host after WAL archiving's settings (postgres.archive); on the cluster, alone.
    expect(parse(files['docker-compose.yml']).services.db.command.slice(-2)).toEqual(command.slice(1));
    const db = parse(files['k8s/workloads/db.yaml'].split('\n---\n').find((d: string) => /kind: StatefulSet/.test(d))!);
    expect(db.spec.template.spec.containers[0].args).toEqual(command);
  });
});

describe('a stack whose pools do not fit in the database is refused, naming the numbers', () => {
  test('compose: web and its replacement during a redeploy, each worker with its pool and the health check', () => {
    // 2 × 8 workers × (5 + 1) = 96 > 100 − 10
    expect(refusal({ ...TAU, web: { ...TAU.web, workers: 8, databasePool: { maxSize: 5 } } }))
      .toMatch(/web: replicas × web.workers × \(web.databasePool.maxSize \+ 1\) = "2 × 8 × 6 = 96 connections \(2 replicas: 1, and its replacement during ops\/redeploy.sh\)"; at most postgres.maxConnections − postgres.reservedConnections = 100 − 10 = 90/);
  });

  test('compose: the same stack fits with a larger max_connections, or without a pool', () => {
    const web = { ...TAU.web, workers: 8, databasePool: { maxSize: 5 } };
    expect(() => synthFiles({ ...TAU, web, postgres: { ...TAU.postgres, maxConnections: 120 } })).not.toThrow();
    expect(() => synthFiles({ ...TAU, web: { ...web, databasePool: false } })).not.toThrow();
  });

  test('Kubernetes: the replicas, and a rollout\'s extra pod', () => {
    // (14 + 1) × 2 workers × (2 + 1) = 90 fits exactly in 100 − 10; 15 replicas do not.
    expect(() => {
      const { project, stack } = newStack(TAU);
      new KubernetesTarget(stack, { ...TAU_K8S, replicas: 14 });
      project.synth();
    }).not.toThrow();
    expect(refusal(TAU, { replicas: 15 }))
      .toMatch(/kubernetes: replicas × web.workers × \(web.databasePool.maxSize \+ 1\) = "16 × 2 × 3 = 96 connections \(16 replicas: replicas 15, and a rollout's extra pod\)"; at most .* = 100 − 10 = 90/);
  });

  test('Kubernetes: the autoscaler\'s ceiling, not its floor', () => {
    expect(refusal(TAU, { autoscaling: { minReplicas: 2, maxReplicas: 20 } }))
      .toMatch(/kubernetes: autoscaling.maxReplicas × web.workers × \(web.databasePool.maxSize \+ 1\) = "21 × 2 × 3 = 126 connections/);
  });
});

describe('bad pool and connection options are named', () => {
  test.each([
    ['a pool larger than 100', { databasePool: { maxSize: 500 } }, /web.databasePool: maxSize = 500; a whole number from 1 to 100/],
    ['minSize above maxSize', { databasePool: { minSize: 5, maxSize: 2 } }, /web.databasePool: minSize = 5; at most maxSize \(2\)/],
    ['a wait longer than a request', { databasePool: { timeout: Duration.minutes(5) } }, /web.databasePool: timeout = "5 m"; .*at most 30 s/],
    ['a misspelt pool option', { databasePool: { maxsize: 3 } }, /web.databasePool: maxsize = 3; not an option; did you mean "maxSize"\?/],
    ['a pool that is neither a switch nor options', { databasePool: 'yes' }, /web: databasePool = "yes"; true, false or \{ minSize, maxSize, timeout \}/],
  ])('%s', (_name, web, message) => {
    expect(refusal({ ...TAU, web: { ...TAU.web, ...web } })).toMatch(message);
  });

  test.each([
    ['max_connections below 20', { maxConnections: 5 }, /postgres: maxConnections = 5; a whole number from 20 to 10000/],
    ['a reserve that leaves nothing for superusers', { reservedConnections: 2 }, /postgres: reservedConnections = 2; a whole number above 3 .* and below maxConnections \(100\)/],
    ['a reserve as large as max_connections', { maxConnections: 50, reservedConnections: 50 }, /postgres: reservedConnections = 50; .*below maxConnections \(50\)/],
  ])('%s', (_name, postgres, message) => {
    expect(refusal({ ...TAU, postgres: { ...TAU.postgres, ...postgres } })).toMatch(message);
  });
});
