import { existsSync, lstatSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';

// A port of Docker's own .dockerignore matcher (moby/patternmatcher), tested against docker build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dockerignore: () => { add(patterns: string[]): void; ignores(path: string): boolean } = require('@balena/dockerignore');

export interface ContextFile {
  /** Path relative to the context, with `/` separators. */
  readonly path: string;
  readonly size: number;
}

/** The patterns of a .dockerignore file, as Docker reads them (comments and blank lines dropped). */
export function readDockerignore(contextDir: string): string[] {
  const file = join(contextDir, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf-8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/**
 * The files `docker build` would make available to COPY from this context: everything not excluded by
 * the context's .dockerignore. Symbolic links are listed, not followed.
 */
export function buildContextFiles(contextDir: string, patterns = readDockerignore(contextDir)): ContextFile[] {
  const matcher = dockerignore();
  matcher.add(patterns);
  const reincludes = patterns.some((p) => p.startsWith('!'));
  const files: ContextFile[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(contextDir, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(join(contextDir, path));
      if (stat.isDirectory()) {
        // An excluded directory is still walked when a "!" pattern might bring something inside it back.
        if (!matcher.ignores(path) || reincludes) walk(path);
      } else if (!matcher.ignores(path)) {
        files.push({ path, size: stat.size });
      }
    }
  };
  walk('');
  return files;
}

/** Every file of the working tree, for comparison. */
export function workingTreeFiles(dir: string): ContextFile[] {
  return buildContextFiles(dir, []);
}
