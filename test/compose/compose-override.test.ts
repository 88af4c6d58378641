import { parse } from 'yaml';
import { cleanTempDirs, newStack, readTree } from '../helpers/synth';
import { composeSchema, dockerComposeConfig } from '../validators';

/** The escape hatch: a Compose key the model has no option for, set or removed in the file as rendered. */

afterAll(cleanTempDirs);

function synth(configure: (stack: ReturnType<typeof newStack>['stack']) => void): { text: string; dir: string } {
  const { project, stack, outdir } = newStack();
  configure(stack);
  project.synth();
  return { text: readTree(outdir).get('docker-compose.yml')!.content, dir: outdir };
}

test('addOverride sets a key the model lacks, beside what the model rendered; Compose accepts the file', () => {
  const { text, dir } = synth((stack) => {
    stack.composeFile.addOverride('services.web.sysctls', { 'net.core.somaxconn': 1024 });
    stack.composeFile.addOverride('services.nginx.labels.com\\.example\\.team', 'web');
  });
  const compose = parse(text);
  expect(compose.services.web.sysctls).toEqual({ 'net.core.somaxconn': 1024 });
  expect(compose.services.nginx.labels).toEqual({ 'com.example.team': 'web' });
  // The model's own keys are all still there.
  expect(compose.services.web.read_only).toBe(true);
  expect(compose.services.web.healthcheck.test[0]).toBe('CMD');
  expect(composeSchema(text)).toEqual([]);
  expect(dockerComposeConfig(dir)).toEqual([]);
});

test('an override replaces the model\'s value, and addDeletionOverride removes a key', () => {
  const { text } = synth((stack) => {
    stack.composeFile.addOverride('services.db.mem_limit', '2g');
    stack.composeFile.addDeletionOverride('services.web.logging');
  });
  const compose = parse(text);
  expect(compose.services.db.mem_limit).toBe('2g');
  expect(compose.services.web.logging).toBeUndefined();
  expect(compose.services.nginx.logging).toBeDefined();
});
