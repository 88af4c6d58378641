import { execFileSync, spawnSync } from 'child_process';
import { appendFileSync, chmodSync, symlinkSync } from 'fs';
import { join, resolve } from 'path';
import { cleanTempDirs, tempDir } from '../helpers/synth';

afterAll(cleanTempDirs);

const ROOT = resolve(__dirname, '..', '..');

describe('the drift check', () => {
  // A clone of the committed repository, sharing this one's node_modules.
  const dir = join(tempDir(), 'repo');
  execFileSync('git', ['clone', '-q', ROOT, dir]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // .gitignore's node_modules/ matches a directory, not this symlink.
  appendFileSync(join(dir, '.git', 'info', 'exclude'), '/node_modules\n');
  const driftCheck = () => spawnSync('bash', ['scripts/drift-check.sh'], { cwd: dir, encoding: 'utf-8' });

  test('passes on the committed files', () => {
    const result = driftCheck();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);

  test('fails on a hand edit of a managed file, naming it and saying to edit .projenrc.ts instead', () => {
    const compose = join(dir, 'docker-compose.yml');
    chmodSync(compose, 0o644);
    appendFileSync(compose, '# a hand edit\n');
    // projen rewrites the file; what differs from the commit is the synthesized content, which must match.
    execFileSync('git', ['commit', '-qam', 'hand edit', '--author', 'Test <test@example.com>'], {
      cwd: dir, env: { ...process.env, GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' },
    });
    const result = driftCheck();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('docker-compose.yml');
    expect(result.stderr).toMatch(/Do not edit them by hand: change\s+\.projenrc\.ts/);
  }, 60_000);
});
