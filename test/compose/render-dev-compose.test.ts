import { readdirSync } from 'fs';
import { parse } from 'yaml';
import { cleanTempDirs, newStack, synthFiles, TAU } from '../helpers/synth';
import { dockerCompose } from '../lib/docker-compose';
import { composeSchema, run } from '../validators';

afterAll(cleanTempDirs);

/** What `docker compose config` makes of the project in `dir` with these files. */
function config(dir: string, files: string[]): any {
  const r = run(dockerCompose(), [...files.flatMap((f) => ['--file', f]), 'config', '--format', 'json'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('docker-compose.dev.yml', () => {
  const files = synthFiles();
  const dev = parse(files['docker-compose.dev.yml']);

  test('web: the reloading server on the working tree, DEBUG on, its port on 127.0.0.1 only', () => {
    expect(dev.services.web).toEqual({
      command: ['uvicorn', 'Tau.asgi:application', '--host', '0.0.0.0', '--port', '8000', '--reload', '--reload-dir', '/app'],
      environment: { DJANGO_DEBUG: '1' },
      ports: ['127.0.0.1:8000:8000'],
      volumes: ['.:/app'],
    });
    expect(dev.services.db).toEqual({ ports: ['127.0.0.1:5432:5432'] });
    // The one-shot release service migrates from the working tree too.
    expect(dev.services.migrate).toEqual({ volumes: ['.:/app'] });
    expect(Object.keys(dev.services)).toEqual(['web', 'migrate', 'db']);
  });

  test('follows the model: another web port and workdir', () => {
    const other = parse(synthFiles({ ...TAU, web: { port: 8123 }, django: { ...TAU.django, image: { workdir: '/srv/tau' } } })['docker-compose.dev.yml']);
    expect(other.services.web.ports).toEqual(['127.0.0.1:8123:8123']);
    expect(other.services.web.volumes).toEqual(['.:/srv/tau']);
    expect(other.services.web.command).toContain('8123');
  });

  test('is a valid compose file alone (the schema) and over the production file (docker compose config)', () => {
    expect(composeSchema(files['docker-compose.dev.yml'])).toEqual([]);
    const { project, outdir } = newStack();
    project.synth();
    const merged = config(outdir, ['docker-compose.yml', 'docker-compose.dev.yml']);
    expect(merged.services.web.command.slice(0, 2)).toEqual(['uvicorn', 'Tau.asgi:application']);
    expect(merged.services.web.environment.DJANGO_DEBUG).toBe('1');
    // The production variables are still there, from .env.
    expect(merged.services.web.environment.DJANGO_SECRET_KEY).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(merged.services.web.ports).toEqual([expect.objectContaining({ host_ip: '127.0.0.1', published: '8000', target: 8000 })]);
    expect(merged.services.web.volumes.map((v: any) => v.target).sort()).toEqual(['/app', '/app/mediafiles', '/app/staticfiles']);
  }, 30_000);

  test('a plain docker compose up never picks it: not an override file compose loads by itself', () => {
    const { project, outdir } = newStack();
    project.synth();
    const names = readdirSync(outdir);
    expect(names).toContain('docker-compose.dev.yml');
    for (const auto of ['docker-compose.override.yml', 'docker-compose.override.yaml', 'compose.override.yml', 'compose.override.yaml']) expect(names).not.toContain(auto);
    const plain = run(dockerCompose(), ['config', '--format', 'json'], { cwd: outdir });
    const web = JSON.parse(plain.stdout).services.web;
    // The image's own command (Gunicorn), no reloading server.
    expect(web.command ?? null).toBeNull();
    expect(web.environment.DJANGO_DEBUG).toBe('0');
    expect(web.ports).toBeUndefined();
  }, 30_000);

  test('development: false writes no overlay', () => {
    expect(synthFiles({ ...TAU, development: false })['docker-compose.dev.yml']).toBeUndefined();
  });
});
