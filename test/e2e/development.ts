import { chmodSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { checker, Outcome } from './checks';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import * as smoke from './smoke';

/**
 * Development mode: the default stack with docker-compose.dev.yml laid over it. The working tree (here, the
 * copy) is mounted over the image's code, so an edited view is served changed, by the same container.
 */
export async function runDevelopment(dir: string, log: (line: string) => void): Promise<Outcome> {
  const outcome: Outcome = { passed: 0, failed: 0 };
  // A checkout is readable by others; a fresh temporary directory is not, and web runs as an unprivileged user.
  chmodSync(dir, 0o755);
  const stack = new ComposeStack(dir, 'tau-e2e-development', ['docker-compose.yml', 'docker-compose.dev.yml']);
  const web = stack.built;
  const webPort = stack.config.services[web].ports?.find((p) => String(p.published) === String(p.target));
  const check = checker(outcome, log, () => stack.logs(web, 30));
  log(`development stack (docker-compose.yml + docker-compose.dev.yml): ${stack.services.join(', ')}`);
  try {
    stack.standIns();
    stack.build();
    await stack.up();
    const direct = new smoke.Client(`http://127.0.0.1:${webPort?.published}`);
    const viaNginx = new smoke.Client(`http://localhost:${stack.front.port}`);
    await check('D1. development: the reloading server on the working tree, DEBUG on, web and db on 127.0.0.1', async () => {
      const command = run(DOCKER, ['inspect', '--format', '{{join .Config.Cmd " "}}', stack.containerId(web)]).output.trim();
      smoke.expect(/^uvicorn .* --reload/.test(command), `web runs ${command}`);
      // A reloading server restarts its worker whenever a watched file changes: give it a moment to settle.
      for (let i = 0; i < 40 && (await direct.request('/healthz').then((r) => r.status, () => 0)) !== 200; i++) await sleep(250);
      await smoke.checkHealth(direct);
      await smoke.checkHealth(viaNginx);
      const missing = await direct.request('/no-such-page/');
      smoke.expect(missing.status === 404 && missing.body.includes('Using the URLconf'), `DEBUG is not on: ${missing.status}`);
      const db = stack.config.services[stack.db].ports?.map((p) => `${p.host_ip}:${p.published}`) ?? [];
      smoke.expect(db.length === 1 && db[0] === '127.0.0.1:5432', `db is published on ${db.join(', ')}`);
      return `${command.split(' ').slice(0, 2).join(' ')} --reload; health 200 on 127.0.0.1:${webPort?.published} and through nginx; DEBUG's 404 page; db on ${db[0]}`;
    });
    await check('D2. development: an edited view is served changed, without a restart', async () => {
      const before = stack.state(web);
      const path = join(dir, 'Tau', 'health.py');
      const source = readFileSync(path, 'utf-8');
      const edited = source.replace('{"status": "ok"}', '{"status": "ok", "edited": True}');
      smoke.expect(edited !== source, 'the view to edit was not found in Tau/health.py');
      writeFileSync(path, edited);
      const started = Date.now();
      let seen = false;
      while (!seen && Date.now() - started < 30_000) {
        const r = await direct.request('/healthz').catch(() => undefined);
        seen = !!r && r.status === 200 && JSON.parse(r.body.toString()).edited === true;
        if (!seen) await sleep(250);
      }
      smoke.expect(seen, 'the edit was not served within 30 s');
      const after = stack.state(web);
      smoke.expect(after.startedAt === before.startedAt && after.restarts === 0, `web was restarted: ${before.startedAt} -> ${after.startedAt}, ${after.restarts} restarts`);
      return `served changed ${((Date.now() - started) / 1000).toFixed(1)} s after the edit; same container, started ${after.startedAt}, 0 restarts`;
    });
  } catch (e) {
    outcome.failed++;
    log(`  ✗ development: ${(e as Error).message}`);
    for (const s of stack.services) log(`  --- ${s} output:\n${stack.logs(s, 15)}`);
  } finally {
    await stack.down({ volumes: true }).catch((e) => log(`  (down: ${(e as Error).message})`));
    rmSync(dir, { recursive: true, force: true });
  }
  return outcome;
}
