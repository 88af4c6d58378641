// Parses Mermaid diagrams with Mermaid's own parser (the npm package), which needs a DOM: jsdom gives it one.
// Reads a JSON array of diagram sources on stdin; prints a JSON array with null (parsed) or the error, per diagram.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(source);
    results.push(parsed && parsed.diagramType === 'flowchart-v2' ? null : `parsed as ${parsed && parsed.diagramType}, not a flowchart`);
  } catch (error) {
    results.push(String(error.message ?? error).split('\n').slice(0, 3).join(' '));
  }
}
process.stdout.write(JSON.stringify(results));
