import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { EnvContract } from '../model';
import { EnvFileNames, renderEnvExample } from './render-env-file';

/** `.env.example`, rendered from the env contract. */
export class EnvExampleFile extends ManagedFile {
  constructor(scope: IConstruct, contract: EnvContract, names: EnvFileNames) {
    super(scope, names.envExample, { render: (marker) => renderEnvExample(contract, names, marker) });
  }
}
