import { mkdirSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { buildContextFiles } from './build-context';
import { cleanTempDirs, tempDir } from '../helpers/synth';

afterAll(cleanTempDirs);

const ROOT = resolve(__dirname, '..', '..');

describe('the build context of this repository', () => {
  const files = buildContextFiles(ROOT);
  const paths = files.map((f) => f.path);

  test('never holds .env, .git or node_modules', () => {
    expect(paths.filter((p) => /^(\.env|\.git|node_modules)(\/|$|\.)/.test(p))).toEqual([]);
  });

  test('holds what the image runs', () => {
    expect(paths).toEqual(expect.arrayContaining(['manage.py', 'requirements.txt', 'docker-entrypoint.sh', 'Tau/settings.py', 'Tau/settings_env.py', 'library/models.py']));
  });

  test('is small', () => {
    expect(files.reduce((n, f) => n + f.size, 0)).toBeLessThan(1_000_000);
  });
});

describe("Docker's .dockerignore rules", () => {
  test('a pattern anchors at the context root; ** reaches any depth; ! brings a file back', () => {
    const dir = tempDir();
    for (const p of ['a/cache/x', 'cache/y', 'b/c/__pycache__/m.pyc', 'keep/me.txt', 'keep/not.txt']) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), 'x');
    }
    const paths = buildContextFiles(dir, ['cache', '**/__pycache__', 'keep', '!keep/me.txt']).map((f) => f.path);
    expect(paths).toEqual(['a/cache/x', 'keep/me.txt']);
  });
});
