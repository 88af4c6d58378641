import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { DjangoStack } from '../../src/internal';
import { composeSchema, dockerComposeConfig } from './compose';
import { dockerfilePolicy, hadolint, lintDockerfile } from './dockerfile';
import { readEnvFile } from '../lib/env-file';
import { importSettings, shellcheck, yamllint } from './files';
import { nginxTest } from './nginx';

export * from './compose';
export * from './dockerfile';
export * from './files';
export * from './nginx';
export * from './tools';
export * from './mermaid';

/** The validators that run in-process (fast enough for every generated case). */
export function validateInProcess(dir: string): string[] {
  const read = (p: string) => readFileSync(join(dir, p), 'utf-8');
  return [...composeSchema(read('docker-compose.yml')), ...lintDockerfile(read('Dockerfile')), ...dockerfilePolicy(read('Dockerfile'))];
}

/** Every real tool over a synthesized stack; returns each problem found (empty when all pass). */
export function validateWithRealTools(dir: string, stack: DjangoStack): string[] {
  const settings = importSettings(dir, stack.djangoProject, readEnvFile(join(dir, stack.envFile)));
  const problems = [
    ...nginxTest(readFileSync(join(dir, 'nginx/default.conf'), 'utf-8'), stack.services.map((s) => s.name), readFileSync(join(dir, 'nginx/nginx.conf'), 'utf-8')),
    ...dockerComposeConfig(dir),
    ...hadolint(readFileSync(join(dir, 'Dockerfile'), 'utf-8')),
    // Every shell script the model writes (entrypoint, ops/, the database role, nginx's and the ACME client's).
    ...(JSON.parse(readFileSync(join(dir, '.projen/files.json'), 'utf-8')).files as string[])
      .filter((f) => f.endsWith('.sh')).flatMap((f) => shellcheck(join(dir, f))),
    ...yamllint([join(dir, 'docker-compose.yml'), join(dir, '.github/workflows/ci.yml')].filter((p) => existsSync(p))),
    ...settings.problems,
  ];
  if (settings.values) {
    // The settings module agrees with the model it was generated from.
    const expect = {
      STATIC_URL: stack.staticFiles.url,
      STATIC_ROOT: stack.web.mountPathOf(stack.staticFiles.volume),
      ...(stack.mediaFiles ? { MEDIA_URL: stack.mediaFiles.url, MEDIA_ROOT: stack.web.mountPathOf(stack.mediaFiles.volume) } : {}),
      HEALTH_CHECK_PATH: stack.healthPath,
    };
    for (const [key, value] of Object.entries(expect)) {
      if (settings.values[key] !== value) problems.push(`settings module: ${key} is ${settings.values[key]}, the model says ${value}`);
    }
  }
  return problems;
}
