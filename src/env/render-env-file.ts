import { EnvContract } from './env-contract';
import { EnvVar } from './env-var';

/** The one comment line that precedes a variable in `.env.example` and `.env`. */
function describe(v: EnvVar): string {
  const readers = v.readers.map((s) => s.name).join(', ');
  const secret = v.secret ? (v.generate ? 'Secret, generated into .env by npx projen. ' : 'Secret, fill it in .env. ') : '';
  return `# ${secret}${v.description} (read by ${readers})`;
}

function lines(contract: EnvContract, valueOf: (v: EnvVar) => string): string[] {
  return contract.all.filter((v) => v.fromDotEnv).flatMap((v) => [describe(v), `${v.name}=${valueOf(v)}`]);
}

/** `.env.example`: every variable read from `.env`, secrets empty; the stack's fixed values listed after. */
export function renderEnvExample(contract: EnvContract, envFile: string, marker: string): string {
  const fixed = contract.all.filter((v) => !v.fromDotEnv);
  return [
    `# ${marker}`,
    `# Every variable the stack reads from ${envFile}. \`npx projen\` creates ${envFile} from this list with fresh`,
    `# secrets when it is missing, and never rewrites an existing one. Secrets are left empty here.`,
    '',
    ...lines(contract, (v) => (v.secret ? '' : v.default ?? '')),
    ...(fixed.length > 0
      ? ['', '# Set by docker-compose.yml itself, not read from .env (change them in .projenrc.ts):',
        ...fixed.map((v) => `#   ${v.name}=${v.value}  (${v.description}; for ${v.readers.map((s) => s.name).join(', ')})`)]
      : []),
    '',
  ].join('\n');
}

/** A new `.env`: defaults filled in, secrets generated (or left empty when they have no generator). */
export function renderDotEnv(contract: EnvContract, secretOf: (v: EnvVar) => string): string {
  return [
    '# Environment of this stack, created by `npx projen` because none existed. It is yours now: npx projen',
    '# never rewrites it. It holds secrets: it is git-ignored and docker-ignored; keep it that way.',
    '# Every variable is described in .env.example.',
    '',
    ...lines(contract, (v) => (v.secret ? secretOf(v) : v.default ?? '')),
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
