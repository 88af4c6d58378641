import { buildSync } from 'esbuild';
import { readFileSync } from 'fs';
import { join } from 'path';
import { ImageSbom, parseImageReference, StackValidationError } from '../../src/internal';
import { cleanTempDirs, newStack, TAU } from '../helpers/synth';

const ROOT = join(__dirname, '..', '..');

afterAll(cleanTempDirs);

/** The steps of each task the stack's project defines, as .projen/tasks.json lists them. */
function tasksOf(options = TAU): Record<string, { steps: { exec?: string; spawn?: string }[] }> {
  const { project } = newStack(options);
  return Object.fromEntries(project.tasks.all.map((t) => [t.name, { steps: t.steps.map((s) => ({ ...s })) }]));
}

describe('parseImageReference', () => {
  test.each([
    ['python:3.12-slim', { repository: 'library/python', tag: '3.12-slim' }],
    ['bitnami/postgresql:17.2.0', { repository: 'bitnami/postgresql', tag: '17.2.0' }],
    ['docker.io/library/python:3.12-slim', { repository: 'library/python', tag: '3.12-slim' }],
    ['ghcr.io/acme/tools/python:3.12', { registry: 'ghcr.io', repository: 'acme/tools/python', tag: '3.12' }],
    ['localhost:5000/python:3.12', { registry: 'localhost:5000', repository: 'python', tag: '3.12' }],
    [`python:3.12-slim@sha256:${'a'.repeat(64)}`, { repository: 'library/python', tag: '3.12-slim', digest: `sha256:${'a'.repeat(64)}` }],
    [`python@sha256:${'b'.repeat(64)}`, { repository: 'library/python', digest: `sha256:${'b'.repeat(64)}` }],
  ])('%s', (ref, expected) => {
    expect(parseImageReference(ref)).toEqual(expected);
  });
});

describe('the sbom task', () => {
  test('GIVEN the default stack THEN `sbom` writes sbom.cdx.json of the web image, its base image and the lock', () => {
    const tasks = tasksOf();
    expect(tasks.sbom.steps).toEqual([{
      exec: 'node --import tsx src/sbom/write-sbom.ts --image tau-web --base python:3.12-slim --lock requirements.lock --output sbom.cdx.json',
    }]);
  });

  test('`lock` runs it after resolving the lock, so the SBOM is rewritten with the lock it describes', () => {
    const steps = tasksOf().lock.steps;
    expect(steps.findIndex((s) => s.spawn === ImageSbom.TASK)).toBeGreaterThan(steps.findIndex((s) => s.exec?.includes('--output-file requirements.lock')));
  });

  test('WHEN the model changes the base image, the project name, the lock or the file THEN the task follows', () => {
    const tasks = tasksOf({
      ...TAU,
      django: { ...TAU.django, project: 'Shop', image: { baseImage: 'python:3.13-slim' }, lock: { file: 'deps/app.lock' }, sbom: { file: 'deps/web.cdx.json' } },
    });
    expect(tasks.sbom.steps[0].exec).toBe(
      'node --import tsx src/sbom/write-sbom.ts --image shop-web --base python:3.13-slim --lock deps/app.lock --output deps/web.cdx.json');
  });

  test('the SBOM is kept out of the image and folded away in reviews, like the lock', () => {
    const { project, outdir } = newStack();
    project.synth();
    const read = (f: string) => readFileSync(join(outdir, f), 'utf-8');
    expect(read('.dockerignore').split('\n')).toContain('sbom.cdx.json');
    expect(read('.gitattributes').split('\n')).toContain('/sbom.cdx.json linguist-generated');
  });
});

describe('bad SBOM options are refused with their field and what is allowed', () => {
  function synthError(sbom: unknown): string {
    const { project } = newStack({ ...TAU, django: { ...TAU.django, sbom: sbom as never } });
    try {
      project.synth();
    } catch (e) {
      expect(e).toBeInstanceOf(StackValidationError);
      return (e as Error).message;
    }
    throw new Error('synthesis succeeded, but a problem was expected');
  }

  test.each([
    ['sbom.json', /django.sbom: file = "sbom.json"; a path inside the repository named \*\.cdx\.json or bom\.json/],
    ['../sbom.cdx.json', /django.sbom: file = "..\/sbom.cdx.json"; a path inside the repository/],
    ['/tmp/sbom.cdx.json', /django.sbom: file = "\/tmp\/sbom.cdx.json"; a path inside the repository/],
    ['a b.cdx.json', /django.sbom: file = "a b.cdx.json"/],
  ])('file %s', (file, message) => {
    expect(synthError({ file })).toMatch(message);
  });

  test('an unknown option is named with the nearest known one', () => {
    expect(synthError({ fiel: 'x.cdx.json' })).toMatch(/django.sbom: fiel = "x.cdx.json"; not an option; did you mean "file"\?/);
  });
});

test('synthesis does not load the CycloneDX library: nothing that .projenrc.ts bundles imports it', () => {
  // The bundle `npx projen` runs (esbuild, packages external): its metafile lists every import it keeps.
  const { metafile } = buildSync({
    entryPoints: [join(ROOT, '.projenrc.ts')], bundle: true, platform: 'node', packages: 'external', write: false, metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(metafile!.inputs);
  const external = Object.values(metafile!.inputs).flatMap((i) => i.imports.filter((imp) => imp.external).map((imp) => imp.path));
  expect(inputs.some((p) => p.endsWith('src/sbom/image-sbom.ts'))).toBe(true);
  expect(inputs.filter((p) => /render-sbom|write-sbom/.test(p))).toEqual([]);
  expect(external).toContain('projen');
  expect(external.filter((p) => /cyclonedx|packageurl|ajv/.test(p))).toEqual([]);
});
