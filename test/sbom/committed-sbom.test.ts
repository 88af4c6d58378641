import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ImageSbom } from '../../src/internal';
import { renderImageSbom, validateSbom } from '../../src/sbom/render-sbom';
import { parseSbomArgs } from '../../src/sbom/write-sbom';

const ROOT = join(__dirname, '..', '..');

/** The `sbom` task's command as .projen/tasks.json has it (the drift check holds it to the model). */
function sbomCommand(): string[] {
  const tasks = JSON.parse(readFileSync(join(ROOT, '.projen/tasks.json'), 'utf-8')) as { tasks: Record<string, { steps: { exec: string }[] }> };
  return tasks.tasks[ImageSbom.TASK].steps[0].exec.split(' ');
}

const command = sbomCommand();
const { model, output } = parseSbomArgs(command.slice(command.indexOf(ImageSbom.SCRIPT) + 1));
const committed = readFileSync(join(ROOT, output), 'utf-8');

test('the committed SBOM is the one `npx projen sbom` makes from the committed lock and the model', () => {
  const current = renderImageSbom(model, readFileSync(join(ROOT, model.lockFile), 'utf-8'));
  if (current !== committed) {
    throw new Error(`${output} is not the SBOM of ${model.lockFile} and the web image's model: run \`npx projen sbom\` and commit ${output}`);
  }
});

test('it is valid CycloneDX', async () => {
  await expect(validateSbom(committed)).resolves.toBeNull();
});

test('it lists every package of the lock with every one of its hashes, and the base image', () => {
  const bom = JSON.parse(committed) as { components: { purl: string; externalReferences?: { hashes: { content: string }[] }[] }[] };
  // Read from the lock's text here, not through the parser the SBOM uses.
  const lock = readFileSync(join(ROOT, model.lockFile), 'utf-8');
  const pins = [...lock.matchAll(/^([a-z0-9][a-z0-9._-]*)==(\S+?)(?:\s|$)/gm)].map((m) => `pkg:pypi/${m[1]}@${m[2]}`);
  expect(pins).toContain('pkg:pypi/django@5.2.19');
  const hashes = (purl: string) => bom.components.find((c) => c.purl === purl)?.externalReferences?.flatMap((r) => r.hashes.map((h) => h.content)).sort();
  expect(hashes('pkg:pypi/django@5.2.19')).toEqual([
    '5965d974a5218a2b68a11dd1276434707f23886525c23f0598eccedaf4f4ca00',
    'ad03d8abc51dbff95ebf34b27123cf0c26a3b62db7ba0cd520783686362533d1',
  ]);
  expect(bom.components.map((c) => c.purl).filter((p) => p.startsWith('pkg:pypi/')).sort()).toEqual([...pins].sort());
  expect(bom.components.flatMap((c) => c.externalReferences ?? []).flatMap((r) => r.hashes.map((h) => h.content)).sort())
    .toEqual([...lock.matchAll(/--hash=sha256:([0-9a-f]{64})/g)].map((m) => m[1]).sort());
  expect(bom.components.map((c) => c.purl)).toContain('pkg:docker/python@3.12-slim');
});

test('`npx projen sbom` run twice writes the same bytes, and those of the committed file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tau-sbom-'));
  try {
    const sha = (n: number) => {
      const file = join(dir, `${n}.cdx.json`);
      const args = [...command.slice(1, -1), file]; // the task's command, with the output in a temporary directory
      expect(command[command.length - 2]).toBe('--output');
      execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'pipe' });
      return createHash('sha256').update(readFileSync(file)).digest('hex');
    };
    const first = sha(1);
    expect(sha(2)).toBe(first);
    expect(first).toBe(createHash('sha256').update(committed).digest('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
