import { Problem } from '../core';

/**
 * A requirement line: `name[extras]` and a pin. `==` pins exactly; `~=` pins the release series
 * (`Django~=5.2.0` takes 5.2 bug fixes only).
 */
const REQUIREMENT = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9._,-]+\])?(==|~=)([0-9][A-Za-z0-9.*+!-]*)$/;

/** What the image installs to serve the app; each can be overridden by naming the package in `requirements`. */
export const PRODUCTION_REQUIREMENTS: readonly string[] = [
  'gunicorn==27.0.1',
  // [standard] brings uvloop, httptools and websockets: the fast loop and WebSocket support.
  'uvicorn[standard]==0.54.0',
  // The Gunicorn worker class; uvicorn.workers is deprecated upstream in favour of this package.
  'uvicorn-worker==0.4.0',
  // psycopg 3: Django's connection pool (DATABASES OPTIONS "pool") needs it and [pool]'s psycopg-pool; [binary]
  // brings its own libpq. psycopg2 is in maintenance only.
  'psycopg[binary,pool]==3.3.9',
  // The web metrics (Tau.metrics), summed across Gunicorn's workers in its multiprocess mode.
  'prometheus-client==0.26.0',
];

/** PEP 503 normalized name, so `Django` and `django` are one package. */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** A requirement line's parts, its name normalized; undefined when the line is not a pinned requirement. */
export function parseRequirement(spec: string): { name: string; operator: '==' | '~='; version: string } | undefined {
  const m = REQUIREMENT.exec(spec.replace(/\s+/g, ''));
  return m ? { name: normalizePackageName(m[1]), operator: m[3] as '==' | '~=', version: m[4] } : undefined;
}

function packageName(spec: string): string {
  return parseRequirement(spec)?.name ?? normalizePackageName(spec);
}

/** The app's own requirements plus the production server's, pinned, one per package. */
export class Requirements {
  /** The requirements file, relative to the repository: the input of the lock. */
  public readonly file = 'requirements.txt';

  /**
   * `app`: the app's own requirements; `storage`: what the stack's media storage needs on top of the
   * production server (django-storages for S3), empty for a volume.
   */
  constructor(public readonly app: readonly string[], private readonly storageRequirements: readonly string[] = []) {}

  /** The production requirements the app did not pin itself. */
  public get server(): string[] {
    const own = new Set(this.app.map(packageName));
    return PRODUCTION_REQUIREMENTS.filter((spec) => !own.has(packageName(spec)));
  }

  /** The media storage's requirements the app did not pin itself. */
  public get storage(): string[] {
    const own = new Set(this.app.map(packageName));
    return this.storageRequirements.filter((spec) => !own.has(packageName(spec)));
  }

  public validate(): Problem[] {
    const problems: Problem[] = [];
    const seen = new Set<string>();
    this.app.forEach((spec, i) => {
      if (!REQUIREMENT.test(spec)) {
        problems.push({ component: 'django', field: `requirements[${i}]`, value: spec,
          allowed: 'a pinned requirement: name, optional [extras], then == or ~= and a version, e.g. "Django~=5.2.0"' });
        return;
      }
      const name = packageName(spec);
      if (seen.has(name)) {
        problems.push({ component: 'django', field: `requirements[${i}]`, value: spec, allowed: 'each package once' });
      }
      seen.add(name);
    });
    if (!seen.has('django')) {
      problems.push({ component: 'django', field: 'requirements', value: [...this.app], allowed: 'the list names Django itself, e.g. "Django~=5.2.0"' });
    }
    return problems;
  }
}

export function renderRequirements(requirements: Requirements, marker: string): string {
  return [
    `# ${marker}`,
    '# The app\'s dependencies (django.requirements in .projenrc.ts)',
    ...requirements.app,
    '',
    '# Production server and database driver',
    ...requirements.server,
    '',
    ...(requirements.storage.length ? ['# Media storage (media.storage in .projenrc.ts)', ...requirements.storage, ''] : []),
  ].join('\n');
}
