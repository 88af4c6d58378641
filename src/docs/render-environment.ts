import { StackView } from './stack-view';

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** `docs/ENVIRONMENT.md`: every variable of the contract, who reads it, and where its value comes from. */
export function renderEnvironment(view: StackView, marker: string): string {
  const rows = view.env.all.map((v) => [
    `\`${v.name}\``,
    v.readers.map((s) => s.name).join(', '),
    v.secret ? (v.generate ? 'yes, generated' : 'yes') : 'no',
    v.value !== undefined ? `fixed: \`${cell(v.value)}\`` : v.default !== undefined ? `\`${cell(v.default)}\`` : v.secret ? '-' : 'required',
    v.fromDotEnv ? `\`${view.envFile}\`` : '`docker-compose.yml`',
    cell(v.description),
  ]);
  return [
    `<!-- ${marker} -->`,
    `# Environment of the ${view.name} stack`,
    '',
    `Every variable the stack reads, from the env contract in \`.projenrc.ts\`. Values from \`${view.envFile}\` reach`,
    `each service that lists it in \`env_file\` (compose passes the whole file); \`.env.example\` lists them with their`,
    `defaults. \`npx projen\` creates \`${view.envFile}\` once, with generated secrets, and never rewrites it.`,
    '',
    '| Variable | Read by | Secret | Default | Set in | What it does |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
}
