import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { IConstruct } from 'constructs';
import { Component } from 'projen';
import { EnvContract } from './env-contract';
import { parseDotEnvNames, renderDotEnv } from './render-env-file';
import { generateSecret } from './secrets';

/** What synthesis did about `.env`. */
export type DotEnvStatus =
  | { readonly state: 'created'; readonly unfilled: string[] }
  | { readonly state: 'kept'; readonly missing: string[] };

/**
 * The one deployment file that is not managed: `.env`, created once with fresh secrets and mode 0600,
 * never rewritten. It is written after every managed file, so a synthesis that fails writes no `.env`.
 */
export class DotEnv extends Component {
  private _status?: DotEnvStatus;

  constructor(scope: IConstruct, private readonly contract: EnvContract, public readonly fileName: string) {
    super(scope);
  }

  /** Set after synthesis. */
  public get status(): DotEnvStatus | undefined {
    return this._status;
  }

  public postSynthesize(): void {
    const path = join(this.project.outdir, this.fileName);
    if (existsSync(path)) {
      const present = parseDotEnvNames(readFileSync(path, 'utf-8'));
      const missing = this.contract.all.filter((v) => v.fromDotEnv && v.default === undefined && !present.has(v.name)).map((v) => v.name);
      this._status = { state: 'kept', missing };
      return;
    }
    const text = renderDotEnv(this.contract, (v) => (v.generate ? generateSecret(v.generate) : ''));
    try {
      // 'wx': create only; if another process made the file meanwhile, leave theirs alone.
      writeFileSync(path, text, { flag: 'wx', mode: 0o600 });
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
