import { IConstruct } from 'constructs';
import { ManagedFile, Override, overridePath } from '../core';
import { DevelopmentOverride } from '../model';
import { renderDevComposeYaml } from './render-dev-compose';
import { ComposeModel, renderComposeYaml } from './render-compose';

/**
 * `docker-compose.yml`, rendered from the model when projen synthesizes. For a Compose key the model lacks,
 * `addOverride` sets it in the file as rendered (projen's ObjectFile has the same escape hatch).
 */
export class ComposeFile extends ManagedFile {
  public static readonly PATH = 'docker-compose.yml';
  private readonly overrides: Override[] = [];

  constructor(scope: IConstruct, model: () => ComposeModel) {
    super(scope, ComposeFile.PATH, { render: (marker) => renderComposeYaml(model(), marker, this.overrides) });
  }

  /**
   * Sets a key the model does not have, by its dotted path in the file, after the model is rendered:
   * `addOverride('services.web.sysctls', { 'net.core.somaxconn': 1024 })`. Nothing checks it but Compose:
   * prefer an option of the model where there is one. A `.` inside a key is written `\\.`.
   */
  public addOverride(path: string, value: unknown): this {
    this.overrides.push({ path: overridePath(path), value });
    return this;
  }

  /** Removes a key from the rendered file, by its dotted path: `addDeletionOverride('services.web.logging')`. */
  public addDeletionOverride(path: string): this {
    this.overrides.push({ path: overridePath(path), value: undefined });
    return this;
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
