import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parseDotEnvNames } from '../../src/internal';
import { cleanTempDirs, newStack } from '../helpers/synth';
import { parseEnvFile as parseDotEnv } from '../lib/env-file';

afterAll(cleanTempDirs);

describe('.env', () => {
  test('is created on the first synthesis, mode 0600, with every .env variable of the contract', () => {
    const { project, stack, outdir } = newStack();
    project.synth();
    const path = join(outdir, '.env');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const values = parseDotEnv(readFileSync(path, 'utf-8'));
    expect(Object.keys(values)).toEqual(stack.env.all.filter((v) => v.fromDotEnv).map((v) => v.name));
    expect(values.POSTGRES_DB).toBe('tau');
    expect(values.DJANGO_DEBUG).toBe('0');
    expect(stack.dotEnv.status).toEqual({ state: 'created', unfilled: [] });
  });

  test("the generated SECRET_KEY passes Django's W009 and the password is strong", () => {
    const { project, outdir } = newStack();
    project.synth();
    const values = parseDotEnv(readFileSync(join(outdir, '.env'), 'utf-8'));
    const key = values.DJANGO_SECRET_KEY;
    // django/core/checks/security/base.py: at least 50 characters, 5 distinct, no django-insecure- prefix
    expect(key.length).toBeGreaterThanOrEqual(50);
    expect(new Set(key).size).toBeGreaterThanOrEqual(5);
    expect(key.startsWith('django-insecure-')).toBe(false);
    expect(values.POSTGRES_PASSWORD.length).toBeGreaterThanOrEqual(40);
    // Nothing compose would interpolate or a .env parser would cut.
    for (const secret of [key, values.POSTGRES_PASSWORD]) expect(secret).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test('secrets differ between two stacks', () => {
    const a = newStack(); a.project.synth();
    const b = newStack(); b.project.synth();
    const key = (dir: string) => parseDotEnv(readFileSync(join(dir, '.env'), 'utf-8')).DJANGO_SECRET_KEY;
    expect(key(a.outdir)).not.toBe(key(b.outdir));
  });

  test("a user's .env is never rewritten, even when the contract grows", () => {
    // GIVEN a user's own .env
    const { project, outdir } = newStack();
    const path = join(outdir, '.env');
    writeFileSync(path, '# mine\nDJANGO_SECRET_KEY=my-own-secret\n');
    chmodSync(path, 0o640);
    project.synth();
    // WHEN the stack gains a variable that has no default
    const grown = newStack(undefined, outdir);
    grown.stack.env.add('SENTRY_DSN', { description: 'Error reporting', secret: true, for: [grown.stack.web] });
    grown.project.synth();
    // THEN the file is untouched, and the missing names are reported
    expect(readFileSync(path, 'utf-8')).toBe('# mine\nDJANGO_SECRET_KEY=my-own-secret\n');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(grown.stack.dotEnv.status).toEqual({ state: 'kept', missing: ['POSTGRES_PASSWORD', 'POSTGRES_APP_PASSWORD', 'POSTGRES_WEB_PASSWORD', 'SENTRY_DSN'] });
  });

  test('a secret without a generator is left empty and reported', () => {
    const { project, stack, outdir } = newStack();
    stack.env.add('SENTRY_DSN', { description: 'Error reporting', secret: true, for: [stack.web] });
    project.synth();
    expect(parseDotEnv(readFileSync(join(outdir, '.env'), 'utf-8')).SENTRY_DSN).toBe('');
    expect(stack.dotEnv.status).toEqual({ state: 'created', unfilled: ['SENTRY_DSN'] });
  });

  test('is not written when synthesis fails', () => {
    const { project, outdir } = newStack({ django: { project: 'Tau', requirements: ['Django~=5.2.0'] }, postgres: { version: 14 } });
    expect(() => project.synth()).toThrow();
    expect(existsSync(join(outdir, '.env'))).toBe(false);
  });

  test('names are read from a .env with comments, blank lines and export', () => {
    expect([...parseDotEnvNames('# c\n\nexport A=1\nB = 2\n  C=\nnot a line\n')]).toEqual(['A', 'B', 'C']);
  });
});
