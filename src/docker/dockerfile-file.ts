import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { DockerfileModel, renderDockerfile } from './render-dockerfile';

/** The web image's `Dockerfile`. */
export class DockerfileFile extends ManagedFile {
  constructor(scope: IConstruct, model: () => DockerfileModel) {
    super(scope, 'Dockerfile', { render: (marker) => renderDockerfile(model(), marker) });
  }
}
