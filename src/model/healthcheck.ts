import { checkDurationValue, checkOptionKeys, Duration, optionKeys, Problem } from '../core';

export interface HealthcheckOptions {
  /**
   * Time between two checks.
   * @default Duration.seconds(10)
   */
  readonly interval?: Duration;
  /**
   * How long one check may take before it counts as failed.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
  /**
   * Consecutive failures before the service counts as unhealthy.
   * @default 5
   */
  readonly retries?: number;
  /**
   * Grace period after start during which failures do not count (first start of a database, migrations).
   * @default Duration.seconds(30)
   */
  readonly startPeriod?: Duration;
}

const HEALTHCHECK_KEYS = optionKeys<HealthcheckOptions>()({ interval: true, timeout: true, retries: true, startPeriod: true });

/** What a check runs in the container: a program and its arguments, or a shell script. */
export type HealthProbe =
  | { readonly kind: 'command'; readonly argv: readonly string[] }
  | { readonly kind: 'shell'; readonly script: string };

/**
 * How the platform tells that a service is ready: a program run in its container that exits 0. Services that
 * wait for another (`dependsOn(db, { healthy: true })`) wait for this, and a target may also gate traffic on it.
 */
export class Healthcheck {
  /** Runs a program directly, without a shell: `Healthcheck.command('redis-cli', 'ping')`. */
  public static command(...argv: string[]): Healthcheck {
    return new Healthcheck({ kind: 'command', argv: [...argv] }, {});
  }

  /**
   * Runs a shell script in the container. Write `${NAME}` for a variable of the container's environment:
   * each target escapes it so that the container's shell expands it, not the platform.
   */
  public static shell(script: string): Healthcheck {
    return new Healthcheck({ kind: 'shell', script }, {});
  }

  public readonly probe: HealthProbe;
  public readonly interval: Duration;
  public readonly timeout: Duration;
  public readonly retries: number;
  public readonly startPeriod: Duration;
  private readonly options: HealthcheckOptions;

  private constructor(probe: HealthProbe, options: HealthcheckOptions) {
    this.probe = probe;
    this.options = options;
    this.interval = options.interval ?? Duration.seconds(10);
    this.timeout = options.timeout ?? Duration.seconds(5);
    this.retries = options.retries ?? 5;
    this.startPeriod = options.startPeriod ?? Duration.seconds(30);
  }

  /** A copy with other timings. */
  public with(options: HealthcheckOptions): Healthcheck {
    return new Healthcheck(this.probe, { ...this.options, ...options });
  }

  /** The longest this check takes to call a service healthy: its start period, then every retry with its timeout. */
  public get healthyWithin(): Duration {
    return Duration.seconds(this.startPeriod.toSeconds() + (this.interval.toSeconds() + this.timeout.toSeconds()) * this.retries);
  }

  /** The probe as one line, for docs: the argv joined, or the script. */
  public get describe(): string {
    return this.probe.kind === 'command' ? this.probe.argv.join(' ') : this.probe.script;
  }

  public validate(component: string): Problem[] {
    const problems = [
      ...checkOptionKeys(`${component} healthcheck`, this.options, HEALTHCHECK_KEYS),
      ...checkDurationValue(component, 'healthcheck.interval', this.options.interval),
      ...checkDurationValue(component, 'healthcheck.timeout', this.options.timeout),
      ...checkDurationValue(component, 'healthcheck.startPeriod', this.options.startPeriod, { min: Duration.millis(0) }),
    ];
    if (!Number.isInteger(this.retries) || this.retries < 1) {
      problems.push({ component, field: 'healthcheck.retries', value: this.retries, allowed: 'retries is a whole number of at least 1' });
    }
    const parts = this.probe.kind === 'command' ? this.probe.argv : [this.probe.script];
    if (parts.length === 0 || parts.some((part) => part.length === 0)) {
      problems.push({ component, field: 'healthcheck', value: [...parts], allowed: 'a healthcheck runs a non-empty command' });
    }
    return problems;
  }
}
