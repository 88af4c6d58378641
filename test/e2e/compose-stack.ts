import { spawnSync } from 'child_process';
import { request } from 'http';
import { readFileSync } from 'fs';
import { join } from 'path';
import { dockerCompose } from '../lib/docker-compose';

/**
 * A synthesized stack run by the real Docker engine and Docker Compose, from its own unmodified files.
 * Runs inside test/engine/with-engine.sh, which starts the engine in a namespace of its own and exports
 * DOCKER_HOST. Everything about the stack (services, images, ports, volumes, healthchecks) is what
 * `docker compose config` makes of docker-compose.yml and .env: the harness restates nothing.
 */

/** The Docker CLI of Debian's docker.io, the same release as the engine. */
export const DOCKER = process.env.DOCKER ?? '/usr/bin/docker';

export interface Result {
  readonly code: number;
  readonly output: string;
}

/** Whether an HTTP server answers on localhost:port (any status). */
function httpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: 'localhost', port, path: '/', method: 'HEAD', agent: false }, (res) => { res.resume(); resolve(true); });
    req.setTimeout(2000, () => req.destroy());
    // A connection nginx closes without an answer (444, for a Host it does not serve) is nginx answering too.
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNRESET'));
    req.end();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs a program; its stdout and stderr together are the output. Never throws on a non-zero exit. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Result {
  const r = spawnSync(command, args, {
    cwd: options.cwd, env: { ...process.env, ...options.env }, input: options.input, encoding: 'utf-8',
    timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) return { code: -1, output: `${r.error.message}\n${r.stdout ?? ''}${r.stderr ?? ''}` };
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** The part of `docker compose config --format json` the checks read. */
export interface ComposeConfig {
  readonly name: string;
  readonly services: Record<string, {
    readonly image?: string;
    readonly build?: { readonly context: string; readonly dockerfile: string };
    readonly ports?: { readonly target: number; readonly published: string | number; readonly host_ip?: string }[];
    readonly environment?: Record<string, string | null>;
    readonly healthcheck?: unknown;
    readonly restart?: string;
  }>;
  readonly networks?: Record<string, { readonly name: string }>;
}

export class ComposeStack {
  public readonly config: ComposeConfig;

  /**
   * `project` names the compose project: containers, networks and volumes are prefixed with it. `files` are
   * the compose files, merged in order (the production file, then an overlay such as development's).
   */
  constructor(public readonly dir: string, public readonly project: string, public readonly files: readonly string[] = ['docker-compose.yml']) {
    this.config = JSON.parse(this.composeOrThrow(['config', '--format', 'json']));
  }

  public get services(): string[] {
    return Object.keys(this.config.services);
  }

  /** The server built from the Dockerfile (web; not the one-shot migrate service on the same image, nor db's image with pgBackRest). */
  public get built(): string {
    return this.services.find((s) => this.config.services[s].build && this.config.services[s].restart !== 'no' && s !== this.db)!;
  }

  /** The image a service runs, or for one it builds, the first base image of its Dockerfile. */
  public baseOf(service: string): string {
    const s = this.config.services[service];
    if (!s.build) return s.image!;
    return /^FROM\s+(?:--\S+\s+)*(\S+)/im.exec(readFileSync(join(s.build.context, s.build.dockerfile), 'utf-8'))![1];
  }

  /**
   * The front door: the service whose port is published on every interface (nginx), and that port. (Development
   * mode also publishes web and db, on 127.0.0.1 only.)
   */
  public get front(): { service: string; port: number } {
    for (const s of this.services) {
      const p = this.config.services[s].ports?.find((x) => !x.host_ip);
      if (p) return { service: s, port: Number(p.published) };
    }
    throw new Error('no service publishes a port on every interface');
  }

  /** The PostgreSQL service. */
  public get db(): string {
    return this.services.find((s) => /^postgres:/.test(this.baseOf(s)))!;
  }

  public compose(args: readonly string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Result {
    return run(dockerCompose(), ['--project-name', this.project, '--project-directory', this.dir, ...this.files.flatMap((f) => ['--file', join(this.dir, f)]), ...args],
      { cwd: this.dir, ...options });
  }

  public composeOrThrow(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): string {
    const r = this.compose(args, options);
    if (r.code !== 0) throw new Error(`docker compose ${args.join(' ')} (exit ${r.code}):\n${r.output.trim()}`);
    return r.output;
  }

  /** The images the stack pulls: those its services run as they are, and the bases of those it builds. */
  public get baseImages(): string[] {
    const images = new Set<string>();
    for (const s of Object.values(this.config.services)) {
      if (!s.build) {
        images.add(s.image!);
        continue;
      }
      const dockerfile = readFileSync(join(s.build.context, s.build.dockerfile), 'utf-8');
      const stages = new Set<string>();
      for (const m of dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
        if (!stages.has(m[1])) images.add(m[1]);
        if (m[2]) stages.add(m[2]);
      }
    }
    return [...images];
  }

  /**
   * The base images, where no registry can be reached: stand-ins built from Debian packages and tagged with
   * the names the stack uses (test/engine/standin-images.sh; cached, keyed by their recipe).
   */
  public standIns(except: readonly string[] = []): void {
    const r = run('bash', [join(__dirname, '..', 'engine', 'standin-images.sh'), ...this.baseImages.filter((i) => !except.includes(i))], { timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(`stand-in images (exit ${r.code}):\n${r.output.trim()}`);
  }

  /**
   * Builds each image the compose file builds, with the engine's BuildKit, as `docker build` does: the
   * Dockerfile and context it names, tagged with the image name it gives.
   */
  public build(): string[] {
    const built: string[] = [];
    for (const [name, s] of Object.entries(this.config.services)) {
      if (!s.build || built.includes(s.image!)) continue;
      const r = run(DOCKER, ['build', '--tag', s.image!, '--file', join(s.build.context, s.build.dockerfile), s.build.context],
        { env: { DOCKER_BUILDKIT: '1' }, timeoutMs: 900_000 });
      if (r.code !== 0) throw new Error(`docker build of ${name} (exit ${r.code}):\n${r.output.trim().split('\n').slice(-40).join('\n')}`);
      built.push(s.image!);
    }
    return built;
  }

  /** `docker compose up -d` (`scale`: replicas per service), then waits until every service with a healthcheck is healthy. */
  public async up(options: { scale?: Record<string, number> } = {}): Promise<void> {
    const scale = Object.entries(options.scale ?? {}).flatMap(([s, n]) => ['--scale', `${s}=${n}`]);
    this.composeOrThrow(['up', '--detach', '--no-build', '--quiet-pull', ...scale], { timeoutMs: 300_000 });
    for (const s of this.services) if (this.config.services[s].healthcheck) await this.waitHealthy(s);
    await this.waitFront();
  }

  /**
   * The front service (nginx) has no healthcheck: running is not serving. Waits until an HTTP request through
   * its published port gets an answer, whatever its status.
   */
  public async waitFront(timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (await httpAnswers(this.front.port)) return;
      await sleep(250);
    }
    throw new Error(`${this.front.service} does not answer on port ${this.front.port} after ${timeoutMs / 1000} s:\n${this.logs(this.front.service, 20)}`);
  }

  /** The exit code of a service's (first) container, once it has exited; undefined while it runs. */
  public exitCode(service: string): number | undefined {
    const state = JSON.parse(run(DOCKER, ['inspect', '--format', '{{json .State}}', this.containerId(service)]).output);
    return state.Status === 'exited' ? state.ExitCode : undefined;
  }

  public async down(options: { volumes?: boolean } = {}): Promise<void> {
    this.composeOrThrow(['down', '--timeout', '20', ...(options.volumes ? ['--volumes'] : [])], { timeoutMs: 120_000 });
  }

  public containerId(service: string): string {
    return this.composeOrThrow(['ps', '--all', '--quiet', service]).trim().split('\n')[0];
  }

  /** The engine's view of a service's container: running, health. */
  public state(service: string): { status: string; health?: string; startedAt: string; restarts: number } {
    const id = this.containerId(service);
    const r = run(DOCKER, ['inspect', '--format', '{"State":{{json .State}},"RestartCount":{{.RestartCount}}}', id]);
    const { State: state, RestartCount: restarts } = JSON.parse(r.output);
    return { status: state.Status, health: state.Health?.Status, startedAt: state.StartedAt, restarts };
  }

  /** Polls the engine's health status (the compose file's own healthcheck, run by the engine). */
  public async waitHealthy(service: string, timeoutMs = 180_000): Promise<number> {
    const started = Date.now();
    let last: { status: string; health?: string } = { status: 'unknown' };
    while (Date.now() - started < timeoutMs) {
      last = this.state(service);
      if (last.health === 'healthy') return Date.now() - started;
      if (last.status === 'exited' || last.status === 'dead') break;
      await sleep(500);
    }
    throw new Error(`${service} is not healthy after ${((Date.now() - started) / 1000).toFixed(0)} s (${last.status}, ${last.health ?? 'no health'}):\n${this.logs(service, 30)}`);
  }

  /** Runs a command in a service's running container (`docker compose exec -T`). */
  public exec(service: string, argv: readonly string[], env: Record<string, string> = {}): Result {
    return this.compose(['exec', '-T', ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]), service, ...argv]);
  }

  public logs(service: string, lines: number): string {
    return this.compose(['logs', '--no-color', '--tail', String(lines), service]).output.trim();
  }

  /** The compose network of the published service (the first it joins), by its engine name. */
  public frontNetwork(): string {
    const networks = (this.config.services[this.front.service] as { networks?: Record<string, unknown> }).networks;
    const key = Object.keys(networks ?? {})[0] ?? 'default';
    return this.config.networks?.[key]?.name ?? `${this.project}_${key}`;
  }

  /** The gateway of the published service's network: the address the engine's port publishing connects from. */
  public gateway(): string {
    const network = this.frontNetwork();
    return run(DOCKER, ['network', 'inspect', '--format', '{{(index .IPAM.Config 0).Gateway}}', network]).output.trim();
  }
}
