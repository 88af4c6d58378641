import { join } from 'path';
// madge ships no types of its own; its API is a promise of a result with obj() and circular().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const madge: (path: string, config: object) => Promise<{ obj(): Record<string, string[]>; circular(): string[][] }> = require('madge');

const SRC = join(__dirname, '..', '..', 'src');

/** The import graph of src/, file -> the files it imports, as madge reads the TypeScript. */
async function graph() {
  return madge(SRC, { fileExtensions: ['ts'], tsConfig: join(SRC, '..', 'tsconfig.json') });
}

describe('the layers of src/', () => {
  test('no import circle (madge --circular)', async () => {
    expect((await graph()).circular()).toEqual([]);
  }, 30_000);

  test('the model imports nothing but core: no renderer, no target', async () => {
    const imports = (await graph()).obj();
    const model = Object.entries(imports).filter(([file]) => file.startsWith('model/'));
    expect(model.length).toBeGreaterThan(3);
    for (const [file, deps] of model) {
      expect({ file, outside: deps.filter((d) => !d.startsWith('model/') && !d.startsWith('core/')) }).toEqual({ file, outside: [] });
    }
  }, 30_000);

  test('core imports nothing of the stack', async () => {
    const imports = (await graph()).obj();
    for (const [file, deps] of Object.entries(imports).filter(([f]) => f.startsWith('core/'))) {
      expect({ file, outside: deps.filter((d) => !d.startsWith('core/')) }).toEqual({ file, outside: [] });
    }
  }, 30_000);
});
