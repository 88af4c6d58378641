import { readFileSync } from 'fs';
import { join } from 'path';
import { cleanTempDirs, newStack } from '../helpers/synth';
import { dockerCompose } from '../lib/docker-compose';
import { run } from '../validators';

afterAll(cleanTempDirs);

/** Service -> the variables docs/ENVIRONMENT.md says it reads, from the table's "Variable" and "Read by" columns. */
function documented(markdown: string): Record<string, string[]> {
  const readers: Record<string, string[]> = {};
  for (const line of markdown.split('\n')) {
    const m = /^\| `([A-Z0-9_]+)` \| ([^|]+) \|/.exec(line);
    if (!m) continue;
    for (const service of m[2].split(',').map((s) => s.trim())) (readers[service] ??= []).push(m[1]);
  }
  return readers;
}

/** Service -> the variables its container gets, as docker compose itself reads the compose file and .env. */
function received(dir: string): Record<string, string[]> {
  const r = run(dockerCompose(), ['--file', 'docker-compose.yml', 'config', '--format', 'json'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  const services: Record<string, { environment?: Record<string, string> }> = JSON.parse(r.stdout).services;
  return Object.fromEntries(Object.entries(services)
    .filter(([, s]) => s.environment)
    .map(([name, s]) => [name, Object.keys(s.environment!)]));
}

describe('docs/ENVIRONMENT.md says what each container really gets', () => {
  test('the default stack: the database gets its own variables (superuser, the two roles of the app, database) and no Django secret; nginx gets none', () => {
    const { project, outdir } = newStack();
    project.synth();
    const docs = documented(readFileSync(join(outdir, 'docs/ENVIRONMENT.md'), 'utf-8'));
    const compose = received(outdir);
    expect(Object.keys(compose).sort()).toEqual(Object.keys(docs).sort());
    for (const service of Object.keys(docs)) expect(compose[service].sort()).toEqual(docs[service].sort());
    expect(compose.db.sort()).toEqual(['POSTGRES_APP_PASSWORD', 'POSTGRES_APP_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD', 'POSTGRES_USER', 'POSTGRES_WEB_PASSWORD', 'POSTGRES_WEB_USER']);
    expect(compose.nginx).toBeUndefined();
  }, 30_000);

  test('a worker given the web environment, and a cache URL for web only', () => {
    const { project, stack, outdir } = newStack();
    const redis = stack.addService('redis', { image: 'redis:7.4-alpine', port: 6379 });
    const worker = stack.addService('worker', { image: stack.web.image, command: ['celery', '-A', 'Tau', 'worker'] });
    stack.env.share(stack.web, worker);
    stack.env.add('REDIS_URL', { description: 'Cache', value: redis.url('redis', 6379, '/0'), for: [stack.web] });
    project.synth();
    const docs = documented(readFileSync(join(outdir, 'docs/ENVIRONMENT.md'), 'utf-8'));
    const compose = received(outdir);
    for (const service of Object.keys(docs)) expect(compose[service].sort()).toEqual(docs[service].sort());
    expect(compose.web).toContain('REDIS_URL');
    expect(compose.worker).not.toContain('REDIS_URL');
    expect(compose.redis).toBeUndefined();
  }, 30_000);
});
