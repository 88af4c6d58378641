import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';
import { Project } from 'projen';
import { DjangoStack, DjangoStackOptions } from '../../src/internal';

/** Tau's stack as .projenrc.ts declares it. */
export const TAU: DjangoStackOptions = {
  django: { project: 'Tau', requirements: ['Django~=5.2.0', 'graphene-django~=3.2.3'] },
  postgres: { version: 17 },
  web: { port: 8000 },
  nginx: { port: 80, maxUploadSize: '25m' },
};

const made: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tau-synth-'));
  made.push(dir);
  return dir;
}

/** Removes every directory made by tempDir(); call from afterAll. */
export function cleanTempDirs(): void {
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
}

/** A plain projen project holding a DjangoStack, in a directory of its own. */
export function newStack(options: DjangoStackOptions = TAU, outdir = tempDir()): { project: Project; stack: DjangoStack; outdir: string } {
  const project = new Project({ name: 'tau', outdir });
  const stack = new DjangoStack(project, options);
  return { project, stack, outdir };
}

export interface FileState {
  readonly content: string;
  readonly mode: number;
}

/** Every file under dir (path -> content and mode; a link -> its target), .git excluded. */
export function readTree(dir: string): Map<string, FileState> {
  const files = new Map<string, FileState>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name === '.git') continue;
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) files.set(relative(dir, p), { content: `-> ${readlinkSync(p)}`, mode: 0 });
      else if (st.isDirectory()) walk(p);
      else files.set(relative(dir, p), { content: readFileSync(p, 'utf-8'), mode: st.mode & 0o777 });
    }
  };
  walk(dir);
  return files;
}

/** Synthesizes a stack (configured by `configure`) and returns its files' contents. */
export function synthFiles(options: DjangoStackOptions = TAU, configure?: (stack: DjangoStack) => void): Record<string, string> {
  const { project, stack, outdir } = newStack(options);
  configure?.(stack);
  project.synth();
  return Object.fromEntries([...readTree(outdir)].map(([path, state]) => [path, state.content]));
}

/** The managed files whose content differs between two syntheses (`.env` is random, so left out). */
export function changedFiles(a: Record<string, string>, b: Record<string, string>): string[] {
  const paths = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...paths].filter((p) => p !== '.env' && a[p] !== b[p]).sort();
}
