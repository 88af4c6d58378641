import { IConstruct } from 'constructs';
import { Component } from 'projen';
import { ManagedFile } from '../core';
import { DotEnv } from '../env';
import { renderArchitecture } from './render-architecture';
import { renderEnvironment } from './render-environment';
import { renderSummary } from './render-summary';
import { StackView } from './stack-view';

/** `docs/ARCHITECTURE.md` and `docs/ENVIRONMENT.md`, managed like every other generated file. */
export class StackDocs extends Component {
  public static readonly ARCHITECTURE = 'docs/ARCHITECTURE.md';
  public static readonly ENVIRONMENT = 'docs/ENVIRONMENT.md';

  constructor(scope: IConstruct, view: StackView) {
    super(scope);
    new ManagedFile(this, StackDocs.ARCHITECTURE, { render: (marker) => renderArchitecture(view, marker) });
    new ManagedFile(this, StackDocs.ENVIRONMENT, { render: (marker) => renderEnvironment(view, marker) });
  }
}

/** Prints the stack at a glance after synthesis; created after `.env` is handled, so it can say what happened to it. */
export class StackSummary extends Component {
  constructor(scope: IConstruct, private readonly view: StackView, private readonly dotEnv: DotEnv) {
    super(scope);
  }

  public postSynthesize(): void {
    for (const line of renderSummary(this.view, this.dotEnv.status)) this.project.logger.info(line);
  }
}
