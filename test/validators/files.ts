import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { appPython, pythonTool } from '../lib/python-env';
import { requireTool, run } from './tools';

export function shellcheck(path: string): string[] {
  requireTool('shellcheck');
  const result = run('shellcheck', ['--format=gcc', path]);
  return result.code === 0 ? [] : [`shellcheck: ${result.stdout.trim() || result.stderr.trim()}`];
}

export function yamllint(paths: readonly string[]): string[] {
  const result = run(pythonTool('yamllint'), ['-f', 'parsable', '-c', join(__dirname, 'yamllint.yml'), ...paths]);
  return result.code === 0 && result.stdout.trim() === '' ? [] : [`yamllint: ${result.stdout.trim() || result.stderr.trim()}`];
}

/**
 * Compiles the generated settings module and imports it under the pinned Django (the app's virtualenv), with
 * the stack's own .env as the environment; prints the values a deployment depends on.
 */
export function importSettings(dir: string, project: string, env: Record<string, string>): { problems: string[]; values?: any } {
  const probe = mkdtempSync(join(tmpdir(), 'tau-settings-'));
  try {
    const script = join(probe, 'probe.py');
    writeFileSync(script, [
      'import json, py_compile, sys',
      `py_compile.compile(${JSON.stringify(join(dir, project, 'settings_env.py'))}, cfile=${JSON.stringify(join(probe, 'settings_env.pyc'))}, doraise=True)`,
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      `import ${project}.settings_env as s`,
      'print(json.dumps({k: getattr(s, k) for k in dir(s) if k.isupper()}, default=str))',
    ].join('\n'));
    const result = run(appPython(), ['-B', script], { env: { PATH: '/usr/bin:/bin', ...env } });
    if (result.code !== 0) return { problems: [`settings module: ${result.stderr.trim()}`] };
    return { problems: [], values: JSON.parse(result.stdout) };
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
