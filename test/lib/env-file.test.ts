import { parseEnvFile } from './env-file';

describe('the tests\' reader of env files', () => {
  test('assignments only, quotes removed', () => {
    expect(parseEnvFile('# c\nA=1\nexport B="two words"\n\nC=\nnot a line\n')).toEqual({ A: '1', B: 'two words', C: '' });
  });
});
