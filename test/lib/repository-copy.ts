import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import type { DjangoStack } from '../../src/internal';

export const ROOT = resolve(__dirname, '..', '..');

/**
 * A copy of the repository's files as the working tree has them (the Django project among them) in a new
 * temporary directory: tracked files that exist, and new files git does not ignore.
 */
export function copyRepository(prefix = 'tau-copy-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf-8' })
    .split('\0').filter((f) => f && f !== 'node_modules' && existsSync(join(ROOT, f)));
  execFileSync('tar', ['-C', ROOT, '-cf', join(dir, '.files.tar'), ...files]);
  execFileSync('tar', ['-C', dir, '-xf', join(dir, '.files.tar')]);
  rmSync(join(dir, '.files.tar'));
  return dir;
}

/** A copy that shares this checkout's node_modules, so `npx projen` and `.projenrc.ts` run in it. */
export function runnableCopy(prefix = 'tau-copy-'): string {
  const dir = copyRepository(prefix);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** The stack exactly as `npx projen` makes it from the real .projenrc.ts, in a copy (with a .env of its own). */
export function synthesizedCopy(prefix = 'tau-copy-'): string {
  const dir = runnableCopy(prefix);
  execFileSync(process.execPath, ['--import', 'tsx', '.projenrc.ts'], { cwd: dir, stdio: 'ignore' });
  return dir;
}

/**
 * What `npx projen lock` does, for a stack synthesized into `dir` whose requirements differ from the
 * repository's (s3 media adds django-storages and boto3): uv resolves its requirements.txt into its lock.
 * Returns the lock's text.
 */
export function resolveLock(stack: DjangoStack, dir: string): string {
  const uv = execFileSync('bash', [join(ROOT, 'scripts', 'python-env.sh'), 'tools'], { encoding: 'utf-8' }).trim().split('\n').pop()!;
  const [command, ...args] = stack.lock.command(stack.requirements.file);
  execFileSync(join(uv, command), args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return readFileSync(join(dir, stack.lock.file), 'utf-8');
}
