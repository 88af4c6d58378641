import { readFileSync } from 'fs';
import { join } from 'path';
import { DockerfileParser } from 'dockerfile-ast';
import { parse } from 'yaml';
import { readEnvFile } from '../lib/env-file';

/**
 * The stack as its own files describe it: what each service runs, its environment and its mounts are read
 * from docker-compose.yml, the Dockerfile and .env, never restated by the harness.
 */

/** The base images' default PATH, which `ENV PATH=...:$PATH` extends. */
const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Compose's interpolation: `$$` is a literal `$`; `${VAR}`, `${VAR:-default}` and `$VAR` come from .env. */
export function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced, fallback, bare) => {
      if (match === '$$') return '$';
      const name = braced ?? bare;
      return vars[name] ?? fallback ?? '';
    });
}

function interpolateAll(node: any, vars: Record<string, string>): any {
  if (typeof node === 'string') return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, vars));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, vars)]));
  return node;
}

export interface Mount {
  readonly kind: 'volume' | 'file';
  /** Volume name, or a file path relative to the project directory. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface ComposeService {
  readonly name: string;
  readonly image: string;
  readonly build?: { readonly context: string; readonly dockerfile: string };
  readonly command?: string[];
  readonly envFiles: string[];
  readonly environment: Record<string, string>;
  readonly ports: { host: number; container: number }[];
  readonly mounts: Mount[];
  readonly dependsOn: { service: string; condition: string }[];
  readonly healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
}

export interface ComposeProject {
  readonly dir: string;
  readonly services: ComposeService[];
  readonly volumes: string[];
}

export function readCompose(dir: string): ComposeProject {
  const dotEnv = readEnvFile(join(dir, '.env'));
  const file = interpolateAll(parse(readFileSync(join(dir, 'docker-compose.yml'), 'utf-8')), dotEnv);
  const services = Object.entries<any>(file.services).map(([name, s]): ComposeService => ({
    name,
    image: s.image,
    build: s.build ? { context: s.build.context ?? '.', dockerfile: s.build.dockerfile ?? 'Dockerfile' } : undefined,
    command: s.command,
    envFiles: s.env_file ?? [],
    environment: s.environment ?? {},
    ports: (s.ports ?? []).map((p: string) => {
      const [host, container] = p.split(':').map(Number);
      return { host, container };
    }),
    mounts: (s.volumes ?? []).map((v: string) => {
      const [source, target, mode] = v.split(':');
      const file = source.startsWith('.') || source.startsWith('/');
      return { kind: file ? 'file' : 'volume', source: file ? source.replace(/^\.\//, '') : source, target, readOnly: mode === 'ro' };
    }),
    dependsOn: Object.entries<any>(s.depends_on ?? {}).map(([service, d]) => ({ service, condition: d.condition ?? 'service_started' })),
    healthcheck: s.healthcheck
      ? { test: s.healthcheck.test, interval: s.healthcheck.interval, timeout: s.healthcheck.timeout, retries: s.healthcheck.retries, startPeriod: s.healthcheck.start_period }
      : undefined,
  }));
  return { dir, services, volumes: Object.keys(file.volumes ?? {}) };
}

/** The environment compose gives a container: the image's ENV, then env_file, then environment. */
export function containerEnv(project: ComposeProject, service: ComposeService, imageEnv: Record<string, string>): Record<string, string> {
  const fromFiles = Object.assign({}, ...service.envFiles.map((f) => readEnvFile(join(project.dir, f))));
  return { PATH: BASE_PATH, ...imageEnv, ...fromFiles, ...service.environment };
}

/** One instruction of the final stage, in the order the Dockerfile gives. */
export type ImageStep =
  | { readonly kind: 'workdir'; readonly path: string }
  | { readonly kind: 'copy-context'; readonly sources: string[]; readonly dest: string }
  | { readonly kind: 'copy-stage'; readonly from: string; readonly source: string; readonly dest: string }
  | { readonly kind: 'run'; readonly script: string };

/** The final stage of a Dockerfile: what the container of a built image starts from. */
export interface ImageSpec {
  readonly steps: ImageStep[];
  readonly env: Record<string, string>;
  readonly workdir: string;
  readonly user?: string;
  readonly entrypoint: string[];
  readonly cmd: string[];
}

function expandEnv(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name) => env[name] ?? '');
}

export function readImage(dockerfilePath: string): ImageSpec {
  const dockerfile = DockerfileParser.parse(readFileSync(dockerfilePath, 'utf-8'));
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const final = instructions.slice(instructions.indexOf(froms[froms.length - 1]) + 1);
  const env: Record<string, string> = { PATH: BASE_PATH };
  const steps: ImageStep[] = [];
  let workdir = '/';
  let user: string | undefined;
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const i of final) {
    const args = i.getArguments().map((a) => a.getValue());
    switch (i.getKeyword()) {
      case 'ENV':
        for (const arg of args) {
          const eq = arg.indexOf('=');
          env[arg.slice(0, eq)] = expandEnv(arg.slice(eq + 1).replace(/^"(.*)"$/, '$1'), env);
        }
        break;
      case 'WORKDIR':
        workdir = args[0].startsWith('/') ? args[0] : `${workdir}/${args[0]}`;
        steps.push({ kind: 'workdir', path: workdir });
        break;
      case 'COPY': {
        // getArguments() leaves flags out; --from= is read from the instruction's whole text.
        const from = /--from=(\S+)/.exec(i.getTextContent() ?? '')?.[1];
        const plain = args.filter((a) => !a.startsWith('--'));
        const dest = plain[plain.length - 1] === '.' ? workdir : plain[plain.length - 1];
        if (from) steps.push({ kind: 'copy-stage', from, source: plain[0], dest });
        else steps.push({ kind: 'copy-context', sources: plain.slice(0, -1), dest });
        break;
      }
      case 'RUN':
        steps.push({ kind: 'run', script: i.getRawArgumentsContent()?.replace(/\\\n/g, ' ') ?? '' });
        break;
      case 'USER':
        user = args[0];
        break;
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(i.getRawArgumentsContent() ?? '[]');
        break;
      case 'CMD':
        cmd = JSON.parse(i.getRawArgumentsContent() ?? '[]');
        break;
      default:
    }
  }
  return { steps, env, workdir, user, entrypoint, cmd };
}
