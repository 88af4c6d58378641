/**
 * One thing wrong with the stack as declared in `.projenrc.ts`.
 *
 * `component` names the object (`service "web"`), `field` the option (`port`), `value` what was given,
 * and `allowed` what would have been accepted, so the message can be acted on without reading code.
 */
export interface Problem {
  readonly component: string;
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
}

/** Renders one problem as a single line. */
export function formatProblem(problem: Problem): string {
  return `${problem.component}: ${problem.field} = ${formatValue(problem.value)}; ${problem.allowed}`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return '(not set)';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

/**
 * Thrown before projen writes or deletes anything, listing every problem of the model at once.
 */
export class StackValidationError extends Error {
  public readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      `The stack declared in .projenrc.ts has ${count}; no file was written or deleted.\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'StackValidationError';
    this.problems = [...problems];
  }
}

let reporting = false;

/**
 * Makes a refused synthesis read like a compiler's refusal: `npx projen` prints the list of problems alone and
 * exits 1, without a stack trace or a code frame (`npx projen --debug`, which sets DEBUG, shows them). Any
 * other error is reported as Node reports it. Installed once per process, by the stack; not under a test
 * runner, where a thrown error is the test's to catch.
 */
export function reportStackValidationErrorsPlainly(): void {
  if (reporting || process.env.JEST_WORKER_ID !== undefined) return;
  reporting = true;
  process.on('uncaughtException', (error) => {
    const debug = /^(1|true|yes)$/i.test(process.env.DEBUG ?? '');
    process.stderr.write(error instanceof StackValidationError && !debug ? `${error.message}\n` : `${error?.stack ?? error}\n`);
    process.exit(1);
  });
}

/** How a problem names an object: `service "web"`, with the name quoted and escaped, so any name stays on one line. */
export function named(kind: 'service' | 'volume' | 'network' | 'env', name: string): string {
  return `${kind} ${JSON.stringify(name)}`;
}
