import { ChildProcess, spawn, spawnSync } from 'child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Mount } from './stack-files';

/** Single-quotes a value for sh. */
export function sq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface ContainerSpec {
  readonly name: string;
  /** Service names that resolve in the container (every service shares the harness's loopback). */
  readonly hosts: readonly string[];
  /** Host directories standing for the named volumes, by volume name. */
  readonly volumes: ReadonlyMap<string, string>;
  readonly mounts: readonly Mount[];
  /** The compose project's directory, for file mounts. */
  readonly projectDir: string;
  /** Shell lines run as root with `$R` set to the new root, before the volumes are mounted: the image's build. */
  readonly build: readonly string[];
  /** User to run as (a name or id in the container), or root. */
  readonly user?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly argv: readonly string[];
}

/**
 * One service, run as in its container: a private mount namespace with an overlay of `/` (a tmpfs upper
 * layer, so nothing it writes reaches the machine), its own /etc/hosts, the named volumes bind-mounted at
 * the compose file's paths (read-only where it says :ro), then `chroot` as the image's user.
 * All services share the harness's private network namespace, so its loopback is their network.
 */
export class Container {
  private process?: ChildProcess;
  private exited?: Promise<void>;
  private readonly dir: string;

  constructor(private readonly spec: ContainerSpec, runDir: string) {
    this.dir = join(runDir, 'containers', spec.name);
    mkdirSync(this.dir, { recursive: true });
  }

  public get name(): string {
    return this.spec.name;
  }

  public get pid(): number | undefined {
    return this.process?.exitCode === null && this.process.signalCode === null ? this.process.pid : undefined;
  }

  public get logFile(): string {
    return join(this.dir, 'output.log');
  }

  public get running(): boolean {
    return this.pid !== undefined;
  }

  /** The setup script: mounts, image build, volumes, then `exec chroot` into the service. */
  private script(): string {
    const s = this.spec;
    const m = join(this.dir, 'mnt');
    mkdirSync(m, { recursive: true });
    const lines = [
      'set -eu',
      `M=${sq(m)}`,
      'mount -t tmpfs tmpfs "$M"',
      'mkdir "$M/upper" "$M/work" "$M/root"',
      'mount -t overlay overlay -o lowerdir=/,upperdir="$M/upper",workdir="$M/work" "$M/root"',
      'R="$M/root"',
      'mount -t proc proc "$R/proc"',
      'mount --rbind /dev "$R/dev"',
      'mount --rbind /sys "$R/sys"',
      'mount -t tmpfs tmpfs "$R/tmp"',
      'mount -t tmpfs tmpfs "$R/run"',
      `printf '%s\\n' '127.0.0.1 localhost' ${sq(`127.0.0.1 ${s.hosts.join(' ')}`)} >"$R/etc/hosts"`,
      `echo ${sq(s.name)} >"$R/etc/hostname"`,
      ...s.build,
    ];
    for (const mount of s.mounts) {
      const target = `"$R"${sq(mount.target)}`;
      if (mount.kind === 'volume') {
        const source = sq(s.volumes.get(mount.source)!);
        lines.push(
          // Docker fills an empty named volume with what the image has at the mount point, owner and mode
          // included, but only where the image has that path; otherwise it just creates the mount point.
          `if [ -e ${target} ]; then`,
          `  if [ -z "$(ls -A ${source})" ]; then cp -a ${target}/. ${source}/; chown --reference=${target} ${source}; chmod --reference=${target} ${source}; fi`,
          `else mkdir -p ${target}; fi`,
          `mount --bind ${source} ${target}`,
        );
      } else {
        lines.push(`mkdir -p "$(dirname ${target})"`, `touch ${target}`, `mount --bind ${sq(join(s.projectDir, mount.source))} ${target}`);
      }
      if (mount.readOnly) lines.push(`mount -o remount,bind,ro ${target}`);
    }
    const user = s.user ?? 'root';
    lines.push(
      `uid=$(chroot "$R" id -u ${sq(user)})`,
      `gid=$(chroot "$R" id -g ${sq(user)})`,
      `home=$(chroot "$R" getent passwd "$uid" | cut -d: -f6)`,
      `echo "$uid:$gid" >${sq(join(this.dir, 'user'))}`,
      `exec chroot --userspec="$uid:$gid" --groups="$gid" "$R" /usr/bin/env -i HOSTNAME=${sq(s.name)} HOME="\${home:-/}" ${this.envArgs()} ` +
        `/bin/sh -c 'cd "$0" && exec "$@"' ${sq(s.workdir)} ${s.argv.map(sq).join(' ')}`,
    );
    return lines.join('\n');
  }

  private envArgs(): string {
    return Object.entries(this.spec.env).map(([k, v]) => sq(`${k}=${v}`)).join(' ');
  }

  /** Starts the service; its output goes to `logFile`. */
  public start(): void {
    if (this.running) throw new Error(`${this.name} is running already`);
    const scriptPath = join(this.dir, 'start.sh');
    writeFileSync(scriptPath, this.script());
    const log = openSync(this.logFile, 'a');
    this.process = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', scriptPath], {
      detached: true, stdio: ['ignore', log, log],
    });
    closeSync(log);
    const child = this.process;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Sends `signal` to every process of the service. */
  public signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch { /* already gone */ }
  }

  /** Like `docker stop`: SIGTERM, then SIGKILL after `graceSeconds`. */
  public async stop(graceSeconds = 10): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    const killed = await Promise.race([this.exited!.then(() => true), sleep(graceSeconds * 1000).then(() => false)]);
    if (!killed) {
      this.signal('SIGKILL');
      await this.exited;
    }
    await this.reap();
  }

  /** Like `docker kill`: SIGKILL at once. */
  public async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.exited;
    await this.reap();
  }

  /** Waits until no process of the service's group is left (its workers, its children). */
  private async reap(): Promise<void> {
    const pgid = this.process?.pid;
    for (let i = 0; i < 100 && pgid !== undefined; i++) {
      const alive = spawnSync('pgrep', ['-g', String(pgid)]).status === 0;
      if (!alive) return;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch { /* gone */ }
      await sleep(50);
    }
  }

  /**
   * Runs a command inside the running service (`docker compose exec`): same mounts, root and working
   * directory, as the service's user unless `root` is asked for, with the service's environment.
   */
  public exec(argv: readonly string[], options: { root?: boolean; env?: Record<string, string>; timeoutMs?: number } = {}): { code: number; output: string } {
    const pid = this.pid;
    if (pid === undefined) return { code: -1, output: `${this.name} is not running` };
    const userFile = join(this.dir, 'user');
    const [uid, gid] = existsSync(userFile) && !options.root ? readFileSync(userFile, 'utf-8').trim().split(':') : ['0', '0'];
    const env = Object.entries({ ...this.spec.env, ...options.env }).map(([k, v]) => `${k}=${v}`);
    const result = spawnSync('nsenter', ['-t', String(pid), '-m', '-r', '-w', '-S', uid, '-G', gid, '--', '/usr/bin/env', '-i', ...env, ...argv], {
      encoding: 'utf-8', timeout: options.timeoutMs ?? 30_000,
    });
    return { code: result.status ?? -1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
