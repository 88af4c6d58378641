import { IConstruct } from 'constructs';
import { YamlFile } from 'projen';

export interface CiWorkflowOptions {
  /** The script that installs what the tests need, runs them, then checks for drift. */
  readonly script: string;
}

/**
 * `.github/workflows/ci.yml`: runs the tests and the drift check on every push and pull request. A drift
 * fails the job; nothing is ever committed back.
 */
export class CiWorkflow extends YamlFile {
  constructor(scope: IConstruct, options: CiWorkflowOptions) {
    super(scope, '.github/workflows/ci.yml', {
      obj: {
        name: 'ci',
        on: { push: { branches: ['main'] }, pull_request: {} },
        permissions: { contents: 'read' },
        jobs: {
          test: {
            'runs-on': 'ubuntu-24.04',
            'timeout-minutes': 60,
            container: {
              // Debian bookworm with Node 20: the packages the tests are written against.
              image: 'node:20-bookworm',
              // The end-to-end tests run a Docker engine in network and mount namespaces of their own.
              options: '--privileged',
            },
            steps: [
              { uses: 'actions/checkout@v4' },
              { name: 'Tests and drift check', run: `bash ${options.script}`, env: { CI: 'true' } },
            ],
          },
        },
      },
    });
  }
}
