import { checkDescription, checkOptionKeys, checkPattern, named, optionKeys, Problem } from '../core';

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Names a container gets from its image or its platform, or that the app's image sets itself: a variable of
 * the stack under one of these names would replace it (PATH) or fight the image (DJANGO_SETTINGS_MODULE).
 */
export const RESERVED_ENV_NAMES: readonly string[] = [
  'PATH', 'HOME', 'HOSTNAME', 'PWD', 'USER', 'SHELL', 'TERM', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'LD_PRELOAD', 'LD_LIBRARY_PATH',
  'PYTHONPATH', 'PYTHONHOME', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED', 'VIRTUAL_ENV', 'DJANGO_SETTINGS_MODULE', 'PGDATA',
];

/**
 * A default goes into .env between single quotes, which docker compose and python-dotenv both read literally
 * (no `$` interpolation, no `#` comment, no escapes), and into the compose file as `${NAME:-default}`. What
 * those cannot carry is refused: a single quote, a `}` (it would end the interpolation), a backslash at the
 * end (both readers take `\'` for an escaped quote), a line break and control characters.
 */
const ENV_FILE_VALUE = /^[^'}\0-\x1f\x7f]*$/;
const ENDS_IN_BACKSLASH = /\\$/;

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

const ENV_VAR_KEYS = optionKeys<EnvVarOptions>()({ description: true, secret: true, generate: true, default: true, value: true });

/** One variable of the stack's environment contract. The services that read it hold it (`service.reads`). */
export class EnvVar {
  public readonly name: string;
  public readonly description: string;
  public readonly secret: boolean;
  public readonly generate?: SecretKind;
  public readonly default?: string;
  public readonly value?: string;
  private readonly options: EnvVarOptions;

  /** Declared through `EnvContract.add`, which also gives it to the services that read it. */
  constructor(name: string, options: EnvVarOptions) {
    this.name = name;
    this.options = options;
    this.description = options.description;
    this.secret = options.secret ?? false;
    this.generate = options.generate;
    this.default = options.default;
    this.value = options.value;
  }

  /** True when the value comes from `.env` (and so appears in `.env.example`), not from the stack. */
  public get fromDotEnv(): boolean {
    return this.value === undefined;
  }

  /** `${NAME}`, for a shell in the container (e.g. a healthcheck script). */
  public get shellRef(): string {
    return `\${${this.name}}`;
  }

  public validate(): Problem[] {
    const component = named('env', this.name);
    const problems = [
      ...checkOptionKeys(component, this.options, ENV_VAR_KEYS),
      ...checkPattern(component, 'name', this.name, ENV_NAME,
        'an environment variable name is upper-case letters, digits and "_", starting with a letter'),
    ];
    if (RESERVED_ENV_NAMES.includes(this.name)) {
      problems.push({ component, field: 'name', value: this.name,
        allowed: `a name of the stack's own: ${this.name} is set by the image or the platform (reserved: ${RESERVED_ENV_NAMES.join(', ')})` });
    }
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
    problems.push(...checkDescription(component, 'description', this.description));
    if (this.default !== undefined && (!ENV_FILE_VALUE.test(this.default) || ENDS_IN_BACKSLASH.test(this.default))) {
      problems.push({ component, field: 'default', value: this.default,
        allowed: 'one line without a single quote, "}", control characters or a backslash at the end: .env holds it between single quotes, which docker compose and python-dotenv both read literally, and compose as ${NAME:-default}' });
    }
    if (this.value !== undefined && /[\r\n\0]/.test(this.value)) {
      problems.push({ component, field: 'value', value: this.value, allowed: 'one line' });
    }
    return problems;
  }
}
