import { rmSync } from 'fs';
import { join } from 'path';
import { readEnvFile } from '../lib/env-file';
import { synthesizedCopy } from '../lib/repository-copy';
import { ComposeStack, DOCKER, run, sleep } from './compose-stack';
import { backupModes, newestBackup, script } from './operations';
import * as smoke from './smoke';
import { Check } from './checks';
import { docsCommand, opsSaid, runDocsCommand } from './docs';

/**
 * Point-in-time recovery on one host, with the generated files as they are: PostgreSQL archiving its WAL
 * through pgBackRest into the repository volume, ops/backup.sh's base backup, ops/restore.sh --to-time
 * between two writes, its refusal of a moment before any backup, and ops/restore-drill.sh into a scratch
 * cluster. One stack (the default one), checks P1-P4.
 */
export async function runPitr(log: (line: string) => void, check: Check): Promise<void> {
  const dir = synthesizedCopy('tau-e2e-pitr-');
  const stack = new ComposeStack(dir, 'tau-e2e-pitr');
  const db = stack.db;
  const env = readEnvFile(join(dir, '.env'));
  const client = new smoke.Client(`http://localhost:${stack.front.port}`);
  const psql = (sql: string) => {
    const r = stack.exec(db, ['psql', '-X', '-h', '127.0.0.1', '-U', env.POSTGRES_APP_USER, '-d', env.POSTGRES_DB, '-v', 'ON_ERROR_STOP=1', '-tAc', sql],
      { PGPASSWORD: env.POSTGRES_APP_PASSWORD });
    if (r.code !== 0) throw new smoke.CheckFailed(`psql ${sql}: ${r.output.trim()}`);
    return r.output.trim();
  };
  const rows = (title: string) => Number(psql(`SELECT count(*) FROM library_document WHERE title = '${title}'`));
  const insert = (title: string) => psql(`INSERT INTO library_document (title, body, attachment, created_at) VALUES ('${title}', 'pitr', '', now())`);
  log(`point-in-time recovery stack: ${stack.services.map((s) => `${s} (${stack.config.services[s].build ? `built on ${stack.baseOf(s)}` : stack.baseOf(s)})`).join(', ')}`);
  try {
    stack.standIns();
    stack.build();
    await stack.up();
    log(`  ${db}: ${stack.exec(db, ['sh', '-c', 'postgres --version; pgbackrest version']).output.trim().replace(/\n/g, ', ')}`);

    await check('P1. WAL archived by pgBackRest; ops/backup.sh takes a base backup beside the dump; backups and repository for the owner only', async () => {
      const settings = psql("SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('archive_mode', 'wal_level', 'archive_timeout')");
      const backedUp = opsSaid(runDocsCommand(stack, docsCommand('docs/OPERATIONS.md', 'ops/backup.sh --full')), 'backup');
      const modes = backupModes(join(dir, newestBackup(dir)));
      smoke.expect(modes.every(([, mode]) => mode === '700' || mode === '600'), `the dump's modes: ${modes.map(([n, m]) => `${n} ${m}`).join(', ')}`);
      const archived = stack.exec(db, ['psql', '-X', '-U', env.POSTGRES_USER, '-d', 'postgres', '-tAc', 'SELECT archived_count, failed_count FROM pg_stat_archiver']).output.trim();
      smoke.expect(Number(archived.split('|')[0]) > 0, `pg_stat_archiver (archived|failed): ${archived}`);
      const info = stack.exec(db, ['pgbackrest', '--stanza=db', 'info']).output;
      smoke.expect(/full backup/.test(info), `pgbackrest info:\n${info}`);
      // Every file and directory of the repository, by mode: group and others must have no bit at all (the
      // `latest` symbolic link has 777, as every link does, and gives nothing).
      const repoModes = stack.exec(db, ['sh', '-c', 'find /var/lib/pgbackrest -printf "%m %y\\n" | sort | uniq -c']).output.trim().replace(/\s+/g, ' ');
      const open = stack.exec(db, ['find', '/var/lib/pgbackrest', '!', '-type', 'l', '-perm', '/077']).output.trim();
      smoke.expect(open === '', `repository entries readable by others:\n${open}`);
      return `${settings}; ${backedUp}; dump ${modes.map(([n, m]) => `${n} ${m}`).join(', ')}; WAL archived|failed ${archived}; repository (count mode type): ${repoModes}`;
    });

    await check('P2. ops/restore.sh --to-time refuses a moment before the first backup, and one not past yet; nothing changes', async () => {
      const before = script(stack, 'restore.sh', ['--to-time', '2000-01-01 00:00:00+00'], {}, true);
      smoke.expect(/before the end of the oldest backup/.test(before), `restore to 2000-01-01: ${before}`);
      const future = script(stack, 'restore.sh', ['--to-time', '2999-01-01 00:00:00+00'], {}, true);
      smoke.expect(/not past yet/.test(future), `restore to 2999-01-01: ${future}`);
      const garbage = script(stack, 'restore.sh', ['--to-time', 'yesterday-ish'], {}, true);
      smoke.expect(/cannot read the moment/.test(garbage), `restore to 'yesterday-ish': ${garbage}`);
      return `${before}; ${future}; ${garbage}; ${await smoke.checkHealth(client)}`;
    });

    await check('P3. write A, note the time, write B, ops/restore.sh --to-time: A is there, B is not, web serves', async () => {
      insert('pitr row A');
      await sleep(500);
      const noted = psql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
      await sleep(500);
      insert('pitr row B');
      smoke.expect(rows('pitr row A') === 1 && rows('pitr row B') === 1, 'A and B were not both written');
      const started = Date.now();
      const restored = opsSaid(runDocsCommand(stack, docsCommand('docs/OPERATIONS.md', 'ops/restore.sh --to-time'), { '2026-11-27 14:05:00+00': noted }), 'restore');
      const took = ((Date.now() - started) / 1000).toFixed(1);
      await stack.waitHealthy(stack.built);
      const a = rows('pitr row A');
      const b = rows('pitr row B');
      smoke.expect(a === 1 && b === 0, `after the restore to ${noted}: A ${a}, B ${b}`);
      // Writable again (promoted), and the app sees it.
      insert('pitr row C');
      const timeline = stack.exec(db, ['psql', '-X', '-U', env.POSTGRES_USER, '-d', 'postgres', '-tAc', 'SELECT timeline_id FROM pg_control_checkpoint()']).output.trim();
      return `A written, noted ${noted}, B written; ${restored} (${took} s); A ${a} row, B ${b} rows; writable again on timeline ${timeline}; ${await smoke.checkHealth(client)}`;
    });

    await check('P4. restore drill: the newest backup and the WAL restored into a scratch cluster; manage.py check, migrate --check, every table\'s rows as live', async () => {
      const drilled = opsSaid(runDocsCommand(stack, docsCommand('docs/OPERATIONS.md', 'ops/restore-drill.sh')), 'restore-drill');
      const m = /(\d+) tables, (\d+) rows/.exec(drilled);
      smoke.expect(m && Number(m[1]) > 10 && Number(m[2]) > 0, `the drill said: ${drilled}`);
      // The restored rows include those written after the base backup (C, after the restore above): WAL replayed.
      const left = run(DOCKER, ['ps', '--all', '--quiet', '--filter', 'name=drill']).output.trim();
      const scratch = stack.exec(db, ['ls', '/var/lib/pgbackrest']).output.trim().replace(/\n/g, ' ');
      smoke.expect(left === '' && !/drill/.test(scratch), `left behind: containers ${left}; repository ${scratch}`);
      return `${drilled}; scratch container and cluster removed (repository holds: ${scratch})`;
    });
  } catch (e) {
    log(`  ✗ pitr: ${(e as Error).message}`);
    for (const s of stack.services) log(`  --- ${s} output:\n${stack.logs(s, 15)}`);
    throw e;
  } finally {
    await stack.down({ volumes: true }).catch((e) => log(`  (down: ${(e as Error).message})`));
    rmSync(dir, { recursive: true, force: true });
  }
}
