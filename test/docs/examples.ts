import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { transformSync } from 'esbuild';
import { Project } from 'projen';
import * as tau from '../../src';
import { readTree, TAU, tempDir } from '../helpers/synth';
import { writeTestCa } from '../lib/test-ca';

/** The pages' code blocks, as a user reads them: the README and the pages it links to. */

export const ROOT = join(__dirname, '..', '..');
/** The hand-written pages (docs/ARCHITECTURE.md and docs/ENVIRONMENT.md are synthesized, and hold no example). */
export const PAGES = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

export interface Block {
  readonly page: string;
  /** 1-based, among the page's blocks of that language. */
  readonly n: number;
  /** The line of the page the block's fence is on. */
  readonly line: number;
  readonly code: string;
}

/** The blocks of every page fenced with one of `languages`, in order. */
export function blocksOf(...languages: string[]): Block[] {
  const fence = new RegExp(`^\`\`\`(?:${languages.join('|')})\\n([^]*?)^\`\`\``, 'gm');
  return PAGES.flatMap((page) => {
    const text = readFileSync(join(ROOT, page), 'utf-8');
    return [...text.matchAll(fence)].map((m, i) => ({ page, n: i + 1, line: text.slice(0, m.index).split('\n').length, code: m[1] }));
  });
}

/** Runs `code` (TypeScript) with every export of src/ in scope, `project`, and `stack` when given one; returns the files it synthesized. */
export function runExample(code: string, withStack: boolean): Record<string, string> {
  const outdir = tempDir();
  // An external database's CA file is the user's: the example's path gets a CA certificate made for the test.
  for (const m of code.matchAll(/caFile: '([^']+)'/g)) writeTestCa(outdir, m[1]);
  const project = new Project({ name: 'tau', outdir });
  const stack = withStack ? new tau.DjangoStack(project, TAU) : undefined;
  // The imports name src/, whose exports are in scope already; `...,` stands for the rest of the stack's options.
  const body = code.replace(/^import .* from '\.\/src';$/gm, '').replace(/^(\s*)\.\.\.,$/gm, '$1...TAU,');
  const js = transformSync(body, { loader: 'ts', format: 'cjs' }).code;
  const names = Object.keys(tau);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('project', 'stack', 'TAU', ...names, `{\n${js}\n}`)(project, stack, TAU, ...names.map((n) => (tau as Record<string, unknown>)[n]));
  project.synth();
  return Object.fromEntries([...readTree(outdir)].map(([path, state]) => [path, state.content]));
}

/** Whether an example declares its own stack (else it runs after the README's). */
export function declaresStack(code: string): boolean {
  return /new DjangoStack\(project/.test(code);
}
