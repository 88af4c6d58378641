import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { createConnection, createServer, Server } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { buildContextFiles } from '../lib/build-context';
import { Container, ContainerSpec, sleep, sq } from './container';
import { ComposeProject, ComposeService, containerEnv, ImageSpec, readImage } from './stack-files';

const HERE = __dirname;
const NGINX_MAIN_CONF = resolve(HERE, '..', 'lib', 'nginx-official.conf');

/** How a service's image is stood in for on this machine, from Debian's packages. */
interface StandIn {
  readonly build: string[];
  readonly env: Record<string, string>;
  readonly user?: string;
  readonly workdir: string;
  readonly entrypoint: string[];
  readonly cmd: string[];
}

/** The official postgres image: PGDATA by major version (docker-library/postgres), our entrypoint stand-in. */
function postgresStandIn(version: number, service: ComposeService): StandIn {
  const pgdata = version >= 18 ? `/var/lib/postgresql/${version}/docker` : '/var/lib/postgresql/data';
  if (version >= 18 && service.mounts.some((m) => m.target === '/var/lib/postgresql/data')) {
    // What the 18 image does: a volume at the pre-18 path is refused at start.
    throw new Error(`postgres:${version}: a volume at /var/lib/postgresql/data is refused from 18 on; mount it at /var/lib/postgresql`);
  }
  return {
    build: [`install -m 755 ${sq(join(HERE, 'images', 'postgres-entrypoint.sh'))} "$R/usr/local/bin/docker-entrypoint.sh"`],
    env: { PGDATA: pgdata },
    workdir: '/',
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['postgres'],
  };
}

/** The official nginx image: its main config, its nginx user, `nginx -g 'daemon off;'`. */
function nginxStandIn(): StandIn {
  return {
    build: [
      'chroot "$R" useradd --system --no-create-home --shell /usr/sbin/nologin nginx',
      'rm -f "$R"/etc/nginx/conf.d/* "$R"/etc/nginx/sites-enabled/*',
      `cp ${sq(NGINX_MAIN_CONF)} "$R/etc/nginx/nginx.conf"`,
    ],
    env: {},
    workdir: '/',
    entrypoint: [],
    cmd: ['nginx', '-g', 'daemon off;'],
  };
}

/**
 * An image built from the Dockerfile: its final stage replayed. COPY from the build context copies the
 * files a .dockerignore-filtered context holds; RUN runs in the new root as root. What the build stage
 * installs into the virtualenv is stood in for by Debian's packages: `python` is Debian's python3,
 * `gunicorn` runs Debian's package, and a module named uvicorn_worker maps to Debian's uvicorn worker.
 * RUN lines that install Debian packages are skipped (no network here; the packages are on the machine).
 */
function builtImageStandIn(project: ComposeProject, service: ComposeService, image: ImageSpec): StandIn {
  const context = resolve(project.dir, service.build!.context);
  const files = buildContextFiles(context);
  const build: string[] = [
    'ln -sf /usr/bin/python3 "$R/usr/local/bin/python"',
    `install -m 755 ${sq(join(HERE, 'shims', 'gunicorn'))} "$R/usr/local/bin/gunicorn"`,
    'mkdir -p "$R/usr/local/lib/python3/dist-packages"',
    `for d in "$R"/usr/local/lib/python3.*/dist-packages "$R"/usr/local/lib/python3/dist-packages; do mkdir -p "$d"; cp ${sq(join(HERE, 'shims', 'uvicorn_worker.py'))} "$d/"; done`,
  ];
  for (const step of image.steps) {
    if (step.kind === 'workdir') build.push(`mkdir -p "$R"${sq(step.path)}`);
    if (step.kind === 'copy-stage') continue;
    if (step.kind === 'run' && !/apt-get/.test(step.script)) build.push(`chroot "$R" /bin/sh -c ${sq(step.script)}`);
    if (step.kind === 'copy-context') {
      const chosen = step.sources.includes('.') ? files : files.filter((f) => step.sources.includes(f.path));
      build.push(`mkdir -p "$R"${sq(step.dest)}`);
      // tar keeps modes (the entrypoint's executable bit) and gives root ownership, as COPY does.
      build.push(`tar -C ${sq(context)} --owner=0 --group=0 -cf - ${chosen.map((f) => sq(f.path)).join(' ')} | tar -C "$R"${sq(step.dest)} -xf -`);
    }
  }
  return { build, env: image.env, user: image.user, workdir: image.workdir, entrypoint: image.entrypoint, cmd: image.cmd };
}

function standIn(project: ComposeProject, service: ComposeService): StandIn {
  if (service.build) return builtImageStandIn(project, service, readImage(join(project.dir, service.build.context, service.build.dockerfile)));
  const postgres = /^postgres:(\d+)/.exec(service.image);
  if (postgres) return postgresStandIn(Number(postgres[1]), service);
  if (/^nginx:/.test(service.image)) return nginxStandIn();
  throw new Error(`no stand-in for image ${service.image} (service ${service.name}) on this machine`);
}

function seconds(duration: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (!m) return 30;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** The stack of one compose project, run from its own files. */
export class StackRun {
  public readonly runDir: string;
  private readonly volumeDirs = new Map<string, string>();
  private readonly containers = new Map<string, Container>();
  private readonly forwarders: Server[] = [];
  private readonly services: Map<string, ComposeService>;

  constructor(private readonly project: ComposeProject) {
    this.runDir = mkdtempSync(join(tmpdir(), 'tau-e2e-'));
    this.services = new Map(project.services.map((s) => [s.name, s]));
    for (const volume of project.volumes) {
      const dir = join(this.runDir, 'volumes', volume);
      mkdirSync(dir, { recursive: true });
      this.volumeDirs.set(volume, dir);
    }
  }

  /** Services in the order compose starts them: each after the services it depends on. */
  public get order(): string[] {
    const done: string[] = [];
    const visit = (name: string) => {
      if (done.includes(name)) return;
      for (const d of this.services.get(name)!.dependsOn) visit(d.service);
      done.push(name);
    };
    for (const name of this.services.keys()) visit(name);
    return done;
  }

  public container(name: string): Container {
    let c = this.containers.get(name);
    if (!c) {
      const service = this.services.get(name)!;
      const image = standIn(this.project, service);
      const spec: ContainerSpec = {
        name,
        hosts: [...this.services.keys()],
        volumes: this.volumeDirs,
        mounts: service.mounts,
        projectDir: this.project.dir,
        build: image.build,
        user: image.user,
        env: containerEnv(this.project, service, image.env),
        workdir: image.workdir,
        argv: [...image.entrypoint, ...(service.command ?? image.cmd)],
      };
      c = new Container(spec, this.runDir);
      this.containers.set(name, c);
    }
    return c;
  }

  /** Runs the service's declared healthcheck once, inside it. */
  public healthcheck(name: string): boolean {
    const test = this.services.get(name)!.healthcheck?.test;
    if (!test) return this.container(name).running;
    const [kind, ...rest] = test;
    const argv = kind === 'CMD-SHELL' ? ['/bin/sh', '-c', rest[0]] : rest;
    // Healthchecks run as the container's user, as `docker exec` does by default.
    return this.container(name).exec(argv, { timeoutMs: seconds(this.services.get(name)!.healthcheck!.timeout) * 1000 }).code === 0;
  }

  /**
   * Waits until the healthcheck passes. It is polled every half second rather than every `interval`, to
   * keep the run short; it gives up when compose would call the service unhealthy.
   */
  public async waitHealthy(name: string): Promise<void> {
    const h = this.services.get(name)!.healthcheck;
    const deadline = Date.now() + (h ? (seconds(h.startPeriod) + h.retries * seconds(h.interval)) * 1000 : 30_000);
    while (Date.now() < deadline) {
      if (!this.container(name).running) throw new Error(`${name} exited:\n${this.tail(name)}`);
      if (this.healthcheck(name)) return;
      await sleep(500);
    }
    throw new Error(`${name} did not become healthy:\n${this.tail(name)}`);
  }

  /** Starts one service, after waiting for the conditions it declares on its dependencies. */
  public async start(name: string): Promise<void> {
    for (const dep of this.services.get(name)!.dependsOn) {
      if (!this.container(dep.service).running) throw new Error(`${name} depends on ${dep.service}, which is not running`);
      if (dep.condition === 'service_healthy') await this.waitHealthy(dep.service);
    }
    this.container(name).start();
    await sleep(100);
  }

  /** `docker compose up`: every service in dependency order, gated on the declared healthchecks; ports published. */
  public async up(): Promise<void> {
    for (const name of this.order) await this.start(name);
    for (const name of this.order) if (this.services.get(name)!.healthcheck) await this.waitHealthy(name);
    this.publishPorts();
  }

  /** `docker compose stop`: every service, dependents first. Volumes stay. */
  public async down(): Promise<void> {
    for (const f of this.forwarders.splice(0)) f.close();
    for (const name of [...this.order].reverse()) await this.containers.get(name)?.stop();
  }

  /**
   * Published ports. Every service listens on the shared loopback already, so a port published at its own
   * number needs nothing; another host port is forwarded to the container port.
   */
  private publishPorts(): void {
    for (const service of this.services.values()) {
      for (const p of service.ports) {
        if (p.host === p.container) continue;
        const server = createServer((client) => {
          // From the client's own address, as Docker's DNAT keeps it, so the service sees who connected.
          const upstream = createConnection({ host: '127.0.0.1', port: p.container, localAddress: client.remoteAddress });
          client.pipe(upstream).pipe(client);
          const close = () => { client.destroy(); upstream.destroy(); };
          client.on('error', close);
          upstream.on('error', close);
        });
        server.listen(p.host, '127.0.0.1');
        this.forwarders.push(server);
      }
    }
  }

  public tail(name: string, lines = 30): string {
    return spawnSync('tail', ['-n', String(lines), this.container(name).logFile], { encoding: 'utf-8' }).stdout ?? '';
  }

  /** Stops everything, at once, and removes every file of the run. Safe to call twice. */
  public destroy(): void {
    for (const f of this.forwarders.splice(0)) f.close();
    for (const c of this.containers.values()) c.signal('SIGKILL');
    spawnSync('sleep', ['0.3']);
    rmSync(this.runDir, { recursive: true, force: true });
  }
}
