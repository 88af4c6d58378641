import { join } from 'path';
import { cleanTempDirs, newStack, TAU } from '../helpers/synth';
import { dockerCompose } from '../lib/docker-compose';
import { readEnvFile } from '../lib/env-file';
import { importSettings, run } from '../validators';

afterAll(cleanTempDirs);

/** Every service's environment as `docker compose config` hands it to the container. */
function composedEnvironments(dir: string): Record<string, Record<string, string>> {
  const r = run(dockerCompose(), ['--file', 'docker-compose.yml', 'config', '--format', 'json'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  const services: Record<string, { environment?: Record<string, string> }> = JSON.parse(r.stdout).services;
  return Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.environment ?? {}]));
}

describe('the app\'s two roles: migrate connects as the owner, web as a role that reads and writes rows only', () => {
  // GIVEN the default stack, with a worker given web's environment (as a user adds one)
  const { project, stack, outdir } = newStack();
  const worker = stack.addService('worker', { image: stack.web.image, command: ['python', 'manage.py', 'worker'] });
  worker.joins(stack.backNetwork);
  stack.env.share(stack.web, worker);
  project.synth();
  const env = readEnvFile(join(outdir, '.env'));
  const composed = composedEnvironments(outdir);

  test('each service gets one role\'s variables: db both (it makes them), migrate the owner\'s, web and its worker the runtime role\'s', () => {
    const roles = (service: string) => Object.keys(composed[service]).filter((k) => /^POSTGRES_(APP|WEB)_/.test(k)).sort();
    expect(roles('db')).toEqual(['POSTGRES_APP_PASSWORD', 'POSTGRES_APP_USER', 'POSTGRES_WEB_PASSWORD', 'POSTGRES_WEB_USER']);
    expect(roles('migrate')).toEqual(['POSTGRES_APP_PASSWORD', 'POSTGRES_APP_USER']);
    expect(roles('web')).toEqual(['POSTGRES_WEB_PASSWORD', 'POSTGRES_WEB_USER']);
    expect(roles('worker')).toEqual(['POSTGRES_WEB_PASSWORD', 'POSTGRES_WEB_USER']);
    expect(composed.web.POSTGRES_WEB_USER).toBe('tau_web');
    // A fresh .env has a password for each role, and they differ.
    expect(env.POSTGRES_WEB_PASSWORD).toMatch(/^.{32,}$/);
    expect(env.POSTGRES_WEB_PASSWORD).not.toBe(env.POSTGRES_APP_PASSWORD);
  });

  test.each([
    ['web', 'tau_web', 'POSTGRES_WEB_PASSWORD'],
    ['worker', 'tau_web', 'POSTGRES_WEB_PASSWORD'],
    ['migrate', 'tau', 'POSTGRES_APP_PASSWORD'],
  ])('the settings module, given %s\'s environment, connects as %s', (service, user, password) => {
    const settings = importSettings(outdir, 'Tau', composed[service]);
    expect(settings.problems).toEqual([]);
    expect([settings.values.DATABASES.default.USER, settings.values.DATABASES.default.PASSWORD]).toEqual([user, env[password]]);
  }, 30_000);

  test('the runtime role\'s name follows postgres.webUser', () => {
    const { project: p, outdir: dir } = newStack({ ...TAU, postgres: { ...TAU.postgres, user: 'library', webUser: 'library_reader' } });
    p.synth();
    const c = composedEnvironments(dir);
    expect([c.db.POSTGRES_APP_USER, c.db.POSTGRES_WEB_USER, c.web.POSTGRES_WEB_USER, c.migrate.POSTGRES_APP_USER])
      .toEqual(['library', 'library_reader', 'library_reader', 'library']);
  });
});

describe('postgres/create-app-role.sh against a real PostgreSQL', () => {
  // GIVEN a database from before the roles (owned by an old role, a table the superuser made), WHEN the
  // generated script runs on it as the image runs it, THEN (app-role-probe.sh prints each step's outcome):
  const { project, outdir } = newStack();
  project.synth();
  const probe = run('bash', [join(__dirname, 'app-role-probe.sh'), join(outdir, 'postgres', 'create-app-role.sh')]);
  const outcome = Object.fromEntries(probe.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));

  test('it makes both roles, neither a superuser nor able to make databases or roles', () => {
    expect(probe.stderr).toBe('');
    expect(probe.code).toBe(0);
    expect(outcome.script).toBe('create-app-role: tau owns tau; tau_web reads and writes its rows; neither is a superuser');
    expect(outcome['owner attributes']).toBe('ok f|f|f');
    expect(outcome['web attributes']).toBe('ok f|f|f');
  });

  test('web reads and writes the rows of the tables there were, and of a table the owner creates later (a migration)', () => {
    for (const table of ['library_old', 'library_new']) {
      expect(outcome[`web inserts into ${table}`]).toBe('ok by web');
      expect(outcome[`web updates ${table}`]).toBe('ok');
      expect(outcome[`web selects from ${table}`]).toBe(table === 'library_old' ? 'ok 2' : 'ok 1');
      expect(outcome[`web deletes from ${table}`]).toBe('ok');
    }
  });

  test('web can neither drop, alter, create nor truncate, nor run a program; the owner can drop', () => {
    expect(outcome['web drops a table']).toMatch(/^ERROR: +must be owner of table library_old$/);
    expect(outcome['web alters a table']).toMatch(/^ERROR: +must be owner of table library_new$/);
    expect(outcome['web creates a table']).toMatch(/^ERROR: +permission denied for schema public$/);
    expect(outcome['web creates a temporary table']).toMatch(/^ERROR: +permission denied to create temporary tables in database "tau"$/);
    expect(outcome['web truncates a table']).toMatch(/^ERROR: +permission denied for table library_old$/);
    expect(outcome['web creates a schema']).toMatch(/^ERROR: +permission denied for database tau$/);
    expect(outcome['web runs a program']).toMatch(/^ERROR: +must be superuser or have privileges of the pg_execute_server_program role/);
    expect(outcome['owner drops a table']).toBe('ok');
  });

  test('it runs again with a new password and changes nothing else; it refuses web\'s role named as the owner', () => {
    expect(outcome['script again']).toBe(outcome.script);
    expect(outcome['web inserts after the second run']).toBe('ok again');
    expect(outcome['web drops after the second run']).toMatch(/^ERROR: +must be owner of table library_old$/);
    expect(outcome['same roles refused']).toMatch(/POSTGRES_WEB_USER \("tau"\) must be another role than POSTGRES_APP_USER and POSTGRES_USER/);
  });
});
