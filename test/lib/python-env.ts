import { execFileSync } from 'child_process';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');
const bins = new Map<string, string>();

/**
 * The bin/ directory of a virtualenv installed from a hash-locked requirements file (scripts/python-env.sh):
 * `app` is the app's dependency set as the image installs it, `tools` the linters the tests run. Built on
 * first use, then reused while the lock is unchanged.
 */
export function pythonEnv(name: 'app' | 'tools'): string {
  let bin = bins.get(name);
  if (!bin) {
    bin = execFileSync('bash', [join(ROOT, 'scripts', 'python-env.sh'), name], { encoding: 'utf-8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    bins.set(name, bin);
  }
  return bin;
}

/** The Python of the app's virtualenv: the pinned Django, graphene-django, gunicorn and uvicorn. */
export function appPython(): string {
  return join(pythonEnv('app'), 'python');
}

/** A tool installed from test/tools/requirements.lock (hadolint, yamllint, uv). */
export function pythonTool(name: string): string {
  return join(pythonEnv('tools'), name);
}
