import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { transformSync } from 'esbuild';
import { Project } from 'projen';
import { parse } from 'yaml';
import * as tau from '../../src';
import { cleanTempDirs, readTree, TAU, tempDir } from '../helpers/synth';
import { writeTestCa } from '../lib/test-ca';

/**
 * The `.projenrc.ts` examples of the README and the pages it links to, run as a user would paste them: a block
 * that declares the stack runs on its own, a block that uses `stack` runs after the README's own stack. An
 * example that no longer synthesizes fails here, not in a user's hands.
 */

const ROOT = join(__dirname, '..', '..');
/** The hand-written pages (docs/ARCHITECTURE.md and docs/ENVIRONMENT.md are synthesized, and hold no example). */
const PAGES = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The TypeScript blocks of every page, in order. */
const examples = PAGES.flatMap((page) => [...readFileSync(join(ROOT, page), 'utf-8').matchAll(/```ts\n([^]*?)```/g)]
  .map((m, i) => ({ page, n: i + 1, code: m[1] })));
const blocks = examples.map((e) => e.code);

/** Runs `code` (TypeScript) with every export of src/ in scope, `project`, and `stack` when given one; returns the files it synthesized. */
function runExample(code: string, withStack: boolean): Record<string, string> {
  const outdir = tempDir();
  // An external database's CA file is the user's: the example's path gets a CA certificate made for the test.
  for (const m of code.matchAll(/caFile: '([^']+)'/g)) writeTestCa(outdir, m[1]);
  const project = new Project({ name: 'tau', outdir });
  const stack = withStack ? new tau.DjangoStack(project, TAU) : undefined;
  // The imports name src/, whose exports are in scope already; `...,` stands for the rest of the stack's options.
  const body = code.replace(/^import .* from '\.\/src';$/gm, '').replace(/^(\s*)\.\.\.,$/gm, '$1...TAU,');
  const js = transformSync(body, { loader: 'ts', format: 'cjs' }).code;
  const names = Object.keys(tau);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('project', 'stack', 'TAU', ...names, `{\n${js}\n}`)(project, stack, TAU, ...names.map((n) => (tau as Record<string, unknown>)[n]));
  project.synth();
  return Object.fromEntries([...readTree(outdir)].map(([path, state]) => [path, state.content]));
}

afterAll(cleanTempDirs);

test('the pages have the examples this test runs', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(7);
  expect(new Set(examples.map((e) => e.page)).size).toBeGreaterThanOrEqual(3);
});

describe.each(examples.map((e) => [e.page, e.n, e.code.split('\n').find((l) => l.trim() && !l.startsWith('import'))!.trim(), e.code]))(
  '%s, example %i (%s)', (_page, _n, _first, code) => {
    test('synthesizes', () => {
      const declaresStack = /new DjangoStack\(project/.test(code);
      const files = runExample(code, !declaresStack);
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
