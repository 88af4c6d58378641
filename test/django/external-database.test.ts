import { execFileSync, spawnSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { Project } from 'projen';
import { DjangoStack, Postgres } from '../../src/internal';
import { cleanTempDirs, tempDir, TAU } from '../helpers/synth';
import { makeCa, makeServerCertificate } from '../lib/test-ca';

afterAll(cleanTempDirs);

const ROOT = resolve(__dirname, '..', '..');

/**
 * The settings generated for an external database, imported by the pinned Django and connecting through its
 * driver to a real PostgreSQL that speaks TLS (test/django/tls-probe.sh): verify-full connects with the right CA
 * and host name, and refuses another CA and another name. The one change to the generated settings: the CA's
 * path, which inside the containers is Postgres.CA_PATH, points at a file of the test.
 */
describe('the settings of postgres.external with the pinned Django and a TLS PostgreSQL', () => {
  let lines: string[];
  let settings: string;

  beforeAll(() => {
    const dir = tempDir();
    execFileSync('tar', ['-C', ROOT, '-cf', join(dir, 'p.tar'), 'manage.py', 'Tau', 'library']);
    execFileSync('tar', ['-C', dir, '-xf', join(dir, 'p.tar')]);
    const ca = makeCa(join(dir, 'postgres', 'ca.pem'));
    const server = makeServerCertificate(join(dir, 'tls', 'server.pem'), ca, 'localhost');
    const other = makeCa(join(dir, 'tls', 'other-ca.pem'), 'Another CA');
    const project = new Project({ name: 'tau', outdir: dir });
    new DjangoStack(project, { ...TAU, postgres: { external: { caFile: 'postgres/ca.pem', host: 'localhost' } } });
    project.synth();
    const path = join(dir, 'Tau', 'settings_env.py');
    settings = readFileSync(path, 'utf-8');
    const inUse = join(dir, 'tls', 'ca-in-use.pem');
    writeFileSync(path, settings.replace(JSON.stringify(Postgres.CA_PATH), JSON.stringify(inUse)));
    const r = spawnSync('bash', [join(ROOT, 'test', 'django', 'tls-probe.sh'), dir, server.cert, server.key, ca.cert, other.cert, inUse], { encoding: 'utf-8' });
    if (r.status !== 0) throw new Error(`tls-probe.sh exited ${r.status}:\n${r.stdout}${r.stderr}`);
    lines = r.stdout.trim().split('\n');
  }, 180_000);

  test('the settings name verify-full and the CA\'s path in the containers', () => {
    expect(settings).toContain(`"sslmode": "verify-full",\n            "sslrootcert": "${Postgres.CA_PATH}",`);
  });

  test('the right CA and host name: connected over TLS', () => {
    expect(lines[0]).toMatch(/^right: connected ssl=True TLSv1\.[23] sslmode=verify-full$/);
  });

  test('a server certificate from another CA: refused', () => {
    expect(lines[1]).toMatch(/^other-ca: refused OperationalError: .*certificate verify failed/);
  });

  test('a certificate that does not name the host connected to: refused', () => {
    expect(lines[2]).toMatch(/^other-name: refused OperationalError: .*server certificate for "localhost" (\(and 1 other name\) )?does not match host name "127\.0\.0\.1"/);
  });
});
