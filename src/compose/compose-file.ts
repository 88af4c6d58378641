import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { ComposeModel, renderComposeYaml } from './render-compose';

/** `docker-compose.yml`, rendered from the model when projen synthesizes. */
export class ComposeFile extends ManagedFile {
  public static readonly PATH = 'docker-compose.yml';

  constructor(scope: IConstruct, model: () => ComposeModel) {
    super(scope, ComposeFile.PATH, { render: (marker) => renderComposeYaml(model(), marker) });
  }
}
