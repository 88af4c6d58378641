import { PythonImage } from './python-image';

/** Everything the Dockerfile says, gathered from the stack. */
export interface DockerfileModel {
  readonly image: PythonImage;
  /** The hash-locked requirements (every package, pinned and hashed), relative to the build context. */
  readonly lockFile: string;
  /** The entrypoint script, relative to the build context (copied with the code). */
  readonly entrypoint: string;
  readonly command: readonly string[];
  /** Non-secret defaults baked into the image; `.env` and compose override them. */
  readonly env: readonly { readonly name: string; readonly value: string }[];
  /** Volume mount points the app writes to; created owned by the app user. */
  readonly writableDirs: readonly string[];
  readonly port?: number;
}

const BASE_ENV = [
  ['PYTHONDONTWRITEBYTECODE', '1'],
  ['PYTHONUNBUFFERED', '1'],
] as const;

function envBlock(pairs: readonly (readonly [string, string])[]): string {
  return `ENV ${pairs.map(([k, v]) => `${k}=${/^[A-Za-z0-9_.:\/-]*$/.test(v) ? v : JSON.stringify(v)}`).join(' \\\n    ')}`;
}

/** The JSON (exec) form of ENTRYPOINT and CMD, spaced for reading. */
function execForm(argv: readonly string[]): string {
  return `[${argv.map((a) => JSON.stringify(a)).join(', ')}]`;
}

function aptInstall(packages: readonly string[]): string {
  return [
    // hadolint's DL3008 asks for apt-get install pkg=version. Debian's mirror keeps only the current
    // version of a package, so an exact pin breaks the build at the next security update; the base
    // image's tag already pins the release the packages come from.
    '# The Debian release of the base image pins these; its mirror keeps no older versions to pin to.',
    '# hadolint ignore=DL3008',
    'RUN apt-get update \\',
    ` && apt-get install -y --no-install-recommends ${packages.join(' ')} \\`,
    ' && rm -rf /var/lib/apt/lists/*',
  ].join('\n');
}

/** The web image's Dockerfile: a build stage that installs dependencies, a runtime stage that runs them. */
export function renderDockerfile(model: DockerfileModel, marker: string): string {
  const { image } = model;
  const venv = '/opt/venv';
  const path = `${venv}/bin:$PATH`;
  const entrypoint = `${image.workdir}/${model.entrypoint}`;
  const sections: string[] = [
    [
      // No `# syntax=` line: every instruction here is in the engine's built-in BuildKit frontend (RUN --mount
      // since Docker 18.09), so a build needs no frontend image from a registry, and works where none is reachable.
      `# ${marker}`,
      '# Image of the web service: Django under Gunicorn with Uvicorn workers. No secret is baked in:',
      '# they reach the container at run time from .env.',
      '# checkov:skip=CKV_DOCKER_2: Health is checked per service by the platform (compose healthcheck, Kubernetes probes): this image runs web, the migrations and workers',
    ].join('\n'),
    [
      '# ---- build: the Python dependencies, installed into a virtualenv that the runtime stage copies',
      `FROM ${image.base.ref} AS build`,
      envBlock([...BASE_ENV, ['PIP_DISABLE_PIP_VERSION_CHECK', '1']]),
    ].join('\n'),
    ...(image.buildPackages.length > 0 ? [aptInstall(image.buildPackages)] : []),
    [`RUN python -m venv ${venv}`, `ENV PATH="${path}"`].join('\n'),
    [
      '# Dependencies before the code, so that a code change does not reinstall them. Exactly the locked',
      '# set: every package pinned, each file checked against its hash, nothing resolved at build time.',
      `COPY ${model.lockFile} /tmp/${model.lockFile}`,
      `RUN --mount=type=cache,target=/root/.cache/pip pip install --require-hashes --no-deps -r /tmp/${model.lockFile}`,
    ].join('\n'),
    [
      '# ---- runtime: the virtualenv and the code, run as an unprivileged user',
      `FROM ${image.base.ref} AS runtime`,
      envBlock([...BASE_ENV, ['PATH', path], ...model.env.map((e) => [e.name, e.value] as const)]),
    ].join('\n'),
    ...(image.runtimePackages.length > 0 ? [aptInstall(image.runtimePackages)] : []),
    [
      `RUN groupadd --system --gid ${image.uid} ${image.user} \\`,
      ` && useradd --system --uid ${image.uid} --gid ${image.user} --no-create-home --home-dir /nonexistent ${image.user}`,
    ].join('\n'),
    [
      `WORKDIR ${image.workdir}`,
      `COPY --from=build ${venv} ${venv}`,
      '# The code stays owned by root: the server can read it, not change it.',
      'COPY . .',
    ].join('\n'),
    ...(model.writableDirs.length > 0
      ? [[
        '# The static and media volumes are mounted here. A new named volume takes the owner of the directory',
        `# it is mounted on, so these belong to ${image.user}, who writes collected static files and uploads.`,
        `RUN mkdir -p ${model.writableDirs.join(' ')} \\`,
        ` && chown ${image.user}:${image.user} ${model.writableDirs.join(' ')}`,
      ].join('\n')]
      : []),
    [
      // By number: a runtime that checks "not root" without the image's /etc/passwd (Kubernetes'
      // runAsNonRoot) can only verify a numeric user.
      `USER ${image.uid}:${image.uid}`,
      ...(model.port !== undefined ? [`EXPOSE ${model.port}`] : []),
      `ENTRYPOINT ${execForm([entrypoint])}`,
      `CMD ${execForm(model.command)}`,
    ].join('\n'),
  ];
  return `${sections.join('\n\n')}\n`;
}
