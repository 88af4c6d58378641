import { checkDurationValue, checkOptionKeys, Duration, optionKeys, Problem } from '../core';

export interface DatabasePoolOptions {
  /**
   * Connections each worker process opens at start and keeps open.
   * @default 1
   */
  readonly minSize?: number;
  /**
   * The most connections each worker process holds, and so the most requests Django works on at once in it
   * (Tau/asgi.py): the others wait on the worker's event loop. Each request Django works on runs in a thread that
   * competes with the event loop for Python's interpreter lock: a larger pool lets slow requests overlap, a
   * smaller one keeps the health endpoint fast under load (bench/RESULTS.md).
   * @default 2
   */
  readonly maxSize?: number;
  /**
   * The longest a request waits for a free connection before it fails.
   * @default - web.requestTimeout: longer would outlive the request
   */
  readonly timeout?: Duration;
}

export const DATABASE_POOL_OPTION_KEYS = optionKeys<DatabasePoolOptions>()({ minSize: true, maxSize: true, timeout: true });

/**
 * Django's native connection pool (psycopg 3, `DATABASES[...]["OPTIONS"]["pool"]`), one per worker process:
 * a request borrows an open connection instead of opening one (a server process and a SCRAM exchange each).
 */
export class DatabasePool {
  public readonly minSize: number;
  public readonly maxSize: number;
  public readonly timeout: Duration;

  constructor(private readonly options: DatabasePoolOptions, requestTimeout: Duration) {
    this.minSize = options.minSize ?? 1;
    this.maxSize = options.maxSize ?? 2;
    this.timeout = options.timeout ?? requestTimeout;
  }

  public validate(requestTimeout: Duration): Problem[] {
    const component = 'web.databasePool';
    const whole = (field: string, value: number, min: number, max: number): Problem[] =>
      Number.isInteger(value) && value >= min && value <= max ? [] : [{ component, field, value, allowed: `a whole number from ${min} to ${max}` }];
    return [
      ...checkOptionKeys(component, this.options, DATABASE_POOL_OPTION_KEYS),
      ...whole('minSize', this.minSize, 0, 100),
      ...whole('maxSize', this.maxSize, 1, 100),
      ...(this.minSize <= this.maxSize ? [] : [{ component, field: 'minSize', value: this.minSize, allowed: `at most maxSize (${this.maxSize})` }]),
      ...checkDurationValue(component, 'timeout', this.options.timeout, { min: Duration.seconds(1), max: requestTimeout }),
    ];
  }
}
