import { chmodSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { cleanTempDirs, newStack } from '../helpers/synth';
import { readEnvFile } from '../lib/env-file';
import {
  composeSchema, dockerComposeConfig, dockerfilePolicy, hadolint, importSettings, lintDockerfile, nginxTest,
  shellcheck, validateInProcess, validateWithRealTools, yamllint,
} from '.';

afterAll(cleanTempDirs);

const { project, stack, outdir } = newStack();
project.synth();
const read = (p: string) => readFileSync(join(outdir, p), 'utf-8');
const hosts = stack.services.map((s) => s.name);

describe('the default Tau stack passes every real consumer', () => {
  test('in-process validators: compose schema, dockerfile-utils, Dockerfile policy', () => {
    expect(validateInProcess(outdir)).toEqual([]);
  });

  test('real tools: nginx -t, docker compose config, hadolint, shellcheck, yamllint, the settings module under Python', () => {
    expect(validateWithRealTools(outdir, stack)).toEqual([]);
  });
});

describe('a deliberately broken output is caught by the matching tool', () => {
  test('nginx -t: an unknown directive', () => {
    expect(nginxTest(read('nginx/default.conf').replace('server_tokens off;', 'server_tokens off;\n    proxy_bogus on;'), hosts))
      .toEqual([expect.stringMatching(/unknown directive "proxy_bogus"/)]);
  });

  test('nginx -t: proxy_pass to a variable that is never set', () => {
    expect(nginxTest(read('nginx/default.conf').replace(/^\s*set \$web_upstream .*$/m, ''), hosts))
      .toEqual([expect.stringMatching(/unknown "web_upstream" variable/)]);
  });

  test('docker compose config: a mount of an undeclared volume', () => {
    const dir = newStack().outdir;
    const broken = newStack(undefined, dir);
    broken.project.synth();
    const path = join(dir, 'docker-compose.yml');
    chmodSync(path, 0o644);
    writeFileSync(path, readFileSync(path, 'utf-8').replace('- media_volume:/app/mediafiles', '- cache_volume:/app/cache'));
    expect(dockerComposeConfig(dir)).toEqual([expect.stringMatching(/service "web" refers to undefined volume cache_volume/)]);
  });

  test('compose schema: a misspelt key', () => {
    expect(composeSchema(read('docker-compose.yml').replace('    restart: unless-stopped', '    restarts: unless-stopped')))
      .toEqual(expect.arrayContaining([expect.stringMatching(/must NOT have additional properties/)]));
  });

  test('dockerfile-utils: an instruction with a missing argument', () => {
    expect(lintDockerfile(read('Dockerfile').replace('EXPOSE 8000', 'EXPOSE'))).not.toEqual([]);
  });

  test('hadolint: an unpinned apt-get install, and a user by name', () => {
    const broken = read('Dockerfile')
      .replace('RUN python -m venv', 'RUN apt-get install -y curl\nRUN python -m venv')
      .replace('USER 10001:10001', 'USER app');
    expect(hadolint(broken)).toEqual(expect.arrayContaining([
      expect.stringMatching(/DL3008 warning: Pin versions in apt get install/),
      expect.stringMatching(/DL3066 info: Non-numeric user-id/),
    ]));
  });

  test('Dockerfile policy: root, latest, a baked secret and the source copied first', () => {
    const broken = read('Dockerfile')
      .replace('USER 10001:10001', 'USER root')
      .replace('FROM python:3.12-slim AS build', 'FROM python:latest AS build\nCOPY . .')
      .replace('ENV PYTHONDONTWRITEBYTECODE=1', 'ENV DJANGO_SECRET_KEY=abc PYTHONDONTWRITEBYTECODE=1');
    expect(dockerfilePolicy(broken)).toEqual([
      'FROM python:latest: the base image is not pinned',
      'the final stage runs as root: it must name a non-root USER',
      'ENV DJANGO_SECRET_KEY: a secret-looking name is baked into the image',
      'the source is copied before the dependencies are installed: every code change reinstalls them',
    ]);
  });

  test('shellcheck: an unquoted expansion', () => {
    const path = join(newStack().outdir, 'entrypoint.sh');
    writeFileSync(path, read('docker-entrypoint.sh').replace('exec "$@"', 'exec $@'));
    expect(shellcheck(path)).toEqual([expect.stringMatching(/SC2068/)]);
  });

  test('yamllint: a duplicated key', () => {
    const path = join(newStack().outdir, 'compose.yml');
    writeFileSync(path, read('docker-compose.yml').replace('    image: tau-web\n', '    image: tau-web\n    image: other\n'));
    expect(yamllint([path])).toEqual([expect.stringMatching(/duplication of key "image"/)]);
  });

  test('the settings module: a missing secret stops the import', () => {
    const env = readEnvFile(join(outdir, '.env'));
    delete env.DJANGO_SECRET_KEY;
    expect(importSettings(outdir, 'Tau', env).problems).toEqual([expect.stringMatching(/DJANGO_SECRET_KEY is required and not set/)]);
  });
});
