import { spawnSync } from 'child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROOT, runnableCopy } from '../lib/repository-copy';
import { readTree } from '../helpers/synth';

/**
 * The catalogue of inputs a new user tried that were once accepted although broken, or refused badly, run
 * through the real `npx projen` in a copy of this repository: each must exit 1 with one list that names the
 * field, with no stack trace, and leave every file of the tree byte-identical, `.env` included.
 */

let dir: string;
let rc: string;

beforeAll(() => {
  dir = runnableCopy('tau-refusals-');
  rc = readFileSync(join(dir, '.projenrc.ts'), 'utf-8');
  const first = projen();
  if (first.status !== 0) throw new Error(`the unchanged copy does not synthesize:\n${first.output}`);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment a user's `npx projen` runs in: this process's, without the test runner's own marks. */
function userEnv(): NodeJS.ProcessEnv {
  const { JEST_WORKER_ID: _worker, DEBUG: _debug, ...env } = process.env;
  return env;
}

function projen(options: { asUser?: number } = {}): { status: number; output: string; stderr: string } {
  // Another user gets a home of its own for npm's cache and logs, outside the tree.
  const home = options.asUser === undefined ? undefined : mkdtempSync(join(tmpdir(), 'tau-refusals-home-'));
  if (home) chownSync(home, options.asUser!, options.asUser!);
  try {
    const env = { ...userEnv(), ...(home ? { HOME: home, npm_config_cache: join(home, '.npm') } : {}) };
    // The copy's node_modules is a link into this checkout, which another user may not be able to reach (a
    // clone in a private directory): in a mount namespace of its own, the checkout's node_modules is
    // bind-mounted at the copy's node_modules directory, then the run drops to the other user.
    const r = options.asUser === undefined
      ? spawnSync('npx', ['projen'], { cwd: dir, encoding: 'utf-8', env })
      : spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c',
        'mount --bind "$1" "$2" && exec setpriv --reuid="$3" --regid="$3" --clear-groups -- npx projen',
        'sh', join(ROOT, 'node_modules'), join(dir, 'node_modules'), String(options.asUser)], { cwd: dir, encoding: 'utf-8', env });
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`, stderr: r.stderr };
  } finally {
    if (home) rmSync(home, { recursive: true, force: true });
  }
}

/** The options passed to DjangoStack in .projenrc.ts, replaced, and code run after the stack is made. */
function withRc(change: { options?: (text: string) => string; after?: string }): string {
  const start = rc.indexOf('const stack = new DjangoStack(project, {');
  const end = rc.indexOf('});', start) + 3;
  let declaration = rc.slice(start, end);
  if (change.options) declaration = change.options(declaration);
  return rc.slice(0, start) + declaration + (change.after ? `\n${change.after}\n` : '') + rc.slice(end);
}

interface Case {
  readonly name: string;
  readonly options?: (text: string) => string;
  readonly after?: string;
  /** Prepares the tree (a .env of some kind) before the run; returns an undo. */
  readonly prepare?: () => () => void;
  readonly asUser?: number;
  /** What the one list must say. */
  readonly says: RegExp;
}

const CASES: Case[] = [
  {
    name: 'a misspelt option',
    options: (t) => t.replace('postgres: { version: 17 }', 'postgres: { versoin: 18 } as any'),
    says: /postgres: versoin = 18; not an option; did you mean "version"\?/,
  },
  {
    name: 'a misspelt top-level option',
    options: (t) => t.replace("nginx: { port: 80, maxUploadSize: '25m' },", "nginx: { port: 80, maxUploadSize: '25m' }, ngnix: {} } as any, {"),
    says: /DjangoStack: ngnix = \[object Object\]; not an option; did you mean "nginx"\?/,
  },
  {
    name: 'a volume mounted at /',
    after: "stack.web.mount('/', stack.addVolume('everything'));",
    says: /service "web": mount path of volume "everything" = "\/"; a directory below \//,
  },
  {
    name: "a volume over the web image's code",
    after: "stack.web.mount('/app', stack.addVolume('code'));",
    says: /service "web": mount path of volume "code" = "\/app"; a path outside \/app and the directories above it/,
  },
  {
    name: 'a reserved variable name: PATH',
    after: "stack.env.add('PATH', { description: 'x', value: '/bin', for: [stack.web] });",
    says: /env "PATH": name = "PATH"; a name of the stack's own/,
  },
  {
    name: 'a reserved variable name: DJANGO_SETTINGS_MODULE',
    after: "stack.env.add('DJANGO_SETTINGS_MODULE', { description: 'x', default: 'Other.settings', for: [stack.web] });",
    says: /env "DJANGO_SETTINGS_MODULE": name = "DJANGO_SETTINGS_MODULE"; a name of the stack's own/,
  },
  {
    name: 'a database name that needs quoting',
    options: (t) => t.replace('postgres: { version: 17 }', "postgres: { version: 17, database: 'my-db' }"),
    says: /postgres: database = "my-db"; lowercase letters, digits and "_"/,
  },
  {
    name: "a user name in the server's own pg_ namespace",
    options: (t) => t.replace('postgres: { version: 17 }', "postgres: { version: 17, user: 'pg_admin' }"),
    says: /postgres: user = "pg_admin"; .*not starting with pg_/,
  },
  {
    name: 'an external database without the CA file that verify-full checks the server with',
    options: (t) => t.replace('postgres: { version: 17 }', "postgres: { external: { host: 'db.example.com' } }"),
    says: /postgres\.external: caFile = \(not set\); the path, in the repository, of the CA certificate \(PEM\)/,
  },
  {
    name: 'an external database whose CA file is no certificate, with the version of a server the stack would run',
    options: (t) => t.replace('postgres: { version: 17 }', "postgres: { version: 17, external: { caFile: 'README.md' } }"),
    says: /postgres: version = 17; no value with postgres\.external[^]*postgres\.external: caFile = "README\.md"; a PEM file of CA certificates only/,
  },
  {
    name: 'WAL archiving that keeps no full backup',
    options: (t) => t.replace('postgres: { version: 17 }', 'postgres: { version: 17, archive: { fullRetention: 0 } }'),
    says: /postgres\.archive: fullRetention = 0; a whole number of full backups from 1/,
  },
  {
    name: 'an upload size nginx -t would refuse',
    options: (t) => t.replace("maxUploadSize: '25m'", "maxUploadSize: '99999999999999999999g'"),
    says: /nginx: maxUploadSize = "99999999999999999999g"; a size such as 512k, 25m or 1g, at most 1024g/,
  },
  {
    name: 'a description with a line break',
    after: "stack.addService('cache', { image: 'redis:7.4-alpine', description: 'line one\\nline two' });",
    says: /service "cache": description = "line one\\nline two"; one line/,
  },
  {
    name: 'a description with a backtick',
    after: "stack.addVolume('notes', { description: 'see `docs`' });",
    says: /volume "notes": description = "see `docs`"; one line of at most 200 characters, without backticks/,
  },
  {
    name: 'services a-b and a_b (one diagram id, and a_b is no host name)',
    after: "stack.addService('a-b', { image: 'redis:7.4-alpine' }); stack.addService('a_b', { image: 'redis:7.4-alpine' });",
    says: /service "a_b": name = "a_b"; a DNS label/,
  },
  {
    name: 'a service name longer than a DNS label',
    after: `stack.addService('${'s'.repeat(64)}', { image: 'redis:7.4-alpine' });`,
    says: /service "s{64}": name = "s{64}"; a DNS label.*at most 63 characters/,
  },
  {
    name: 'a default that .env cannot hold as written',
    after: "stack.env.add('GREETING', { description: 'x', default: \"it's\", for: [stack.web] });",
    says: /env "GREETING": default = "it's"; one line without a single quote/,
  },
  {
    name: 'media in S3 without a bucket, over plain http',
    options: (t) => t.replace("nginx: { port: 80, maxUploadSize: '25m' },", "nginx: { port: 80, maxUploadSize: '25m' },\n  media: { storage: 's3', endpoint: 'http://s3.internal:9000' },"),
    says: /media: bucket = \(not set\); an S3 bucket name[^\n]*\n\s+- media: endpoint = "http:\/\/s3\.internal:9000"; an https:\/\/ URL/,
  },
  {
    name: '.env is a directory',
    prepare: () => {
      const saved = readFileSync(join(dir, '.env'));
      rmSync(join(dir, '.env'), { force: true });
      mkdirSync(join(dir, '.env'));
      return () => { rmSync(join(dir, '.env'), { recursive: true, force: true }); writeFileSync(join(dir, '.env'), saved, { mode: 0o600 }); };
    },
    says: /\.env: file = ".*\/\.env"; a regular file holding NAME='value' lines \(this is a directory\)/,
  },
  {
    name: '.env cannot be read (EACCES)',
    // Root reads any file: the run is made as another user, for whom .env (root's, mode 000) is unreadable.
    prepare: () => {
      const saved = readFileSync(join(dir, '.env'));
      chmodSync(join(dir, '.env'), 0o000);
      // An empty directory for the run's bind mount of node_modules (see projen()).
      unlinkSync(join(dir, 'node_modules'));
      mkdirSync(join(dir, 'node_modules'));
      return () => {
        rmdirSync(join(dir, 'node_modules'));
        symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
        chmodSync(join(dir, '.env'), 0o600);
        writeFileSync(join(dir, '.env'), saved);
      };
    },
    asUser: 65534,
    says: /\.env: file = ".*\/\.env"; a file npx projen can read \(EACCES\)/,
  },
];

describe('refused by the real npx projen, with one list and no file touched', () => {
  test.each(CASES)('$name', (c) => {
    writeFileSync(join(dir, '.projenrc.ts'), withRc(c));
    const undo = c.prepare?.();
    if (c.asUser !== undefined) openTreeToOthers();
    try {
      const before = readTree(dir);
      const run = projen({ asUser: c.asUser });
      expect(readTree(dir)).toEqual(before);
      expect(run.status).toBe(1);
      expect(run.output).toMatch(c.says);
      expect(run.stderr).toMatch(/^The stack declared in \.projenrc\.ts has \d+ problems?; no file was written or deleted\.$/m);
      // The list alone: no stack trace, no code frame, no second copy of the message.
      expect(run.output).not.toMatch(/^\s+at /m);
      expect(run.output).not.toMatch(/StackValidationError|\^\n/);
      expect(run.output.match(/has \d+ problems?/g)).toHaveLength(1);
    } finally {
      undo?.();
      writeFileSync(join(dir, '.projenrc.ts'), rc);
    }
  }, 30_000);

  test('npx projen --debug shows where the refusal came from', () => {
    writeFileSync(join(dir, '.projenrc.ts'), withRc(CASES[0]));
    try {
      const r = spawnSync('npx', ['projen', '--debug'], { cwd: dir, encoding: 'utf-8', env: userEnv() });
      expect(r.status).toBe(1);
      expect(`${r.stdout}${r.stderr}`).toMatch(/at DjangoStack\.preSynthesize/);
    } finally {
      writeFileSync(join(dir, '.projenrc.ts'), rc);
    }
  }, 30_000);
});

/** Lets another user read and write the copy, as the owner of a checkout could; its .env stays root's, mode 000. */
function openTreeToOthers(): void {
  spawnSync('chmod', ['-R', 'a+rwX', dir]);
  chmodSync(join(dir, '.env'), 0o000);
}
