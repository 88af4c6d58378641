import { EnvContract, EnvVar } from '../model';

/** The names of the files the env renderers mention. */
export interface EnvFileNames {
  /** The env file the stack reads (`.env`). */
  readonly envFile: string;
  /** Its example, committed (`.env.example`). */
  readonly envExample: string;
  /** The file that sets the stack's fixed values (the compose file). */
  readonly fixedIn: string;
}

/**
 * A value as an env file line holds it: between single quotes, which docker compose and python-dotenv both
 * read literally (no `$` interpolation, no `#` comment, no escapes); the model refuses values with a single
 * quote or a line break. Empty stays empty.
 */
export function quoteEnvValue(value: string): string {
  return value === '' ? '' : `'${value}'`;
}

/** The one comment line that precedes a variable in `.env.example` and `.env`. */
function describe(contract: EnvContract, v: EnvVar, names: EnvFileNames): string {
  const readers = contract.readers(v).map((s) => s.name).join(', ');
  const secret = v.secret ? (v.generate ? `Secret, generated into ${names.envFile} by npx projen. ` : `Secret, fill it in ${names.envFile}. `) : '';
  return `# ${secret}${v.description} (read by ${readers})`;
}

function lines(contract: EnvContract, names: EnvFileNames, valueOf: (v: EnvVar) => string): string[] {
  return contract.all.filter((v) => v.fromDotEnv).flatMap((v) => [describe(contract, v, names), `${v.name}=${quoteEnvValue(valueOf(v))}`]);
}

/** `.env.example`: every variable read from `.env`, secrets empty; the stack's fixed values listed after. */
export function renderEnvExample(contract: EnvContract, names: EnvFileNames, marker: string): string {
  const fixed = contract.all.filter((v) => !v.fromDotEnv);
  return [
    `# ${marker}`,
    `# Every variable the stack reads from ${names.envFile}. \`npx projen\` creates ${names.envFile} from this list with fresh`,
    `# secrets when it is missing, and never rewrites an existing one. Secrets are left empty here. Values are`,
    `# single-quoted: docker compose and python-dotenv read them as written, $ and # included.`,
    '',
    ...lines(contract, names, (v) => (v.secret ? '' : v.default ?? '')),
    ...(fixed.length > 0
      ? ['', `# Set by ${names.fixedIn} itself, not read from ${names.envFile} (change them in .projenrc.ts):`,
        ...fixed.map((v) => `#   ${v.name}=${v.value}  (${v.description}; for ${contract.readers(v).map((s) => s.name).join(', ')})`)]
      : []),
    '',
  ].join('\n');
}

/** A new `.env`: defaults filled in, secrets generated (or left empty when they have no generator). */
export function renderDotEnv(contract: EnvContract, names: EnvFileNames, secretOf: (v: EnvVar) => string): string {
  return [
    '# Environment of this stack, created by `npx projen` because none existed. It is yours now: npx projen',
    '# never rewrites it. It holds secrets: it is git-ignored and docker-ignored; keep it that way.',
    `# Every variable is described in ${names.envExample}. Values are single-quoted: read as written, $ and # included.`,
    '',
    ...lines(contract, names, (v) => (v.secret ? secretOf(v) : v.default ?? '')),
    '',
  ].join('\n');
}

/** Names assigned in an existing `.env` (`NAME=...`, optionally after `export `). */
export function parseDotEnvNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}
