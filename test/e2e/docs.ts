import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { dockerCompose } from '../lib/docker-compose';
import { ComposeStack, DOCKER, run } from './compose-stack';
import * as smoke from './smoke';

/**
 * The docs' commands, run as they are written: a check that does what a page tells an operator to do takes the
 * command from the page's `sh` block, not from a copy of its own, so a page that no longer works fails the run.
 * They run in the stack's directory with `docker` and `docker compose` on the PATH (the engine of the run, Compose
 * as its plugin) and the stack's project name, as in the operator's checkout. test/docs/shell-blocks.test.ts checks
 * every block of every page against what exists.
 */

const ROOT = join(__dirname, '..', '..');

/** The line of `page`'s `sh` blocks that begins with `start`, its comment taken off; fails when the page has none. */
export function docsCommand(page: string, start: string): string {
  const blocks = [...readFileSync(join(ROOT, page), 'utf-8').matchAll(/^```(?:sh|bash)\n([^]*?)^```/gm)].map((m) => m[1]);
  const line = blocks.flatMap((b) => b.split('\n')).find((l) => l.startsWith(start));
  if (!line) throw new smoke.CheckFailed(`${page} has no command beginning with "${start}"`);
  return line.replace(/\s+#.*$/, '').trim();
}

let dockerConfig: string | undefined;

/** A Docker client configuration whose plugins are this run's Compose (as `docker compose`). */
function configWithCompose(): string {
  if (!dockerConfig) {
    const made = mkdtempSync(join(tmpdir(), 'tau-e2e-docker-config-'));
    dockerConfig = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    mkdirSync(join(dockerConfig, 'cli-plugins'));
    symlinkSync(dockerCompose(), join(dockerConfig, 'cli-plugins', 'docker-compose'));
  }
  return dockerConfig;
}

/**
 * Runs a command of the docs in `stack`'s directory, with the values a page leaves to the operator put in
 * (`values`: the text on the page, and what stands for it here). Returns its output; fails on a non-zero exit.
 */
export function runDocsCommand(stack: ComposeStack, command: string, values: Record<string, string> = {}): string {
  let line = command;
  for (const [onPage, here] of Object.entries(values)) {
    if (!line.includes(onPage)) throw new smoke.CheckFailed(`"${onPage}" is no longer in the docs' command: ${command}`);
    line = line.split(onPage).join(here);
  }
  const r = run('bash', ['-euo', 'pipefail', '-c', line], {
    cwd: stack.dir,
    timeoutMs: 600_000,
    env: {
      DOCKER_CONFIG: configWithCompose(), COMPOSE_PROJECT_NAME: stack.project, PATH: `${dirname(DOCKER)}:${process.env.PATH}`,
      // The ops scripts' own defaults (docker, docker compose -f docker-compose.yml) are what runs.
      COMPOSE: '', DOCKER: '',
    },
  });
  if (r.code !== 0) throw new smoke.CheckFailed(`${line} (exit ${r.code}):\n${r.output.trim().split('\n').slice(-25).join('\n')}`);
  return r.output;
}

/** What an ops script said last (its lines begin with its name; Compose's progress lines share the output). */
export function opsSaid(output: string, script: string): string {
  return output.trim().split('\n').filter((l) => l.startsWith(script)).pop() ?? '';
}
