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
