import { Problem } from '../core';
import { normalizePackageName, parseRequirement, Requirements } from './requirements';

/**
 * The hash-locked dependency set: every package the image installs, transitive ones included, pinned with
 * `==` and the sha256 of each of its files on the package index. It is made from requirements.txt by a
 * resolver (`npx projen lock`), not by synthesis, and installed with `pip install --require-hashes`, so a
 * build installs exactly what was locked or fails.
 */
export interface RequirementsLockOptions {
  /**
   * The lock file, relative to the repository (and the build context).
   * @default 'requirements.lock'
   */
  readonly file?: string;
  /**
   * The oldest Python the lock must install on. The lock is universal from this version on: the image's
   * Python and any newer one, and an older one where tests or tools run it.
   * @default '3.11'
   */
  readonly python?: string;
}

/** One `name==version` entry of a lock file. */
export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  readonly hashes: number;
}

export class RequirementsLock {
  public readonly file: string;
  public readonly python: string;

  constructor(options: RequirementsLockOptions = {}) {
    this.file = options.file ?? 'requirements.lock';
    this.python = options.python ?? '3.11';
  }

  public validate(): Problem[] {
    const problems: Problem[] = [];
    if (!/^3\.(1[0-9]|[89])$/.test(this.python)) {
      problems.push({ component: 'django.lock', field: 'python', value: this.python, allowed: 'a Python 3 minor version such as 3.11' });
    }
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(this.file) || this.file.split('/').includes('..')) {
      problems.push({ component: 'django.lock', field: 'file', value: this.file, allowed: 'a path inside the repository such as requirements.lock' });
    }
    return problems;
  }

  /** The resolver that writes the lock: uv, resolving for every platform from `python` on, with hashes. */
  public command(requirementsFile: string): string[] {
    return ['uv', 'pip', 'compile', requirementsFile, '--universal', '--python-version', this.python,
      '--generate-hashes', '--output-file', this.file, '--quiet'];
  }

  /**
   * Why the lock cannot serve these requirements: a direct requirement it does not pin, a pin outside the
   * requirement's range, or a package without hashes. Empty when the lock satisfies them all.
   */
  public check(requirements: Requirements, lockText: string): string[] {
    const locked = parseLock(lockText);
    const fix = `run \`npx projen lock\` and commit ${this.file}`;
    const findings: string[] = [];
    for (const spec of [...requirements.app, ...requirements.server, ...requirements.storage]) {
      const wanted = parseRequirement(spec);
      if (!wanted) continue; // Requirements.validate() reports it
      const pin = locked.get(wanted.name);
      if (!pin) {
        findings.push(`${this.file} has no ${wanted.name}, which requirements.txt asks for (${spec}): ${fix}`);
      } else if (!satisfies(pin.version, wanted.operator, wanted.version)) {
        findings.push(`${this.file} pins ${pin.name}==${pin.version}, which does not satisfy ${spec} in requirements.txt: ${fix}`);
      }
    }
    for (const pin of locked.values()) {
      if (pin.hashes === 0) findings.push(`${this.file} has no hash for ${pin.name}==${pin.version}: ${fix}`);
    }
    return findings;
  }
}

/**
 * One `name==version` entry of a lock, as the resolver wrote it: the sha256 of each of its files on the package
 * index, the environment marker that limits where it installs, and what asked for it (its `# via` lines).
 */
export interface LockEntry {
  /** The normalized name (PEP 503). */
  readonly name: string;
  readonly version: string;
  /** The sha256 digests (hex) of its files on the package index, in the lock's order. */
  readonly hashes: readonly string[];
  /** Where it installs, e.g. `sys_platform == 'win32'`; none when it installs everywhere. */
  readonly marker?: string;
  /** The locked packages (normalized names) that depend on it. */
  readonly requiredBy: readonly string[];
  /** Whether a requirements file asks for it directly (`# via -r requirements.txt`). */
  readonly direct: boolean;
}

/** Every `name==version` entry of a pip-style lock (uv's or pip-compile's format), in the lock's order. */
export function readLock(text: string): LockEntry[] {
  const entries: { name: string; version: string; hashes: string[]; marker?: string; requiredBy: string[]; direct: boolean }[] = [];
  let inVia = false;
  // Continuation lines belong to the entry they continue; `# via` comments follow it on lines of their own.
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const current = entries[entries.length - 1];
    const comment = /^\s*#\s?(.*)$/.exec(line);
    if (comment) {
      // `# via pkg` on one line, or `# via` and then one `#   pkg` line per package.
      const via = /^via(?:\s+(.*))?$/.exec(comment[1].trim());
      const item: string | undefined = via ? via[1]?.trim() : inVia && /^\s{2,}\S/.test(comment[1]) ? comment[1].trim() : undefined;
      inVia = via !== null || (inVia && item !== undefined);
      if (current && item) {
        if (/^-[rc]\s/.test(item)) current.direct ||= item.startsWith('-r');
        else current.requiredBy.push(normalizePackageName(item));
      }
      continue;
    }
    inVia = false;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)\s*(?:;(.*?))?\s*(?=--|$)/.exec(line.trim());
    if (!m) continue;
    const marker = m[3]?.trim();
    entries.push({
      name: normalizePackageName(m[1]),
      version: m[2],
      hashes: [...line.matchAll(/--hash=sha256:([0-9a-f]{64})/g)].map((h) => h[1]),
      ...(marker ? { marker } : {}),
      requiredBy: [],
      direct: false,
    });
  }
  return entries;
}

/** The `name==version` entries of a pip-style lock, each with how many `--hash` options follow it. */
export function parseLock(text: string): Map<string, LockedPackage> {
  return new Map(readLock(text).map((e) => [e.name, { name: e.name, version: e.version, hashes: e.hashes.length }]));
}

/** The release numbers of a PEP 440 version (`5.2.19` -> [5, 2, 19]); pre/post/dev parts are not compared. */
function release(version: string): number[] {
  return (/^(\d+(?:\.\d+)*)/.exec(version)?.[1] ?? '0').split('.').map(Number);
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** PEP 440's `==` (with a trailing `.*`) and `~=` (compatible release: `~=5.2.0` is `>=5.2.0, ==5.2.*`). */
export function satisfies(version: string, operator: '==' | '~=', spec: string): boolean {
  if (operator === '==') {
    if (spec.endsWith('.*')) {
      const prefix = release(spec.slice(0, -2));
      return compare(release(version).slice(0, prefix.length), prefix) === 0;
    }
    return compare(release(version), release(spec)) === 0 && version.replace(/^[\d.]+/, '') === spec.replace(/^[\d.]+/, '');
  }
  const floor = release(spec);
  const series = floor.slice(0, Math.max(1, floor.length - 1));
  return compare(release(version), floor) >= 0 && compare(release(version).slice(0, series.length), series) === 0;
}
