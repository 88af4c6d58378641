import { execFileSync } from 'child_process';
import { existsSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments, parse } from 'yaml';
import { cleanTempDirs } from '../helpers/synth';
import { Block, blocksOf, declaresStack, ROOT, runExample } from './examples';

/**
 * The `sh` blocks of the README and the pages it links to, read as a user would type them. Each command must
 * name things that exist in what the page describes: a projen task of this project, a script of the repository
 * and the flags it takes, a service of the page's stacks (the repository's, and the stacks of the page's own
 * `.projenrc.ts` examples), a Kubernetes object and label of their bases. A command this test cannot read fails
 * it: a new kind of command is taught here, so that no block is left unchecked. The end-to-end run runs the
 * commands a stack on one host can take (test/e2e/docs.ts).
 */

afterAll(cleanTempDirs);

const blocks = blocksOf('sh', 'bash');

/** One simple command: its words, quotes removed. */
export function words(command: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of command.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** A line's simple commands: split at && and | outside quotes. */
function pipeline(line: string): string[] {
  const parts = [''];
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) quote = ch === quote ? '' : quote;
    else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '|' || (ch === '&' && line[i + 1] === '&')) {
      if (ch === '&') i++;
      parts.push('');
      continue;
    }
    parts[parts.length - 1] += ch;
  }
  return parts.map((p) => p.trim());
}

/** The simple commands of a block's lines: comments, crontab schedules and redirections taken off, split at && and |. */
export function commands(code: string): string[][] {
  return code.replace(/\\\n\s*/g, ' ').split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line)
    // A crontab line: five schedule fields, then the command.
    .map((line) => line.replace(/^(\S+\s+){5}(?=cd )/, ''))
    .flatMap(pipeline)
    .map((c) => words(c.replace(/\s*\d?>>?\s*\S+/g, '')))
    .filter((w) => w.length > 0);
}

/** What a page's commands may name: the repository's stack and the stacks of the page's examples. */
interface Context {
  services: Set<string>;
  tasks: Set<string>;
  /** Files of the stacks, by path (the repository's own, then the examples'). */
  files: Map<string, string>;
  /** Kubernetes objects of the bases: kind/name, and label key=value pairs. */
  objects: Set<string>;
  labels: Set<string>;
  namespaces: Set<string>;
  /** The files the services mount: the path in the container, and the file of the stack's it is. */
  mounts: Map<string, string>;
}

function contextOf(page: string): Context {
  const examples = blocksOf('ts').filter((b) => b.page === page).map((b) => runExample(b.code, !declaresStack(b.code)));
  const c: Context = { services: new Set(), tasks: new Set(), files: new Map(), objects: new Set(), labels: new Set(), namespaces: new Set(), mounts: new Map() };
  const trees: Array<(path: string) => string | undefined> = [
    (path) => (existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).isFile() ? readFileSync(join(ROOT, path), 'utf-8') : undefined),
    ...examples.map((files) => (path: string) => files[path]),
  ];
  for (const read of trees) {
    const services: Record<string, { volumes?: Array<string | { source?: string; target: string }> }> = parse(read('docker-compose.yml') ?? '{}').services ?? {};
    for (const [name, service] of Object.entries(services)) {
      c.services.add(name);
      for (const v of service.volumes ?? []) {
        const [source, target] = typeof v === 'string' ? v.split(':') : [v.source ?? '', v.target];
        if (source.startsWith('./') && !c.mounts.has(target)) c.mounts.set(target, source.slice(2));
      }
    }
    for (const name of Object.keys(JSON.parse(read('.projen/tasks.json') ?? '{"tasks":{}}').tasks)) c.tasks.add(name);
  }
  for (const files of [Object.fromEntries(listK8s().map((p) => [p, readFileSync(join(ROOT, p), 'utf-8')])), ...examples]) {
    for (const [path, content] of Object.entries(files)) {
      c.files.set(path, content);
      if (!/^k8s\/.*\.yaml$/.test(path)) continue;
      for (const doc of parseAllDocuments(content).map((d) => d.toJSON()).filter((d) => d?.metadata?.name)) {
        c.objects.add(`${doc.kind.toLowerCase()}/${doc.metadata.name}`);
        if (doc.kind === 'Namespace') c.namespaces.add(doc.metadata.name);
        const labels = { ...doc.metadata.labels, ...doc.spec?.template?.metadata?.labels };
        for (const [k, v] of Object.entries(labels)) c.labels.add(`${k}=${v}`);
      }
    }
  }
  return c;
}

function listK8s(): string[] {
  return execFileSync('git', ['ls-files', 'k8s'], { cwd: ROOT, encoding: 'utf-8' }).split('\n').filter((p) => p.endsWith('.yaml'));
}

/** The problems of one command, as sentences; [] when it names only what exists. */
function check(argv: string[], c: Context): string[] {
  const [cmd, ...args] = argv;
  const problems: string[] = [];
  const fileExists = (path: string) => existsSync(join(ROOT, path)) || c.files.has(path);
  const flagsIn = (path: string, flags: string[]) => {
    const text = existsSync(join(ROOT, path)) ? readFileSync(join(ROOT, path), 'utf-8') : c.files.get(path) ?? '';
    for (const f of flags) if (!text.includes(f)) problems.push(`${path} takes no ${f}`);
  };
  if (cmd === 'npm' && args[0] === 'ci') return [];
  if (cmd === 'npx' && args[0] === 'projen') {
    if (args[1] && !c.tasks.has(args[1])) problems.push(`no projen task ${args[1]}`);
    return problems;
  }
  if (cmd === 'bash' || cmd === 'node' || /^(ops|scripts|test)\//.test(cmd)) {
    const script = cmd === 'node' ? args.find((a) => /\.(ts|js)$/.test(a))! : cmd === 'bash' ? args[0] : cmd;
    if (!script || !fileExists(script)) return [`no script ${script}`];
    flagsIn(script, (cmd === 'bash' ? args.slice(1) : args).filter((a) => a.startsWith('--')));
    return problems;
  }
  if (cmd === 'docker' && args[0] === 'compose') return checkCompose(args.slice(1), c, flagsIn);
  // Building and pushing an image for a registry: the Dockerfile must be there; the registry is the user's.
  if (cmd === 'docker' && args[0] === 'build') return fileExists('Dockerfile') ? [] : ['no Dockerfile'];
  if (cmd === 'docker' && (args[0] === 'push' || args[0] === 'inspect')) return [];
  if (cmd === 'kubectl') return checkKubectl(args, c);
  // Filters of another command's output, and the user's own checkout.
  if (cmd === 'grep' || cmd === 'cd') return [];
  return [`a command this test does not know: ${argv.join(' ')}`];
}

function checkCompose(args: string[], c: Context, flagsIn: (path: string, flags: string[]) => void): string[] {
  const [sub, ...rest] = args;
  const operands = rest.filter((a) => !a.startsWith('-'));
  const problems: string[] = [];
  const service = (name: string) => { if (!c.services.has(name)) problems.push(`no service ${name} (the page's stacks have ${[...c.services].join(', ')})`); };
  switch (sub) {
    case 'up': break;
    case 'logs': case 'build': operands.forEach(service); break;
    case 'run': case 'exec': {
      service(operands[0]);
      // A script of the repository run in the container: it must be one the stack writes, with the subcommand it takes.
      const script = operands.find((a) => /\.sh$/.test(a));
      if (script) {
        const path = c.mounts.get(script);
        const text = path === undefined ? undefined : c.files.get(path) ?? (existsSync(join(ROOT, path)) ? readFileSync(join(ROOT, path), 'utf-8') : undefined);
        if (text === undefined) problems.push(`no stack mounts a file of its own at ${script}`);
        else {
          const sub2 = operands[operands.indexOf(script) + 1];
          if (sub2 && !text.includes(`${sub2})`)) problems.push(`${path} has no subcommand ${sub2}`);
        }
      }
      break;
    }
    default: problems.push(`docker compose ${sub}: a subcommand this test does not know`);
  }
  void flagsIn;
  return problems;
}

function checkKubectl(args: string[], c: Context): string[] {
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-n' && !c.namespaces.has(args[i + 1])) problems.push(`no namespace ${args[i + 1]}`);
    if (a === '-k' && !existsSync(join(ROOT, args[i + 1], 'kustomization.yaml'))) problems.push(`no kustomization in ${args[i + 1]}`);
    if (a === '-l') {
      const sel = args[i + 1];
      const inSet = sel.match(/^(\S+) in \(([^)]*)\)$/);
      const pairs = inSet ? inSet[2].split(',').map((v) => `${inSet[1]}=${v.trim()}`) : sel.split(',');
      for (const p of pairs) if (!c.labels.has(p)) problems.push(`no object labelled ${p}`);
    }
    const ref = a.match(/^(deployment|deploy|job|statefulset|service)\/(\S+)$/);
    if (ref) {
      const kind = ref[1] === 'deploy' ? 'deployment' : ref[1];
      if (!c.objects.has(`${kind}/${ref[2]}`)) problems.push(`no ${kind}/${ref[2]}`);
    }
  }
  return problems;
}

test('the pages have the shell blocks this test reads', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(10);
  expect(blocks.flatMap((b) => commands(b.code)).length).toBeGreaterThanOrEqual(30);
});

const contexts = new Map<string, Context>();
describe.each(blocks.map((b): [string, number, Block] => [b.page, b.line, b]))('%s, the block on line %i', (_page, _line, block) => {
  test('names only what exists', () => {
    if (!contexts.has(block.page)) contexts.set(block.page, contextOf(block.page));
    const c = contexts.get(block.page)!;
    const problems = commands(block.code).flatMap((argv) => check(argv, c).map((p) => `${argv.join(' ')}: ${p}`));
    expect(problems).toEqual([]);
  });
});

describe('the checker', () => {
  const c = contextOf('README.md');
  test("reads the scripts a page's stack writes, and their subcommands", () => {
    const https = contextOf('docs/HTTPS.md');
    expect(check(words('docker compose exec acme /bin/sh /acme/lego.sh status'), https)).toEqual([]);
    expect(check(words('docker compose exec acme /bin/sh /acme/lego.sh revoke'), https)).toEqual(['acme/lego.sh has no subcommand revoke']);
    expect(check(words('docker compose exec acme /bin/sh /acme/lego.sh status'), c)).toContainEqual(expect.stringContaining('no service acme'));
  });
  test.each([
    ['npx projen e2e:nowhere', 'no projen task e2e:nowhere'],
    ['ops/backup.sh --fast', 'ops/backup.sh takes no --fast'],
    ['docker compose exec cache redis-cli', 'no service cache'],
    ['kubectl -n tau rollout status deployment/api', 'no deployment/api'],
    ['kubectl -n tau-prod get pods', 'no namespace tau-prod'],
    ['curl http://localhost', 'a command this test does not know'],
    ['docker compose exec nginx /bin/sh /nginx/renew.sh now', 'no stack mounts a file of its own at /nginx/renew.sh'],
  ])('refuses %s', (line, problem) => {
    expect(commands(line).flatMap((argv) => check(argv, c)).join('\n')).toContain(problem);
  });
});
