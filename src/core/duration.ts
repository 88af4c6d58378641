import { Problem } from './problem';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNITS;

/**
 * A length of time, the one way the model says how long: healthcheck timings, cache lifetimes, timeouts.
 * Each target writes it in its own form (`10s` for compose and nginx, whole seconds for Kubernetes).
 */
export class Duration {
  public static millis(amount: number): Duration {
    return new Duration(amount, 'ms');
  }

  public static seconds(amount: number): Duration {
    return new Duration(amount, 's');
  }

  public static minutes(amount: number): Duration {
    return new Duration(amount, 'm');
  }

  public static hours(amount: number): Duration {
    return new Duration(amount, 'h');
  }

  public static days(amount: number): Duration {
    return new Duration(amount, 'd');
  }

  private constructor(private readonly amount: number, private readonly unit: Unit) {}

  public toMillis(): number {
    return this.amount * UNITS[this.unit];
  }

  /** Whole seconds, rounded up: what a target that counts in seconds gets. */
  public toSeconds(): number {
    return Math.ceil(this.toMillis() / 1000);
  }

  /** As written, e.g. `30s` or `500ms`: the form compose and nginx both read (days become hours there). */
  public toString(): string {
    return this.unit === 'd' ? `${this.amount * 24}h` : `${this.amount}${this.unit}`;
  }

  /** As a person reads it in the docs: `30 s`, `30 d`. */
  public toHuman(): string {
    return `${this.amount} ${this.unit}`;
  }

  /** Problems with this duration as the value of `component.field`, given an allowed range. */
  public check(component: string, field: string, range: { min?: Duration; max?: Duration } = {}): Problem[] {
    const ms = this.toMillis();
    const min = range.min?.toMillis() ?? 1;
    const max = range.max?.toMillis() ?? Number.MAX_SAFE_INTEGER;
    if (Number.isInteger(this.amount) && ms >= min && ms <= max) return [];
    const bounds = [range.min && `at least ${range.min.toHuman()}`, range.max && `at most ${range.max.toHuman()}`].filter(Boolean).join(' and ');
    return [{ component, field, value: this.toHuman(), allowed: `a whole number of ${UNIT_NAMES[this.unit]}${bounds ? `, ${bounds}` : ', above 0'}` }];
  }
}

const UNIT_NAMES: Record<Unit, string> = { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours', d: 'days' };

/** Accepts a Duration; anything else (a string such as '10s', from before Duration) is named in a problem. */
export function checkDurationValue(component: string, field: string, value: unknown, range?: { min?: Duration; max?: Duration }): Problem[] {
  if (value === undefined) return [];
  if (value instanceof Duration) return value.check(component, field, range);
  return [{ component, field, value: typeof value === 'string' ? value : String(value), allowed: 'a Duration, e.g. Duration.seconds(30)' }];
}
