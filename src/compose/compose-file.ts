import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { ComposeModel, renderComposeYaml } from './render-compose';

/** `docker-compose.yml`, rendered from the model when projen synthesizes. */
export class ComposeFile extends ManagedFile {
  constructor(scope: IConstruct, model: () => ComposeModel, filePath = 'docker-compose.yml') {
    super(scope, filePath, { render: (marker) => renderComposeYaml(model(), marker) });
  }
}
