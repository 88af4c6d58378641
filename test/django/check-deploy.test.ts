import { execFileSync, spawnSync } from 'child_process';
import { join, resolve } from 'path';
import { Project } from 'projen';
import { DjangoStack, DjangoStackOptions } from '../../src/internal';
import { cleanTempDirs, tempDir, TAU } from '../helpers/synth';
import { readEnvFile } from '../lib/env-file';
import { appPython } from '../lib/python-env';

afterAll(cleanTempDirs);

const ROOT = resolve(__dirname, '..', '..');

/** `manage.py check --deploy --fail-level WARNING` on the Django project with a stack's settings module and .env. */
function checkDeploy(options: DjangoStackOptions): { code: number; ids: string[]; output: string } {
  const dir = tempDir();
  execFileSync('tar', ['-C', ROOT, '-cf', join(dir, 'p.tar'), 'manage.py', 'Tau', 'library']);
  execFileSync('tar', ['-C', dir, '-xf', join(dir, 'p.tar')]);
  const project = new Project({ name: 'tau', outdir: dir });
  new DjangoStack(project, options);
  project.synth();
  // Production values: the generated .env, with the site's real host name.
  const env = { ...readEnvFile(join(dir, '.env')), DJANGO_ALLOWED_HOSTS: 'tau.example', DJANGO_CSRF_TRUSTED_ORIGINS: 'https://tau.example' };
  const result = spawnSync(appPython(), ['-B', 'manage.py', 'check', '--deploy', '--fail-level', 'WARNING'],
    { cwd: dir, encoding: 'utf-8', env: { PATH: '/usr/bin:/bin', ...env } });
  const output = `${result.stdout}${result.stderr}`;
  return { code: result.status ?? -1, ids: [...new Set(output.match(/\(security\.W\d+\)/g) ?? [])].sort(), output };
}

describe('manage.py check --deploy with production values', () => {
  test('passes at --fail-level WARNING when TLS is terminated in front of the stack', () => {
    const result = checkDeploy({ ...TAU, tls: { trustedProxies: ['10.0.0.0/8'] } });
    expect(result.output).toContain('System check identified no issues');
    expect(result.code).toBe(0);
  }, 30_000);

  test('HSTS preload is an opt-in: off by default with W021 silenced and said so; on, W021 has nothing to say', () => {
    const off = checkDeploy({ ...TAU, tls: { trustedProxies: ['10.0.0.0/8'] } });
    expect(off.output).toContain('(1 silenced)');
    const on = checkDeploy({ ...TAU, tls: { trustedProxies: ['10.0.0.0/8'], hstsPreload: true } });
    expect(on.output).toContain('System check identified no issues (0 silenced)');
    expect(on.code).toBe(0);
  }, 60_000);

  test('without TLS, exactly the TLS-related warnings remain', () => {
    const result = checkDeploy(TAU);
    expect(result.code).not.toBe(0);
    expect(result.ids).toEqual(['(security.W004)', '(security.W008)', '(security.W012)', '(security.W016)']);
  }, 30_000);
});
