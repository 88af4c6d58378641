import { IConstruct } from 'constructs';
import { ManagedFile } from '../core';
import { DockerfileModel, renderDockerfile } from './render-dockerfile';

/** The web image's `Dockerfile`. */
export class DockerfileFile extends ManagedFile {
  constructor(scope: IConstruct, model: () => DockerfileModel, filePath = 'Dockerfile') {
    super(scope, filePath, { render: (marker) => renderDockerfile(model(), marker) });
  }
}
