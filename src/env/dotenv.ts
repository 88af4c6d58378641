import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { IConstruct } from 'constructs';
import { Component } from 'projen';
import { Problem } from '../core';
import { EnvContract } from '../model';
import { EnvFileNames, parseDotEnvNames, renderDotEnv } from './render-env-file';
import { generateSecret } from './secrets';

/** What synthesis did about `.env`. */
export type DotEnvStatus =
  | { readonly state: 'created'; readonly unfilled: string[] }
  | { readonly state: 'kept'; readonly missing: string[] };

/**
 * The one deployment file that is not managed: `.env`, created once with fresh secrets and mode 0600,
 * never rewritten. `check()` reads it before anything is written (the stack runs it with its validation),
 * so a `.env` that cannot be read stops synthesis with every file untouched; a new one is written after
 * every managed file, so a synthesis that fails writes no `.env`.
 */
export class DotEnv extends Component {
  private _status?: DotEnvStatus;
  private present?: Set<string>;

  constructor(scope: IConstruct, private readonly contract: EnvContract, private readonly names: EnvFileNames) {
    super(scope);
  }

  public get fileName(): string {
    return this.names.envFile;
  }

  /** Set after synthesis. */
  public get status(): DotEnvStatus | undefined {
    return this._status;
  }

  private get path(): string {
    return join(this.project.outdir, this.names.envFile);
  }

  /** Reads an existing `.env`, or makes sure a new one can be created; every reason it cannot, as problems. */
  public check(): Problem[] {
    const component = this.names.envFile;
    let stat;
    try {
      stat = statSync(this.path);
    } catch (e: any) {
      if (e?.code !== 'ENOENT') return [{ component, field: 'file', value: this.path, allowed: `a file npx projen can read (${e?.code ?? e})` }];
    }
    if (!stat) {
      try {
        accessSync(dirname(this.path), constants.W_OK);
      } catch (e: any) {
        return [{ component, field: 'file', value: this.path, allowed: `a new ${component} is created here, so its directory must be writable (${e?.code ?? e})` }];
      }
      this.present = undefined;
      return [];
    }
    if (!stat.isFile()) {
      return [{ component, field: 'file', value: this.path, allowed: `a regular file holding NAME='value' lines (this is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}); move it away and npx projen creates one` }];
    }
    try {
      this.present = parseDotEnvNames(readFileSync(this.path, 'utf-8'));
    } catch (e: any) {
      return [{ component, field: 'file', value: this.path, allowed: `a file npx projen can read (${e?.code ?? e}); it never rewrites it, but reads it to say what it lacks` }];
    }
    return [];
  }

  public postSynthesize(): void {
    if (this.present) {
      const missing = this.contract.all.filter((v) => v.fromDotEnv && v.default === undefined && !this.present!.has(v.name)).map((v) => v.name);
      this._status = { state: 'kept', missing };
      return;
    }
    const text = renderDotEnv(this.contract, this.names, (v) => (v.generate ? generateSecret(v.generate) : ''));
    try {
      // 'wx': create only; if another process made the file meanwhile, leave theirs alone.
      writeFileSync(this.path, text, { flag: 'wx', mode: 0o600 });
    } catch (e: any) {
      if (e?.code === 'EEXIST') {
        this._status = { state: 'kept', missing: [] };
        return;
      }
      throw e;
    }
    const unfilled = this.contract.all.filter((v) => v.fromDotEnv && v.secret && !v.generate).map((v) => v.name);
    this._status = { state: 'created', unfilled };
  }
}
