import { checkContainerPath, checkPattern, optionKeys, Problem } from '../core';
import { Image } from '../model';

export interface PythonImageOptions {
  /**
   * Base image of both stages. A slim Debian image: manylinux wheels install on it, unlike Alpine's musl.
   * @default 'python:3.12-slim'
   */
  readonly baseImage?: string;
  /**
   * Debian packages of the build stage only, for dependencies that compile from source (psycopg[c], psycopg's
   * C build, needs `gcc` and `libpq-dev`).
   * @default - none: every locked package ships a wheel for the image's platform
   */
  readonly buildPackages?: string[];
  /**
   * Debian packages the running image needs (e.g. `libpq5` for psycopg built without [binary]).
   * @default - none: psycopg[binary] brings its own libpq
   */
  readonly runtimePackages?: string[];
  /**
   * Where the code lives in the image.
   * @default '/app'
   */
  readonly workdir?: string;
  /**
   * The unprivileged user the server runs as.
   * @default 'app'
   */
  readonly user?: string;
  /**
   * Its numeric id, outside the range of the host's own users.
   * @default 10001
   */
  readonly uid?: number;
}

export const PYTHON_IMAGE_OPTION_KEYS = optionKeys<PythonImageOptions>()({
  baseImage: true, buildPackages: true, runtimePackages: true, workdir: true, user: true, uid: true,
});

const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** How the web image is built; the Dockerfile renderer reads it together with the stack. */
export class PythonImage {
  public readonly base: Image;
  public readonly buildPackages: readonly string[];
  public readonly runtimePackages: readonly string[];
  public readonly workdir: string;
  public readonly user: string;
  public readonly uid: number;

  constructor(options: PythonImageOptions = {}) {
    this.base = Image.fromRegistry(options.baseImage ?? 'python:3.12-slim');
    this.buildPackages = options.buildPackages ?? [];
    this.runtimePackages = options.runtimePackages ?? [];
    this.workdir = options.workdir ?? '/app';
    this.user = options.user ?? 'app';
    this.uid = options.uid ?? 10001;
  }

  /** The images the Dockerfile builds FROM, each once: both stages start from `base`. */
  public get baseImages(): Image[] {
    return [this.base];
  }

  public validate(): Problem[] {
    const component = 'django.image';
    const problems: Problem[] = [
      ...this.base.validate(component).map((p) => ({ ...p, field: 'baseImage' })),
      ...checkContainerPath(component, 'workdir', this.workdir),
      ...checkPattern(component, 'user', this.user, USER_NAME, 'a user name is lowercase letters, digits, "_" and "-"'),
    ];
    if (this.workdir === '/') {
      problems.push({ component, field: 'workdir', value: this.workdir, allowed: 'a directory of its own, such as /app' });
    }
    if (this.user === 'root') {
      problems.push({ component, field: 'user', value: this.user, allowed: 'an unprivileged user, not root' });
    }
    if (!Number.isInteger(this.uid) || this.uid < 1000 || this.uid > 65533) {
      problems.push({ component, field: 'uid', value: this.uid, allowed: 'a whole number from 1000 to 65533 (not root, not a system id)' });
    }
    [...this.buildPackages, ...this.runtimePackages].forEach((p) => problems.push(
      ...checkPattern(component, 'buildPackages/runtimePackages', p, DEBIAN_PACKAGE, 'a Debian package name such as libpq5')));
    return problems;
  }
}
