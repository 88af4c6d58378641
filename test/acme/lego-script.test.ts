import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from 'yaml';
import { cleanTempDirs, synthFiles, TAU } from '../helpers/synth';
import { requireTool } from '../validators/tools';

/**
 * acme/lego.sh as generated, run by each shell it must work in (dash, bash, busybox sh: the lego image's) with
 * a stand-in for lego that fails or issues as each case says, and a stand-in for sleep that records how long
 * the loop would wait. The script runs in a root of its own (a private mount namespace and chroot: the
 * machine's /usr and /etc read-only, /lego the stand-in, the container's paths empty), with the environment
 * the compose file gives the acme service.
 */

const ACME = { ...TAU, hosts: ['tau.example.com'], tls: { mode: 'acme' as const, email: 'ops@example.com' } };
const DOMAIN = 'tau.example.com';
/** The shells, as the script is run: the compose file's entrypoint is `/bin/sh /acme/lego.sh`. */
const SHELLS: Record<string, string[]> = { 'dash': ['/usr/bin/dash'], 'bash': ['/usr/bin/bash', '--posix'], 'busybox sh': ['/usr/bin/busybox', 'sh'] };

/** What the stand-in lego does at each call, in order: `fail` exits 1; `issue` writes a new certificate and key
 * where lego keeps them and exits 0; `keep` exits 0 and changes nothing (nothing due); `empty` exits 0 having written nothing. */
type Step = 'fail' | 'issue' | 'keep' | 'empty';

const FAKE_LEGO = `#!/bin/sh
# The stand-in for lego: records its arguments, then does the next step of the plan.
n=$(($(grep -c '^lego ' /tmp/calls 2>/dev/null || true) + 1))
echo "lego $*" >> /tmp/calls
domain=
while [ $# -gt 0 ]; do [ "$1" = --domains ] && [ -z "$domain" ] && domain=$2; shift; done
step=$(sed -n "\${n}p" /tmp/plan)
case $step in
  fail) echo "lego (stand-in): cannot reach the ACME server" >&2; exit 1 ;;
  issue) mkdir -p /var/lib/lego/certificates
         echo "key $n" > "/var/lib/lego/certificates/$domain.key"
         echo "certificate $n" > "/var/lib/lego/certificates/$domain.crt" ;;
  keep|empty) ;;
  *) echo "lego (stand-in): no step $n in the plan" >&2; exit 3 ;;
esac
`;

/** Records each sleep instead of waiting; ends the script (a failed command under set -e) once the plan is used up. */
const FAKE_SLEEP = `#!/bin/sh
echo "sleep $*" >> /tmp/calls
[ "$(grep -c '^lego ' /tmp/calls)" -lt "$(grep -c . /tmp/plan)" ] || exit 99
`;

/**
 * Runs in a private mount namespace: the root is a tmpfs, the machine's /usr and /etc bound read-only, /dev
 * bound; no /proc, so busybox sh looks its commands up on PATH (with /proc it runs its own applets first)
 * and finds the stand-in sleep. What the run left is copied out before the namespace ends.
 */
const HARNESS = `set -eu
work=$1; shift
root=$work/root
mount -t tmpfs -o mode=0755 tmpfs "$root"
for d in usr etc; do mkdir "$root/$d"; mount -o bind,ro "/$d" "$root/$d"; done
mkdir "$root/dev"; mount --bind /dev "$root/dev"
for l in bin lib lib64 sbin; do
  if [ -L "/$l" ]; then ln -s "$(readlink "/$l")" "$root/$l"; elif [ -d "/$l" ]; then mkdir "$root/$l"; mount -o bind,ro "/$l" "$root/$l"; fi
done
mkdir -p "$root/acme" "$root/var/lib/lego" "$root/var/www/acme" "$root/certs" "$root/tmp" "$root/fake"
cp "$work/lego.sh" "$root/acme/lego.sh"
cp "$work/lego" "$root/lego"
cp "$work/sleep" "$root/fake/sleep"
chmod 0755 "$root/lego" "$root/fake/sleep"
cp "$work/plan" "$root/tmp/plan"
: > "$root/tmp/calls"
set +e
timeout 30 chroot "$root" /usr/bin/env -i "$@" > "$work/out/output" 2>&1
echo $? > "$work/out/status"
set -e
cp "$root/tmp/calls" "$work/out/calls"
cp -a "$root/certs" "$root/var/lib/lego" "$work/out/"
`;

interface Published { readonly content: string; readonly mode: number; readonly gid: number }
interface Run {
  readonly status: number;
  /** The script's output, stdout and stderr as they came. */
  readonly output: string;
  /** `lego <args>` and `sleep <seconds>` in the order they ran. */
  readonly calls: string[];
  readonly sleeps: number[];
  readonly cert?: Published;
  readonly key?: Published;
}

const work: string[] = [];
afterAll(() => {
  for (const d of work) rmSync(d, { recursive: true, force: true });
  cleanTempDirs();
});

describe('acme/lego.sh with a stand-in lego: a failed attempt publishes nothing and is tried again in 60 s', () => {
  const files = synthFiles(ACME);
  const script = files['acme/lego.sh'];
  const acme = parse(files['docker-compose.yml']).services.acme;
  const environment: Record<string, string> = acme.environment;

  beforeAll(() => {
    for (const tool of ['unshare', 'chroot', 'timeout']) requireTool(tool);
    for (const [shell, argv] of Object.entries(SHELLS)) {
      if (!existsSync(argv[0])) throw new Error(`${shell} (${argv[0]}) is not installed: apt-get install -y ${shell === 'busybox sh' ? 'busybox-static' : shell}`);
    }
  });

  /** Runs the script (`args`: its argument, none for the loop) with the stand-ins following `plan`. */
  function runScript(shell: string, plan: Step[], options: { args?: string[]; env?: Record<string, string> } = {}): Run {
    const dir = mkdtempSync(join(tmpdir(), 'tau-lego-sh-'));
    work.push(dir);
    mkdirSync(join(dir, 'root'));
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'lego.sh'), script);
    writeFileSync(join(dir, 'lego'), FAKE_LEGO);
    writeFileSync(join(dir, 'sleep'), FAKE_SLEEP);
    writeFileSync(join(dir, 'plan'), plan.join('\n') + '\n');
    const env = { ...environment, ...options.env, PATH: '/fake:/usr/bin:/bin' };
    const argv = [...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...SHELLS[shell], '/acme/lego.sh', ...(options.args ?? [])];
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--fork', 'sh', '-c', HARNESS, 'harness', dir, ...argv], { encoding: 'utf-8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`the harness failed (exit ${r.status}): ${r.stderr}`);
    const out = join(dir, 'out');
    const status = Number(readFileSync(join(out, 'status'), 'utf-8'));
    if (status === 124) throw new Error(`${shell}: lego.sh still ran after 30 s (a real sleep?):\n${readFileSync(join(out, 'output'), 'utf-8')}`);
    const calls = readFileSync(join(out, 'calls'), 'utf-8').split('\n').filter(Boolean);
    const published = (name: string): Published | undefined => {
      const p = join(out, 'certs', name);
      if (!existsSync(p)) return undefined;
      const st = statSync(p);
      return { content: readFileSync(p, 'utf-8').trim(), mode: st.mode & 0o777, gid: st.gid };
    };
    return {
      status, output: readFileSync(join(out, 'output'), 'utf-8'), calls,
      sleeps: calls.filter((c) => c.startsWith('sleep ')).map((c) => Number(c.split(' ')[1])),
      cert: published('fullchain.pem'), key: published('privkey.pem'),
    };
  }

  const legoCalls = (r: Run) => r.calls.filter((c) => c.startsWith('lego ')).map((c) => c.split(' --domains ')[1]);
  const published = (r: Run) => r.output.split('\n').filter((l) => l.startsWith('acme: published')).length;

  test('the compose file runs it with the settings this test gives it', () => {
    expect(acme.entrypoint).toEqual(['/bin/sh', '/acme/lego.sh']);
    expect(environment.ACME_DOMAINS).toBe(DOMAIN);
    expect(environment.ACME_CHECK_EVERY).toBe('43200');
  });

  describe.each(Object.keys(SHELLS))('%s', (shell) => {
    test('a first attempt that fails: nothing published, "failed" logged, the next attempt in 60 s (not at the next check, 12 h later)', () => {
      const r = runScript(shell, ['fail']);
      expect(legoCalls(r)).toEqual([`${DOMAIN} run`]);
      expect(r.sleeps).toEqual([60]);
      expect(r.output).toContain('acme: the attempt failed; trying again in 60 s');
      expect(published(r)).toBe(0);
      expect(r.cert).toBeUndefined();
      expect(r.key).toBeUndefined();
    });

    test('then the retry succeeds: the certificate is published once, the loop waits for the next check', () => {
      const r = runScript(shell, ['fail', 'issue']);
      expect(legoCalls(r)).toEqual([`${DOMAIN} run`, `${DOMAIN} run`]);
      expect(r.sleeps).toEqual([60, 43200]);
      expect(published(r)).toBe(1);
      expect(r.output.indexOf('acme: the attempt failed')).toBeLessThan(r.output.indexOf('acme: published the certificate for tau.example.com'));
      expect(r.cert).toEqual({ content: 'certificate 2', mode: 0o644, gid: 0 });
      expect(r.key).toEqual({ content: 'key 2', mode: 0o640, gid: 101 });
    });

    test('a first attempt that succeeds publishes; a check with nothing due publishes nothing again', () => {
      const r = runScript(shell, ['issue', 'keep']);
      expect(legoCalls(r)).toEqual([`${DOMAIN} run`, `${DOMAIN} renew --days 30 --no-random-sleep`]);
      expect(r.sleeps).toEqual([43200, 43200]);
      expect(published(r)).toBe(1);
      expect(r.cert?.content).toBe('certificate 1');
      expect(r.output).not.toContain('failed');
    });

    test('a renewal that fails keeps the published certificate and is tried again in 60 s; a renewal is published', () => {
      const r = runScript(shell, ['issue', 'fail', 'issue']);
      expect(legoCalls(r)).toEqual([`${DOMAIN} run`, ...Array(2).fill(`${DOMAIN} renew --days 30 --no-random-sleep`)]);
      expect(r.sleeps).toEqual([43200, 60, 43200]);
      expect(published(r)).toBe(2);
      expect(r.cert?.content).toBe('certificate 3');
      expect(r.key?.content).toBe('key 3');
    });

    test('lego exits 0 but leaves no certificate: a failed attempt', () => {
      const r = runScript(shell, ['empty']);
      expect(r.sleeps).toEqual([60]);
      expect(r.output).toContain('acme: lego left no certificate and key at /var/lib/lego/certificates/tau.example.com.crt');
      expect(published(r)).toBe(0);
    });

    test('publishing fails (a group that does not exist): the key is not published, the attempt failed, tried again in 60 s', () => {
      const r = runScript(shell, ['issue'], { env: { ACME_KEY_GROUP: 'no-such-group' } });
      expect(r.sleeps).toEqual([60]);
      expect(r.output).toContain('acme: the attempt failed; trying again in 60 s');
      expect(published(r)).toBe(0);
      expect(r.key).toBeUndefined();
      expect(r.cert).toBeUndefined();
    });

    test('`now` and `renew` exit 1 when the attempt fails, 0 when it succeeds', () => {
      const failed = runScript(shell, ['fail'], { args: ['now'] });
      expect(failed.status).toBe(1);
      expect(failed.output).toContain('acme: the attempt failed');
      expect(failed.cert).toBeUndefined();
      const issued = runScript(shell, ['issue'], { args: ['now'] });
      expect([issued.status, published(issued), issued.cert?.content]).toEqual([0, 1, 'certificate 1']);
      const renewFailed = runScript(shell, ['fail'], { args: ['renew'] });
      expect([renewFailed.status, renewFailed.sleeps]).toEqual([1, []]);
      expect(renewFailed.output).toContain('acme: the renewal failed');
    });
  });
});
