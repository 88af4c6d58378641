import { checkOptionKeys, Problem } from '../../core';
import type { StackPart } from './stack-part';

/** The stack's `backups` option. */
export interface BackupsOptions {
  readonly dir?: string;
  readonly keep?: number;
}

/** Where ops/backup.sh writes backups, relative to the repository, and how many it keeps. */
export class Backups implements StackPart {
  public readonly dir: string;
  public readonly keep: number;

  constructor(private readonly options: BackupsOptions | undefined) {
    this.dir = options?.dir ?? 'backups';
    this.keep = options?.keep ?? 7;
  }

  public validate(): Problem[] {
    return [
      ...checkOptionKeys('backups', this.options, ['dir', 'keep']),
      ...(Number.isInteger(this.keep) && this.keep >= 1 ? []
        : [{ component: 'backups', field: 'keep', value: this.keep, allowed: 'a whole number of at least 1' }]),
      ...(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(this.dir) && !this.dir.split('/').includes('..') ? []
        : [{ component: 'backups', field: 'dir', value: this.dir, allowed: 'a directory inside the repository, such as backups' }]),
    ];
  }
}
