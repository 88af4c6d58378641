import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { EnvContract } from './env-contract';
import { renderEnvExample } from './render-env-file';

/** `.env.example`, rendered from the env contract. */
export class EnvExampleFile extends ManagedFile {
  constructor(scope: IConstruct, contract: EnvContract, envFile: string) {
    super(scope, `${envFile}.example`, { render: (marker) => renderEnvExample(contract, envFile, marker) });
  }
}
