import { join } from 'path';
import { run } from './tools';

/** Each diagram through Mermaid's parser, in one Node process; returns one problem per diagram that fails. */
export function parseMermaid(diagrams: readonly string[]): string[] {
  const result = run(process.execPath, [join(__dirname, 'mermaid-parse.mjs')], { input: JSON.stringify(diagrams) });
  if (result.code !== 0) return [`mermaid: ${result.stderr.trim()}`];
  return (JSON.parse(result.stdout) as (string | null)[]).flatMap((error, i) => (error ? [`mermaid, diagram ${i}: ${error}`] : []));
}

/** The Mermaid block of a markdown file. */
export function mermaidBlock(markdown: string): string {
  const match = /```mermaid\n([\s\S]*?)\n```/.exec(markdown);
  if (!match) throw new Error('no mermaid block');
  return match[1];
}
