import { spawn } from 'child_process';
import { appendFileSync, readdirSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { dockerCompose } from '../lib/docker-compose';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import * as smoke from './smoke';

/**
 * Day-2 operations on a running stack, with the generated ops/ scripts and the engine's own replicas, stop
 * signals and volumes: graceful shutdown, backup and restore, replicas, a zero-downtime redeploy, a
 * PostgreSQL major upgrade, log rotation.
 */

/**
 * Views for the end-to-end suite, added to the copy of the app before its image is built (test code, in the
 * copy only): a request that takes as long as it is told (the one the graceful-shutdown check keeps in
 * flight), and what the app sees of the client (its address and whether the request counts as HTTPS).
 */
export function addTestViews(dir: string): void {
  writeFileSync(join(dir, 'Tau', 'e2e_views.py'), [
    '"""Views for the end-to-end suite only."""',
    'import asyncio',
    '',
    'from django.http import JsonResponse',
    '',
    '',
    'async def slow(request):',
    '    """Answers after ?seconds=N."""',
    '    seconds = float(request.GET.get("seconds", "1"))',
    '    await asyncio.sleep(seconds)',
    '    return JsonResponse({"slept": seconds})',
    '',
    '',
    'def client(request):',
    '    """What the app sees of the client: the proxy headers it believed."""',
    '    return JsonResponse({"address": request.META.get("REMOTE_ADDR"), "secure": request.is_secure()})',
    '',
  ].join('\n'));
  appendFileSync(join(dir, 'Tau', 'urls.py'), [
    '',
    'from .e2e_views import client, slow  # noqa: E402  (end-to-end suite only)',
    '',
    'urlpatterns += [path("e2e/slow/", slow), path("e2e/client/", client)]',
    '',
  ].join('\n'));
}

/** The environment the ops scripts run with: this run's compose binary and project, and Debian's docker client. */
export function opsEnv(stack: ComposeStack): NodeJS.ProcessEnv {
  return {
    COMPOSE: [dockerCompose(), '--project-name', stack.project, '--project-directory', stack.dir, ...stack.files.flatMap((f) => ['--file', join(stack.dir, f)])].join(' '),
    DOCKER,
  };
}

/** Runs an ops script; `refuses`: it must exit non-zero (its last word is then its reason). */
export function script(stack: ComposeStack, name: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, refuses = false): string {
  const r = run('sh', [join(stack.dir, 'ops', name), ...args], { env: { ...opsEnv(stack), ...env }, timeoutMs: 600_000 });
  if (refuses && r.code === 0) throw new smoke.CheckFailed(`ops/${name} ${args.join(' ')} did not refuse:\n${r.output.trim().split('\n').slice(-10).join('\n')}`);
  if (!refuses && r.code !== 0) throw new smoke.CheckFailed(`ops/${name} ${args.join(' ')} (exit ${r.code}):\n${r.output.trim().split('\n').slice(-25).join('\n')}`);
  // The script's own last word (compose's progress lines go to the same output).
  return r.output.trim().split('\n').filter((l) => l.startsWith(name.replace(/\.sh$/, ''))).pop() ?? '';
}

/** wrk against `url` for `seconds` with `connections`, in the background; its counts once `done` resolves. */
export function wrkInBackground(url: string, seconds: number, connections: number): { result: Promise<{ requests: number; non2xx: number; errors: number; text: string }> } {
  const child = spawn('wrk', [`-t2`, `-c${connections}`, `-d${seconds}s`, '--timeout', '15s', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (c) => { text += c; });
  child.stderr.on('data', (c) => { text += c; });
  const result = new Promise<{ requests: number; non2xx: number; errors: number; text: string }>((resolve) => child.on('close', () => {
    const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
    const errors = (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)?.slice(1) ?? []).reduce((n, x) => n + Number(x), 0);
    resolve({ requests, non2xx, errors, text });
  }));
  return { result };
}

/** The web replicas' container ids. */
export function replicas(stack: ComposeStack, service: string): string[] {
  return stack.composeOrThrow(['ps', '--quiet', service]).trim().split('\n').filter(Boolean);
}

export async function waitAllHealthy(ids: string[], timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  for (const id of ids) {
    while (run(DOCKER, ['inspect', '--format', '{{.State.Health.Status}}', id]).output.trim() !== 'healthy') {
      if (Date.now() - started > timeoutMs) throw new smoke.CheckFailed(`replica ${id.slice(0, 12)} is not healthy after ${timeoutMs / 1000} s`);
      await sleep(500);
    }
  }
}

/**
 * Requests through nginx each replica answered at `path` since `since` (RFC 3339): the app's JSON request
 * lines that carry nginx's request id (the engine's health checks, which come from inside, carry none).
 */
export function answeredBy(ids: string[], path: string, since: string): number[] {
  return ids.map((id) => run(DOCKER, ['logs', '--since', since, id]).output.split('\n')
    .filter((l) => l.includes(`"path":"${path}"`) && /"request_id":"[0-9a-f]{32}"/.test(l)).length);
}

/** The newest backup directory ops/backup.sh wrote. */
export function newestBackup(dir: string): string {
  const names = readdirSync(join(dir, 'backups')).filter((n) => /^\d{8}T\d{6}Z$/.test(n)).sort();
  return join('backups', names[names.length - 1]);
}

/** The mode of a backup's directory and of each file in it, as `ls -l` would show them in octal. */
export function backupModes(path: string): [string, string][] {
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
  return [['dir', mode(path)], ...readdirSync(path).map((n): [string, string] => [n, mode(join(path, n))])];
}
