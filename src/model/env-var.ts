import { checkPattern, Problem } from '../core';
import type { Service } from '../compose';

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/** How `npx projen` fills a secret when it first creates `.env`. */
export type SecretKind =
  /** 64 URL-safe random characters: passes Django's W009 and needs no quoting in `.env` or compose. */
  | 'django-secret-key'
  /** 43 URL-safe random characters (256 bits); safe inside a database URL. */
  | 'password';

export interface EnvVarOptions {
  /** What the variable does, one line; used in `.env.example` and the generated docs. */
  readonly description: string;
  /**
   * The services that receive the variable.
   * @default - none yet; add them with `grant()`
   */
  readonly for?: Service[];
  /**
   * A secret: never given a value in `.projenrc.ts`, left empty in `.env.example`, generated into `.env`.
   * @default false
   */
  readonly secret?: boolean;
  /**
   * How `npx projen` generates the secret when it creates `.env`.
   * @default - left empty for the user to fill
   */
  readonly generate?: SecretKind;
  /**
   * The value `.env` starts with and the application assumes when the variable is unset.
   * @default - no default: the variable must be set
   */
  readonly default?: string;
  /**
   * A value fixed by the stack itself, set in `docker-compose.yml` under `environment:` rather than read from `.env`.
   * @example redis.url('redis', 6379, '/0')
   * @default - read from `.env`
   */
  readonly value?: string;
}

/** One variable of the stack's environment contract. */
export class EnvVar {
  public readonly name: string;
  public readonly description: string;
  public readonly secret: boolean;
  public readonly generate?: SecretKind;
  public readonly default?: string;
  public readonly value?: string;
  private readonly _readers: Service[] = [];

  constructor(name: string, options: EnvVarOptions) {
    this.name = name;
    this.description = options.description;
    this.secret = options.secret ?? false;
    this.generate = options.generate;
    this.default = options.default;
    this.value = options.value;
    for (const service of options.for ?? []) this.grant(service);
  }

  /** True when the value comes from `.env` (and so appears in `.env.example`), not from the stack. */
  public get fromDotEnv(): boolean {
    return this.value === undefined;
  }

  /** Gives the variable to one more service. */
  public grant(service: Service): this {
    if (!this._readers.includes(service)) this._readers.push(service);
    return this;
  }

  public get readers(): Service[] {
    return [...this._readers];
  }

  public isFor(service: Service): boolean {
    return this._readers.includes(service);
  }

  /** `${NAME}`, for a shell in the container (e.g. a healthcheck script). */
  public get shellRef(): string {
    return `\${${this.name}}`;
  }

  public validate(): Problem[] {
    const component = `env "${this.name}"`;
    const problems = checkPattern(component, 'name', this.name, ENV_NAME,
      'an environment variable name is upper-case letters, digits and "_", starting with a letter');
    if (this.secret && this.value !== undefined) {
      problems.push({ component, field: 'value', value: '(a literal secret)',
        allowed: 'a secret is never written in .projenrc.ts; leave value out and let npx projen generate it into .env (generate:) or fill .env by hand' });
    }
    if (this.secret && this.default !== undefined) {
      problems.push({ component, field: 'default', value: '(a literal secret)',
        allowed: 'a secret has no default; leave default out and use generate: to have npx projen create it in .env' });
    }
    if (!this.secret && this.generate !== undefined) {
      problems.push({ component, field: 'generate', value: this.generate, allowed: 'only a secret (secret: true) is generated' });
    }
    if (this.value !== undefined && this.default !== undefined) {
      problems.push({ component, field: 'default', value: this.default, allowed: 'a variable with a fixed value has no default; give one of value or default' });
    }
    if (this._readers.length === 0) {
      problems.push({ component, field: 'for', value: [], allowed: 'a variable is given to at least one service (for: [stack.web])' });
    }
    if (/[\r\n]/.test(`${this.description}${this.default ?? ''}${this.value ?? ''}`)) {
      problems.push({ component, field: 'description/default/value', value: '(contains a line break)', allowed: 'one line each' });
    }
    return problems;
  }
}
