import { cpSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { DjangoStack, DjangoStackOptions, StackValidationError } from '../../src/internal';
import { ExternalPostgresOptions } from '../../src/stack/parts/postgres';
import { cleanTempDirs, newStack, readTree, TAU, tempDir } from '../helpers/synth';
import { makeCa, makeServerCertificate } from '../lib/test-ca';

/**
 * A PostgreSQL outside the stack (`postgres.external`): no db service, volume, role script or ops script of
 * the db container; the app's connections verified against a CA file of the repository; refused, with every
 * problem at once, when that cannot work.
 */

afterAll(cleanTempDirs);

/** A CA certificate and a server certificate it signed, in `dir/postgres/`. */
function certificates(dir: string): void {
  const ca = makeCa(join(dir, 'postgres', 'ca.pem'));
  makeServerCertificate(join(dir, 'postgres', 'server.pem'), ca, 'db.example.test');
}

function withExternal(external: ExternalPostgresOptions, rest: Partial<DjangoStackOptions['postgres']> = {}): DjangoStackOptions {
  return { ...TAU, postgres: { ...rest, external } };
}

/** Synthesizes in `outdir` and returns the files; `certificatesFrom`: a directory whose postgres/ to copy in first. */
function synth(options: DjangoStackOptions, outdir: string, configure?: (stack: DjangoStack) => void, certificatesFrom?: string): Record<string, string> {
  if (certificatesFrom) cpSync(join(certificatesFrom, 'postgres'), join(outdir, 'postgres'), { recursive: true });
  const { project, stack } = newStack(options, outdir);
  configure?.(stack);
  project.synth();
  return Object.fromEntries([...readTree(outdir)].map(([path, state]) => [path, state.content]));
}

/** The problems of a refused synthesis, one line each. */
function refusal(options: DjangoStackOptions, outdir: string, configure?: (stack: DjangoStack) => void): string[] {
  const before = readTree(outdir);
  const { project, stack } = newStack(options, outdir);
  configure?.(stack);
  try {
    project.synth();
  } catch (e) {
    expect(e).toBeInstanceOf(StackValidationError);
    // Nothing written or deleted.
    expect(readTree(outdir)).toEqual(before);
    return (e as Error).message.split('\n').slice(1);
  }
  throw new Error('synthesis was not refused');
}

describe('an external PostgreSQL', () => {
  let dir: string;
  let files: Record<string, string>;
  let compose: { services: Record<string, any>; volumes: Record<string, unknown>; networks: Record<string, unknown> };

  beforeAll(() => {
    dir = tempDir();
    certificates(dir);
    files = synth(withExternal({ caFile: 'postgres/ca.pem', host: 'db.example.test' }), dir);
    compose = parse(files['docker-compose.yml']);
  });

  test('GIVEN postgres.external THEN compose runs no db service, no data volume, and nobody waits for one', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['migrate', 'nginx', 'web']);
    expect(Object.keys(compose.volumes)).not.toContain('postgres_data');
    expect(compose.services.web.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    expect(compose.services.migrate.depends_on).toBeUndefined();
    expect(files['docker-compose.dev.yml']).not.toMatch(/^ {2}db:/m);
  });

  test('THEN web and migrate mount the CA file read-only where the settings name it, and migrate has a route out', () => {
    for (const name of ['web', 'migrate']) {
      expect(compose.services[name].volumes).toContain('./postgres/ca.pem:/etc/postgresql-ca/root.crt:ro');
    }
    expect(compose.services.nginx.volumes.join(' ')).not.toContain('ca.pem');
    expect(compose.services.migrate.networks).toEqual(expect.arrayContaining(['front', 'back']));
    const settings = files['Tau/settings_env.py'];
    expect(settings).toMatch(/"OPTIONS": \{\n[^]*\n {12}"sslmode": "verify-full",\n {12}"sslrootcert": "\/etc\/postgresql-ca\/root.crt",\n {8}\},/);
  });

  test('THEN the host and port come from .env, the superuser and the db container\'s scripts are gone', () => {
    const example = files['.env.example'];
    expect(example).toMatch(/^POSTGRES_HOST='db\.example\.test'$/m);
    expect(example).toMatch(/^POSTGRES_PORT='5432'$/m);
    expect(example).not.toMatch(/^POSTGRES_USER=|^POSTGRES_PASSWORD=/m);
    expect(files['.env']).toMatch(/^POSTGRES_WEB_PASSWORD=.{20,}$/m);
    expect(Object.keys(files).filter((p) => p.startsWith('ops/')).sort()).toEqual(['ops/redeploy.sh']);
    expect(files['postgres/create-app-role.sh']).toBeUndefined();
  });

  test('THEN the architecture page draws the database outside the stack, and who connects to it over TLS', () => {
    const doc = files['docs/ARCHITECTURE.md'];
    expect(doc).toContain('ext_db[("<b>external PostgreSQL</b><br/>db.example.test:5432<br/>sslmode verify-full")]');
    expect(doc).toContain('svc_migrate -- "TLS" --> ext_db');
    expect(doc).toContain('svc_web -- "TLS" --> ext_db');
    expect(doc).not.toContain('svc_nginx -- "TLS"');
  });

  test('GIVEN no host THEN POSTGRES_HOST has no default: .env must name it', () => {
    const other = tempDir();
    certificates(other);
    const example = synth(withExternal({ caFile: 'postgres/ca.pem', port: 6432 }), other)['.env.example'];
    expect(example).toMatch(/^POSTGRES_HOST=$/m);
    expect(example).toMatch(/^POSTGRES_PORT='6432'$/m);
  });

  test('GIVEN sslMode "require", asked for in so many words THEN no CA file and the settings say the server is not verified', () => {
    const other = tempDir();
    const out = synth(withExternal({ host: 'db.example.test', sslMode: 'require' }), other);
    expect(out['Tau/settings_env.py']).toMatch(/"OPTIONS": \{\n[^]*the server is not verified[^\n]*\n {12}"sslmode": "require",\n {8}\},/);
    expect(parse(out['docker-compose.yml']).services.web.volumes.join(' ')).not.toContain('root.crt');
  });

  test('GIVEN the stack\'s own database THEN the settings carry no TLS option (web reaches it on the internal network)', () => {
    const own = synth(TAU, tempDir());
    expect(own['Tau/settings_env.py']).not.toContain('sslmode');
  });
});

describe('refusals of postgres.external', () => {
  let dir: string;

  beforeAll(() => {
    dir = tempDir();
    certificates(dir);
    writeFileSync(join(dir, 'postgres', 'not-pem.txt'), 'a CA, I promise\n');
  });

  test('no CA file with verify-full', () => {
    expect(refusal(withExternal({ host: 'db.example.test' }), dir)).toEqual([
      expect.stringMatching(/^ {2}- postgres\.external: caFile = \(not set\); the path, in the repository, of the CA certificate \(PEM\) .* sslmode verify-full verifies the server with it$/),
    ]);
  });

  test('no CA file with verify-ca', () => {
    expect(refusal(withExternal({ sslMode: 'verify-ca' }), dir).join('\n')).toMatch(/caFile = \(not set\);.*sslmode verify-ca/);
  });

  test('a CA file that does not exist', () => {
    expect(refusal(withExternal({ caFile: 'postgres/missing.pem' }), dir).join('\n')).toMatch(/caFile = "postgres\/missing\.pem"; a file that exists/);
  });

  test('a CA file that is not PEM', () => {
    expect(refusal(withExternal({ caFile: 'postgres/not-pem.txt' }), dir).join('\n'))
      .toMatch(/caFile = "postgres\/not-pem\.txt"; a PEM file of CA certificates only .* holds no PEM block/);
  });

  test('a private key given as the CA file', () => {
    expect(refusal(withExternal({ caFile: 'postgres/server.pem.key' }), dir).join('\n')).toMatch(/caFile = "postgres\/server\.pem\.key"; a PEM file of CA certificates only .* holds PRIVATE KEY/);
  });

  test('the server\'s certificate given as the CA file', () => {
    expect(refusal(withExternal({ caFile: 'postgres/server.pem' }), dir).join('\n'))
      .toMatch(/caFile = "postgres\/server\.pem"; the certificate of a CA \(basicConstraints CA:TRUE\), not a server's: .*CN=db\.example\.test/);
  });

  test('a CA file outside the repository', () => {
    expect(refusal(withExternal({ caFile: '../ca.pem' }), dir).join('\n')).toMatch(/caFile = "\.\.\/ca\.pem"; a path inside the repository/);
    expect(refusal(withExternal({ caFile: '/etc/ssl/certs/ca.pem' }), dir).join('\n')).toMatch(/caFile = "\/etc\/ssl\/certs\/ca\.pem"; a path inside the repository/);
  });

  test('an sslmode that may send in clear', () => {
    expect(refusal(withExternal({ caFile: 'postgres/ca.pem', sslMode: 'prefer' as never }), dir).join('\n'))
      .toMatch(/sslMode = "prefer"; one of "verify-full", "verify-ca", "require" \(disable, allow and prefer may send passwords and rows in clear\)/);
  });

  test('a CA file with sslMode "require": contradictory', () => {
    expect(refusal(withExternal({ caFile: 'postgres/ca.pem', sslMode: 'require' }), dir).join('\n'))
      .toMatch(/caFile = "postgres\/ca\.pem"; no CA file with sslMode "require"/);
  });

  test('options of a server the stack would run: version, superuser, limits', () => {
    const lines = refusal(withExternal({ caFile: 'postgres/ca.pem' }, { version: 17, superuser: 'admin', limits: { memory: '2g' } }), dir);
    for (const field of ['version', 'superuser', 'limits']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}- postgres: ${field} = .*; no value with postgres\\.external: the stack runs no PostgreSQL server`)));
    }
  });

  test('a bad host, a bad port and an unknown key', () => {
    const lines = refusal(withExternal({ caFile: 'postgres/ca.pem', host: 'db host', port: 70000, sslmod: 'x' } as never), dir).join('\n');
    expect(lines).toMatch(/postgres\.external: host = "db host"; a host name or an IPv4 address/);
    expect(lines).toMatch(/postgres\.external: port = 70000;/);
    expect(lines).toMatch(/postgres\.external: sslmod = "x"; .*sslMode/);
  });

  test('a worker of the web image that reads the database\'s address but has no CA file and no route out', () => {
    const worker = (stack: DjangoStack) => stack.env.share(stack.web, stack.addService('worker', { image: stack.web.image, command: ['celery', 'worker'] }));
    expect(refusal(withExternal({ caFile: 'postgres/ca.pem' }), dir, worker)).toEqual([
      expect.stringMatching(/^ {2}- service "worker": volumes = "POSTGRES_HOST"; a service that reads POSTGRES_HOST connects to the external database: it needs the CA file at \/etc\/postgresql-ca\/root\.crt; stack\.connectToDatabase\(service\) gives it both$/),
    ]);
    const files = synth(withExternal({ caFile: 'postgres/ca.pem' }), tempDir(), (stack) => { worker(stack); stack.connectToDatabase(stack.services.find((s) => s.name === 'worker')!); }, dir);
    const service = parse(files['docker-compose.yml']).services.worker;
    expect(service.volumes).toContain('./postgres/ca.pem:/etc/postgresql-ca/root.crt:ro');
    expect(service.networks).toEqual(expect.arrayContaining(['front']));
  });

  test('every problem in one list', () => {
    const lines = refusal(withExternal({ caFile: 'postgres/not-pem.txt', host: 'db host' }, { version: 12 }), dir);
    expect(lines).toHaveLength(4);
  });
});
