import fc from 'fast-check';
import { readFileSync } from 'fs';
import { join } from 'path';
import { DjangoStack, StackValidationError } from '../../src/internal';
import { cleanTempDirs, newStack, readTree, TAU } from '../helpers/synth';
import { dockerCompose } from '../lib/docker-compose';
import { validateInProcess, run } from '../validators';

afterEach(cleanTempDirs);

const seed = Number(process.env.FC_SEED ?? 20261127);

/** Any text: control characters, quotes, `$`, `#`, backticks, braces, unicode, very long. */
const anyText = fc.oneof(
  fc.fullUnicodeString({ maxLength: 80 }),
  fc.stringOf(fc.constantFrom(...'aZ0_-./ #$\'"`{}\\\n\t|;:=é✓'.split('')), { maxLength: 40 }),
  fc.string({ minLength: 60, maxLength: 300 }),
);

/** One hostile value put in one place of the default stack, and the field a refusal must name. */
interface Injection {
  readonly where: string;
  readonly field: RegExp;
  readonly apply: (stack: DjangoStack) => void;
  readonly options?: object;
  /** A variable of web's that must reach the container exactly as given, when accepted. */
  readonly reaches?: { readonly name: string; readonly value: string };
}

const injection: fc.Arbitrary<Injection> = fc.oneof(
  anyText.map((t): Injection => ({ where: `service name ${JSON.stringify(t)}`, field: /^service ".*": name = /m,
    apply: (s) => void s.addService(t, { image: 'redis:7.4-alpine' }) })),
  anyText.map((t): Injection => ({ where: `volume name ${JSON.stringify(t)}`, field: /^volume ".*": name = /m,
    apply: (s) => void s.web.mount('/mnt/extra', s.addVolume(t)) })),
  anyText.map((t): Injection => ({ where: `mount path ${JSON.stringify(t)}`, field: /^service "web": mount path of volume "extra" = /m,
    apply: (s) => void s.web.mount(t, s.addVolume('extra')) })),
  anyText.map((t): Injection => ({ where: `env default ${JSON.stringify(t)}`, field: /^env "EXTRA": default = /m,
    apply: (s) => void s.env.add('EXTRA', { description: 'x', default: t, for: [s.web] }), reaches: { name: 'EXTRA', value: t } })),
  anyText.map((t): Injection => ({ where: `env name ${JSON.stringify(t)}`, field: /^env ".*": name = /m,
    apply: (s) => void s.env.add(t, { description: 'x', default: '1', for: [s.web] }) })),
  anyText.map((t): Injection => ({ where: `description ${JSON.stringify(t)}`, field: /^service "extra": description = /m,
    apply: (s) => void s.addService('extra', { image: 'redis:7.4-alpine', description: t }) })),
  anyText.map((t): Injection => ({ where: `upload size ${JSON.stringify(t)}`, field: /^nginx: maxUploadSize = /m,
    apply: () => undefined, options: { nginx: { ...TAU.nginx, maxUploadSize: t } } })),
  anyText.map((t): Injection => ({ where: `database name ${JSON.stringify(t)}`, field: /^postgres: database = /m,
    apply: () => undefined, options: { postgres: { version: 17, database: t } } })),
  fc.oneof(fc.integer(), fc.double()).map((n): Injection => ({ where: `upload size ${n}`, field: /^nginx: maxUploadSize = /m,
    apply: () => undefined, options: { nginx: { ...TAU.nginx, maxUploadSize: `${n}m` } } })),
);

describe('hostile names, paths, values and sizes', () => {
  test('are refused naming the field, writing nothing; or, when accepted, make files their consumers read back', () => {
    let refused = 0;
    let accepted = 0;
    fc.assert(fc.property(injection, (inj) => {
      const { project, stack, outdir } = newStack({ ...TAU, ...inj.options });
      inj.apply(stack);
      let error: unknown;
      try {
        project.synth();
      } catch (e) {
        error = e;
      }
      if (error) {
        expect(error).toBeInstanceOf(StackValidationError);
        expect((error as Error).message.split('\n').slice(1).map((l) => l.replace(/^ {2}- /, '')).join('\n')).toMatch(inj.field);
        expect([...readTree(outdir).keys()]).toEqual([]);
        refused++;
      } else {
        expect(validateInProcess(outdir)).toEqual([]);
        const config = run(dockerCompose(), ['--file', 'docker-compose.yml', 'config', '--format', 'json'], { cwd: outdir });
        expect(config.stderr).toBe('');
        if (inj.reaches) {
          // compose config writes a literal $ as $$ (a file compose reads again): undone, it is what the container gets.
          const environment = JSON.parse(config.stdout).services.web.environment;
          expect(environment[inj.reaches.name].replace(/\$\$/g, '$')).toBe(inj.reaches.value);
        }
        expect(readFileSync(join(outdir, 'docs/ARCHITECTURE.md'), 'utf-8')).toContain('```mermaid');
        accepted++;
      }
      cleanTempDirs();
    }), { numRuns: 120, seed });
    // Both outcomes occur: the generator reaches valid values as well as hostile ones.
    expect(refused).toBeGreaterThan(20);
    expect(accepted).toBeGreaterThan(5);
  }, 120_000);
});
