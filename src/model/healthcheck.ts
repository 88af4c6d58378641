import { checkDuration, Problem } from '../core';

export interface HealthcheckOptions {
  /**
   * Time between two checks.
   * @default '10s'
   */
  readonly interval?: string;
  /**
   * How long one check may take before it counts as failed.
   * @default '5s'
   */
  readonly timeout?: string;
  /**
   * Consecutive failures before the container is unhealthy.
   * @default 5
   */
  readonly retries?: number;
  /**
   * Grace period after start during which failures do not count (first start of a database, migrations).
   * @default '30s'
   */
  readonly startPeriod?: string;
}

/** The test of a healthcheck in compose's own form: `["CMD", ...argv]` or `["CMD-SHELL", script]`. */
export type HealthcheckTest = readonly ['CMD', ...string[]] | readonly ['CMD-SHELL', string];

/** How compose decides a container is healthy; `depends_on: { condition: service_healthy }` waits on it. */
export class Healthcheck {
  /** Runs a program directly, without a shell: `Healthcheck.command('redis-cli', 'ping')`. */
  public static command(...argv: string[]): Healthcheck {
    return new Healthcheck(['CMD', ...argv], {});
  }

  /**
   * Runs a shell script in the container. Write `${NAME}` for a variable of the container's environment:
   * the compose renderer escapes it so that the container's shell expands it, not compose.
   */
  public static shell(script: string): Healthcheck {
    return new Healthcheck(['CMD-SHELL', script], {});
  }

  public readonly test: HealthcheckTest;
  public readonly interval: string;
  public readonly timeout: string;
  public readonly retries: number;
  public readonly startPeriod: string;

  private constructor(test: HealthcheckTest, options: HealthcheckOptions) {
    this.test = test;
    this.interval = options.interval ?? '10s';
    this.timeout = options.timeout ?? '5s';
    this.retries = options.retries ?? 5;
    this.startPeriod = options.startPeriod ?? '30s';
  }

  /** A copy with other timings. */
  public with(options: HealthcheckOptions): Healthcheck {
    return new Healthcheck(this.test, {
      interval: this.interval, timeout: this.timeout, retries: this.retries, startPeriod: this.startPeriod, ...options,
    });
  }

  public validate(component: string): Problem[] {
    const problems = [
      ...checkDuration(component, 'healthcheck.interval', this.interval),
      ...checkDuration(component, 'healthcheck.timeout', this.timeout),
      ...checkDuration(component, 'healthcheck.startPeriod', this.startPeriod),
    ];
    if (!Number.isInteger(this.retries) || this.retries < 1) {
      problems.push({ component, field: 'healthcheck.retries', value: this.retries, allowed: 'retries is a whole number of at least 1' });
    }
    if (this.test.length < 2 || this.test.slice(1).some((part) => part.length === 0)) {
      problems.push({ component, field: 'healthcheck.test', value: this.test.slice(1), allowed: 'a healthcheck runs a non-empty command' });
    }
    return problems;
  }
}
