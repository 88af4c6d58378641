import { javascript, typescript } from 'projen';
import { CiWorkflow, DjangoStack, KubernetesTarget } from './src';

const project = new typescript.TypeScriptProject({
  name: 'tau-backend',
  description: 'Deployment stack of the Tau Django backend, synthesized from one typed model.',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // Keep the top level lean: this repository ships a stack, not an npm package.
  github: false,
  buildWorkflow: false,
  release: false,
  depsUpgrade: false,
  eslint: false,
  prettier: false,
  npmignoreEnabled: false,
  licensed: false,
  package: false,
  sampleCode: false,
  vscode: false,
  clobber: false,
  jest: true,
  jestOptions: { junitReporting: false, jestConfig: { collectCoverage: false, setupFilesAfterEnv: ['<rootDir>/test/helpers/clean-after-all.ts'] } },
  devDeps: ['yaml@^2', 'tsx@^4', 'fast-check@^3', 'dockerfile-utils@^0.16', 'dockerfile-ast@^0.7', 'ajv@^8', 'ajv-formats@^3', 'dclint@^3', 'mermaid@^11', 'jsdom@^25', '@balena/dockerignore@^1', 'madge@^8', 'kubernetes-types@1.30.0', 'esbuild@0.28.2', '@cyclonedx/cyclonedx-library@^10', 'ajv-formats-draft2019@^1', 'packageurl-js@^2'],
});

// The Tau backend's production stack: every deployment file below is generated from this.
const stack = new DjangoStack(project, {
  django: { project: 'Tau', requirements: ['Django~=5.2.0', 'graphene-django~=3.2.3'] },
  postgres: { version: 17 },
  web: { port: 8000 },
  nginx: { port: 80, maxUploadSize: '25m' },
});

// The same stack as a kustomize base under k8s/, for a cluster. nginx believes X-Forwarded-For from the
// ingress controller's pods only: the pod network of the cluster (the test cluster's, test/k8s/node.sh).
new KubernetesTarget(stack, { ingress: { className: 'nginx', host: 'tau.example.com' }, trustedProxies: ['10.244.0.0/16'] });

// This repository's own files that the image does not need: its CI, scripts, the TypeScript of the model and
// its tests, benchmarks and docs.
stack.dockerIgnore.addGroup({
  why: 'This repository\'s CI, scripts, model sources, tests, benchmarks and docs',
  patterns: ['.github', '.ci', 'scripts', 'projenrc', 'src', 'test', 'test-reports', 'coverage', 'bench', 'docs'],
});
// Tests and the drift check on every push and pull request.
new CiWorkflow(project, { script: '.ci/run' });

// `npx projen lock` (from DjangoStack) resolves requirements.lock with uv; this repository's own Python tools
// are locked the same way, and uv comes from their virtualenv (scripts/python-env.sh).
const lock = project.tasks.tryFind('lock')!;
lock.env('PATH', '$(echo "$(bash scripts/python-env.sh tools):$PATH")');
lock.exec(stack.lock.command('requirements.txt').join(' ').replace(/requirements\.(txt|lock)/g, 'test/tools/requirements.$1'));

// `npx projen` bundles this file and src/ with esbuild and runs the bundle in one node process: no
// type-checking (the test task runs tsc) and no TypeScript loader, which halves its time. Nothing is
// written: the bundle goes to node's stdin. pipefail: a syntax error stops synthesis, not only the bundle.
project.defaultTask!.reset("bash -o pipefail -c 'esbuild .projenrc.ts --bundle --platform=node --packages=external --log-level=warning | node -'");
// projen's Node projects resolve PATH with an extra `npx` on every task; npx and npm scripts
// already put node_modules/.bin on PATH, and that extra process doubled the time of `npx projen`.
project.tryFindObjectFile('.projen/tasks.json')!.addDeletionOverride('env');

// `npx projen test`: types, the model's unit tests, then the Django suite against a real PostgreSQL.
project.testTask.reset();
project.testTask.exec('tsc --noEmit -p test/tsconfig.json', { name: 'types of src/ and test/' });
project.testTask.exec('tsc --noEmit -p projenrc/tsconfig.json', { name: 'types of .projenrc.ts' });
project.testTask.exec('tsc --noEmit -p bench/tsconfig.json', { name: 'types of bench/' });
project.testTask.exec('shellcheck -x scripts/*.sh .ci/run test/django/run-tests.sh test/django/tls-probe.sh test/lib/throwaway-postgres.sh test/postgres/*.sh test/engine/*.sh test/engine/*/*.sh test/k8s/*.sh test/acme/*.sh test/prometheus/*.sh k8s/create-secret.sh ops/*.sh postgres/*.sh',
  { name: "shellcheck of the repository's own scripts" });
project.testTask.exec('jest --ci --testPathIgnorePatterns /test/k8s/', { receiveArgs: true, name: 'jest: the model, its files and their validators' });
project.testTask.exec('bash test/django/run-tests.sh', { name: 'the Django suite' });
// The Kubernetes checks start a real kube-apiserver and its controllers: a phase of their own, as the e2e is.
project.testTask.exec('jest --ci test/k8s', { name: 'Kubernetes: schemas, checkov, semantics and a real API server' });

// The stack's own files, built and run by a real Docker engine and Docker Compose (test/e2e/run.ts). The engine
// runs in network, mount and PID namespaces of its own (test/engine/with-engine.sh): nothing binds the
// machine's ports or touches its Docker state, and every process ends with the run.
project.addTask('e2e', {
  description: 'Build and run the synthesized stack under a real Docker engine and check it through nginx, with faults',
  exec: 'bash test/engine/with-engine.sh node --import tsx test/e2e/run.ts',
});

// The Kubernetes base of each stack deployed on a real one-node cluster (test/k8s/with-cluster.sh: control
// plane, kubelet, containerd, CNI, kube-proxy, CoreDNS, a NetworkPolicy enforcer, an ingress controller) as
// docs/KUBERNETES.md tells a user, then checked through its Ingress, with faults (test/k8s/cluster-e2e.sh).
project.addTask('e2e:cluster', {
  description: 'Deploy the Kubernetes base of each stack on a real one-node cluster and check it through its Ingress, with faults',
  exec: 'bash test/k8s/cluster-e2e.sh',
});

project.addTask('bench', {
  description: 'Measure synthesis and serving speed and the build context, as ratios; writes bench/results/latest.md (--update: also bench/RESULTS.md)',
  exec: 'node --import tsx bench/run.ts',
  receiveArgs: true,
});
project.gitignore.exclude('/bench/results/');

project.addTask('drift', {
  description: 'Fail when a managed file differs from what .projenrc.ts synthesizes',
  exec: 'bash scripts/drift-check.sh',
});

project.synth();
