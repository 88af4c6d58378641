import { StackView } from './stack-view';

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** `docs/ENVIRONMENT.md`: every variable of the contract, who reads it, and where its value comes from. */
export function renderEnvironment(view: StackView, marker: string): string {
  const rows = view.env.all.map((v) => [
    `\`${v.name}\``,
    view.env.readers(v).map((s) => s.name).join(', '),
    v.secret ? (v.generate ? 'yes, generated' : 'yes') : 'no',
    v.value !== undefined ? `fixed: \`${cell(v.value)}\`` : v.default !== undefined ? `\`${cell(v.default)}\`` : v.secret ? '-' : 'required',
    v.fromDotEnv ? `\`${view.envFile}\`` : `\`${view.composeFile}\``,
    cell(v.description),
  ]);
  return [
    `<!-- ${marker} -->`,
    `# Environment of the ${view.name} stack`,
    '',
    `Every variable the stack reads, from the env contract in \`.projenrc.ts\`. Each service receives exactly the`,
    `variables listed for it here: \`${view.composeFile}\` names them one by one in the service's \`environment:\`,`,
    `taking values from \`${view.envFile}\` by interpolation. \`${view.envExample}\` lists them with their defaults.`,
    `\`npx projen\` creates \`${view.envFile}\` once, with generated secrets, and never rewrites it.`,
    '',
    '| Variable | Read by | Secret | Default | Set in | What it does |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
}
