import { spawnSync } from 'child_process';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How each real tool is installed; a missing tool fails its test with this command, never skips it. */
export const INSTALL: Record<string, string> = {
  'nginx': 'apt-get install -y nginx',
  'shellcheck': 'apt-get install -y shellcheck',
  'unshare': 'apt-get install -y util-linux',
};

/** Throws, naming the install command, when `tool` is not on this machine. */
export function requireTool(tool: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf-8' }).status === 0;
  if (!found) {
    throw new Error(`${tool} is not installed; the validators need it. Install it with: ${INSTALL[tool] ?? `(no install command known for ${tool})`}` +
      ' (bash scripts/test.sh installs every validator).');
  }
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf-8', cwd: options.cwd, env: options.env ?? process.env, input: options.input, timeout: 60_000 });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
