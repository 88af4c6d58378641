import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { quoteEnvValue } from '../../src/internal';
import { cleanTempDirs, newStack } from '../helpers/synth';
import { dockerCompose } from '../lib/docker-compose';
import { appPython } from '../lib/python-env';
import { importSettings, run } from '../validators';

afterAll(cleanTempDirs);

/**
 * Values as awkward as users' secrets and settings get: each must read back exactly as written, through
 * docker compose (the file's interpolation and .env), python-dotenv, and Django's own settings. (`${NAME}` is
 * where those readers part: python-dotenv expands it even between single quotes, compose does not. The model
 * refuses a `}` in what it writes, so it never writes one.)
 */
const AWKWARD = [
  'a#b # not a comment',
  '"double" quoted',
  '$HOME and $PATH and $$ and a lone $',
  '  spaces around  ',
  'back\\slash\\n and \\t',
  'café ✓ 日本語',
  'a=b;c|d&e*f?[g]',
  '`ticks` <angles> %percent%',
];

/**
 * A default is also written into the compose file as `${NAME:-default}`, where a `}` would end it: the model
 * refuses one (as it refuses a single quote), so this default has all the rest.
 */
const DEFAULT = AWKWARD.join(' ').replace(/[{}]/g, '');

/** The stack, a custom variable with an awkward default, and a .env holding `value` for the secrets and that variable. */
function stackWith(value: string, options: { omitCustom?: boolean } = {}): string {
  const { project, stack, outdir } = newStack();
  stack.env.add('GREETING', { description: 'An awkward default', default: DEFAULT, for: [stack.web] });
  project.synth();
  const env = readFileSync(join(outdir, '.env'), 'utf-8')
    .replace(/^(DJANGO_SECRET_KEY|POSTGRES_WEB_PASSWORD)=.*$/gm, (_line, name) => `${name}=${quoteEnvValue(value)}`)
    .replace(/^GREETING=.*$/m, () => (options.omitCustom ? '' : `GREETING=${quoteEnvValue(value)}`));
  writeFileSync(join(outdir, '.env'), env);
  return outdir;
}

/**
 * What docker compose hands the web container. `config` writes a file compose can read again, so a literal
 * `$` comes out as `$$`: undone here to get the value the container sees.
 */
function composeEnvironment(dir: string): Record<string, string> {
  const r = run(dockerCompose(), ['--file', 'docker-compose.yml', 'config', '--format', 'json'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  const environment: Record<string, string> = JSON.parse(r.stdout).services.web.environment;
  return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, v.replace(/\$\$/g, '$')]));
}

function dotenvValues(dir: string): Record<string, string> {
  const r = run(appPython(), ['-c', 'import json, sys; from dotenv import dotenv_values; print(json.dumps(dotenv_values(sys.argv[1])))', join(dir, '.env')]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('awkward values read back exactly', () => {
  test.each(AWKWARD)('%j through docker compose, python-dotenv and Django', (value) => {
    const dir = stackWith(value);
    const composed = composeEnvironment(dir);
    expect([composed.DJANGO_SECRET_KEY, composed.POSTGRES_WEB_PASSWORD, composed.GREETING]).toEqual([value, value, value]);
    const dotenv = dotenvValues(dir);
    expect([dotenv.DJANGO_SECRET_KEY, dotenv.POSTGRES_WEB_PASSWORD, dotenv.GREETING]).toEqual([value, value, value]);
    const settings = importSettings(dir, 'Tau', composed);
    expect(settings.problems).toEqual([]);
    expect([settings.values.SECRET_KEY, settings.values.DATABASES.default.PASSWORD]).toEqual([value, value]);
  }, 30_000);

  test("a default reaches the container as written when .env does not set it (compose's ${NAME:-default})", () => {
    const dir = stackWith('x', { omitCustom: true });
    expect(composeEnvironment(dir).GREETING).toBe(DEFAULT);
  }, 30_000);

  test('a new .env holds a default so that both readers get it back', () => {
    const { project, stack, outdir } = newStack();
    stack.env.add('GREETING', { description: 'An awkward default', default: DEFAULT, for: [stack.web] });
    project.synth();
    expect(dotenvValues(outdir).GREETING).toBe(DEFAULT);
    expect(composeEnvironment(outdir).GREETING).toBe(DEFAULT);
  }, 30_000);
});
