import { parseEnvFile } from '../lib/env-file';
import { interpolate } from './stack-files';

describe("compose's interpolation, as the harness reads the compose file", () => {
  test('$$ is a literal $; ${VAR} and $VAR come from .env; defaults apply when unset', () => {
    const vars = { USER: 'tau' };
    expect(interpolate('pg_isready -U "$${POSTGRES_USER}"', vars)).toBe('pg_isready -U "${POSTGRES_USER}"');
    expect(interpolate('${USER}/$USER/${MISSING:-x}/${MISSING}', vars)).toBe('tau/tau/x/');
  });

  test('env files: assignments only, quotes removed', () => {
    expect(parseEnvFile('# c\nA=1\nexport B="two words"\n\nC=\nnot a line\n')).toEqual({ A: '1', B: 'two words', C: '' });
  });
});
