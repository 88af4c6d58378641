import { checkOptionKeys, Problem } from '../../core';
import { LogRotation } from '../../compose';
import type { StackPart } from './stack-part';

/** The stack's `logs` option. */
export interface LogsOptions {
  readonly maxSize?: string;
  readonly maxFiles?: number;
}

/** How much output the engine keeps per container: json-file logs rotated at `maxSize`, `maxFiles` kept. */
export class Logs implements StackPart {
  public readonly rotation: LogRotation;

  constructor(private readonly options: LogsOptions | undefined) {
    this.rotation = { maxSize: options?.maxSize ?? '10m', maxFiles: options?.maxFiles ?? 5 };
  }

  public validate(): Problem[] {
    const { maxSize, maxFiles } = this.rotation;
    return [
      ...checkOptionKeys('logs', this.options, ['maxSize', 'maxFiles']),
      ...(/^[1-9][0-9]{0,5}[kmg]$/.test(maxSize) ? []
        : [{ component: 'logs', field: 'maxSize', value: maxSize, allowed: 'a size with k, m or g, such as 10m' }]),
      ...(Number.isInteger(maxFiles) && maxFiles >= 1 && maxFiles <= 100 ? []
        : [{ component: 'logs', field: 'maxFiles', value: maxFiles, allowed: 'a whole number from 1 to 100' }]),
    ];
  }
}
