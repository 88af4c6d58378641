import { formatProblem, pathsOverlap, StackValidationError } from '../../src/internal';

describe('problems', () => {
  test('a problem reads as component: field = value; allowed', () => {
    expect(formatProblem({ component: 'service "web"', field: 'port', value: 70000, allowed: 'a port' })).toBe('service "web": port = 70000; a port');
    expect(formatProblem({ component: 'c', field: 'f', value: undefined, allowed: 'a' })).toBe('c: f = (not set); a');
  });

  test('the error lists every problem and says nothing was written', () => {
    const error = new StackValidationError([
      { component: 'a', field: 'x', value: 1, allowed: 'p' },
      { component: 'b', field: 'y', value: 'v', allowed: 'q' },
    ]);
    expect(error.message).toBe('The stack declared in .projenrc.ts has 2 problems; no file was written or deleted.\n  - a: x = 1; p\n  - b: y = "v"; q');
  });

  test('paths overlap when one is inside the other', () => {
    expect(pathsOverlap('/app/static', '/app/static/media')).toBe(true);
    expect(pathsOverlap('/static/', '/static/media/')).toBe(true);
    expect(pathsOverlap('/app/static', '/app/staticfiles')).toBe(false);
    expect(pathsOverlap('/static/', '/media/')).toBe(false);
  });
});
