import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** promtool in a folder of its own for one test file: the generated files written there, promtool run there. */
export interface Promtool {
  /** Writes monitoring/prometheus.yml and monitoring/alerts.yml of `files` as prometheus.yml and alerts.yml. */
  write(files: Record<string, string>): void;
  /** Writes one more file (a rules test). */
  writeFile(name: string, content: string): void;
  run(...args: string[]): { status: number; output: string };
}

/**
 * Builds promtool (test/prometheus/build.sh: from the Go module proxy, cached) before the file's tests, and
 * removes the folder after them.
 */
export function usePromtool(prefix: string): Promtool {
  let promtool: string;
  let dir: string;
  beforeAll(() => {
    const built = spawnSync('bash', ['test/prometheus/build.sh'], { encoding: 'utf-8' });
    if (built.status !== 0) throw new Error(`test/prometheus/build.sh failed:\n${built.stderr.slice(-2000)}`);
    promtool = join(built.stdout.trim().split('\n').pop()!, 'promtool');
    dir = mkdtempSync(join(tmpdir(), prefix));
  }, 1_200_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const writeFile = (name: string, content: string) => writeFileSync(join(dir, name), content);
  return {
    write: (files) => {
      writeFile('prometheus.yml', files['monitoring/prometheus.yml']);
      writeFile('alerts.yml', files['monitoring/alerts.yml']);
    },
    writeFile,
    run: (...args) => {
      const r = spawnSync(promtool, args, { cwd: dir, encoding: 'utf-8' });
      return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
    },
  };
}
