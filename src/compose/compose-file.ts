import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { DevelopmentOverride } from '../model';
import { renderDevComposeYaml } from './render-dev-compose';
import { ComposeModel, renderComposeYaml } from './render-compose';

/** `docker-compose.yml`, rendered from the model when projen synthesizes. */
export class ComposeFile extends ManagedFile {
  public static readonly PATH = 'docker-compose.yml';

  constructor(scope: IConstruct, model: () => ComposeModel) {
    super(scope, ComposeFile.PATH, { render: (marker) => renderComposeYaml(model(), marker) });
  }
}

/** `docker-compose.dev.yml`: the development overlay, used only with `-f docker-compose.yml -f docker-compose.dev.yml`. */
export class DevComposeFile extends ManagedFile {
  public static readonly PATH = 'docker-compose.dev.yml';

  constructor(scope: IConstruct, overrides: () => readonly DevelopmentOverride[]) {
    super(scope, DevComposeFile.PATH, {
      render: (marker) => renderDevComposeYaml({ overrides: overrides(), base: ComposeFile.PATH, file: DevComposeFile.PATH }, marker),
    });
  }
}
