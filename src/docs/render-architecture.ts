import { Dependency, Healthcheck, Service } from '../model';
import { StackView } from './stack-view';

/**
 * Mermaid node ids: letters, digits and `_` only. Names that read the same that way (`a-b`, `a_b`, `a.b`) get
 * a number after the first, so every node keeps an id of its own.
 */
function nodeIds(view: StackView): (kind: 'svc' | 'vol', name: string) => string {
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  const entries = [...view.services.map((s) => ['svc', s.name]), ...view.volumes.map((v) => ['vol', v.name])];
  for (const [kind, name] of entries) {
    const base = `${kind}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    ids.set(`${kind}:${name}`, candidate);
  }
  return (kind, name) => ids.get(`${kind}:${name}`) ?? `${kind}_unknown`;
}
const cell = (text: string) => text.replace(/\|/g, '\\|');
const q = (text: string) => `"${text.replace(/"/g, '#quot;')}"`;
const code = (text: string) => `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;

function imageLabel(service: Service): string {
  return service.image.build ? `build ${service.image.build.dockerfile} as ${service.image.ref}` : service.image.ref;
}

/** What a dependency waits for, as the docs say it. */
const waitsFor = (d: Dependency) => (d.completed ? ' (completed)' : d.healthy ? ' (healthy)' : '');

function describeHealthcheck(h: Healthcheck | undefined): string {
  return h ? `${code(h.describe)} every ${h.interval.toHuman()}` : 'none';
}

/** The Mermaid graph: who reaches whom, on which port, and which volumes each service mounts. */
export function renderMermaid(view: StackView): string {
  const id = nodeIds(view);
  const lines = ['graph LR', `  client((Client))`];
  for (const s of view.services) {
    const port = s.port !== undefined ? `<br/>:${s.port}` : '';
    lines.push(`  ${id('svc', s.name)}[${q(`<b>${s.name}</b><br/>${imageLabel(s)}${port}`)}]`);
  }
  for (const v of view.volumes) lines.push(`  ${id('vol', v.name)}[(${q(v.name)})]`);
  for (const s of view.services) {
    for (const p of s.publishedPorts) lines.push(`  client -- ${q(`host :${p.host}`)} --> ${id('svc', s.name)}`);
  }
  const upstream = view.site.upstream;
  if (upstream) lines.push(`  ${id('svc', view.site.service.name)} -- ${q(`proxy :${upstream.port}`)} --> ${id('svc', upstream.name)}`);
  for (const s of view.services) {
    for (const d of s.dependencies) {
      lines.push(`  ${id('svc', s.name)} -. ${q(`depends on${waitsFor(d)}`)} .-> ${id('svc', d.service.name)}`);
    }
  }
  const external = view.externalDatabase;
  if (external) {
    // Not a service of the stack: a database it connects to, over TLS, through the way out.
    lines.push(`  ext_db[(${q(external.label)})]`);
    for (const s of external.clients) lines.push(`  ${id('svc', s.name)} -- ${q('TLS')} --> ext_db`);
  }
  for (const s of view.services) {
    for (const m of s.mounts) {
      lines.push(`  ${id('svc', s.name)} -- ${q(`${m.path}${m.readOnly ? ' (ro)' : ''}`)} --- ${id('vol', m.volume.name)}`);
    }
  }
  return lines.join('\n');
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** `docs/ARCHITECTURE.md`: the graph, then services and volumes as tables. */
export function renderArchitecture(view: StackView, marker: string): string {
  const mountsOf = (name: string) => view.services.flatMap((s) => s.mounts.filter((m) => m.volume.name === name)
    .map((m) => `${s.name} at ${code(m.path)}${m.readOnly ? ' (read-only)' : ''}`));
  return [
    `<!-- ${marker} -->`,
    `# Architecture of the ${view.name} stack`,
    '',
    'Generated from `.projenrc.ts` with the deployment files, so it changes when the stack does.',
    'Solid arrows carry requests, dotted ones are start-up order, and lines to a cylinder are volume mounts.',
    '',
    '```mermaid',
    renderMermaid(view),
    '```',
    '',
    '## Services',
    '',
    ...table(['Service', 'Image', 'Command', 'Listens on', 'Published', 'Healthcheck', 'Starts after'], view.services.map((s) => {
      const command = s.command ?? view.imageCommand(s);
      return [
        `**${s.name}**${s.description ? `: ${cell(s.description)}` : ''}`,
        code(imageLabel(s)),
        command ? code(command.join(' ')) : 'the image\'s own',
        s.port !== undefined ? String(s.port) : '-',
        s.publishedPorts.map((p) => `${p.host} -> ${p.container}`).join(', ') || '-',
        describeHealthcheck(s.healthcheck),
        s.dependencies.map((d) => `${d.service.name}${waitsFor(d)}`).join(', ') || '-',
      ];
    })),
    '',
    '## Volumes',
    '',
    ...table(['Volume', 'Holds', 'Mounted by'], view.volumes.map((v) => [`**${v.name}**`, v.description ? cell(v.description) : '-', mountsOf(v.name).join('; ') || '-'])),
    '',
    `Every variable the services receive is listed in [ENVIRONMENT.md](ENVIRONMENT.md).`,
    '',
  ].join('\n');
}
