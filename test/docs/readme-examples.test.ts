import { parse } from 'yaml';
import { cleanTempDirs } from '../helpers/synth';
import { blocksOf, declaresStack, runExample } from './examples';

/**
 * The `.projenrc.ts` examples of the README and the pages it links to, run as a user would paste them: a block
 * that declares the stack runs on its own, a block that uses `stack` runs after the README's own stack. An
 * example that no longer synthesizes fails here, not in a user's hands.
 */

const examples = blocksOf('ts');
const blocks = examples.map((e) => e.code);

afterAll(cleanTempDirs);

test('the pages have the examples this test runs', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(7);
  expect(new Set(examples.map((e) => e.page)).size).toBeGreaterThanOrEqual(3);
});

describe.each(examples.map((e) => [e.page, e.n, e.code.split('\n').find((l) => l.trim() && !l.startsWith('import'))!.trim(), e.code]))(
  '%s, example %i (%s)', (_page, _n, _first, code) => {
    test('synthesizes', () => {
      const files = runExample(code, !declaresStack(code));
      expect(files['docker-compose.yml']).toBeDefined();
    });
  });

test('the Redis cache and the Celery worker of the README, together: each on the back network with what it talks to', () => {
  const redis = blocks.find((b) => b.includes("addService('redis'"))!;
  const worker = blocks.find((b) => b.includes("addService('worker'"))!;
  const compose = parse(runExample(`${redis}\n${worker}`, true)['docker-compose.yml']);
  expect(compose.services.redis.networks).toEqual(['back']);
  expect(compose.services.worker.networks).toEqual(['back']);
  expect(compose.services.web.depends_on.redis).toEqual({ condition: 'service_healthy' });
  expect(compose.services.worker.environment.REDIS_URL).toBeDefined();
  // nginx, the exposed service, still reaches neither.
  expect(compose.services.nginx.networks).toEqual(['front']);
});
