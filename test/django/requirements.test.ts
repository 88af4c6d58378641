import { PRODUCTION_REQUIREMENTS, renderRequirements, Requirements } from '../../src/internal';

describe('Requirements', () => {
  test('the production server is added after the app, pinned exactly', () => {
    const text = renderRequirements(new Requirements(['Django~=5.2.0']), 'marker');
    expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['Django~=5.2.0', ...PRODUCTION_REQUIREMENTS]);
    for (const pkg of ['gunicorn==', 'uvicorn[standard]==', 'uvicorn-worker==', 'psycopg[binary,pool]==']) expect(text).toContain(pkg);
  });

  test("the app's own pin of a production package wins, whatever its spelling", () => {
    const r = new Requirements(['Django~=5.2.0', 'Uvicorn_Worker==0.3.0']);
    expect(r.server.some((s) => s.startsWith('uvicorn-worker'))).toBe(false);
  });

  test.each([
    ['Django', 'a pinned requirement'],
    ['Django>=5', 'a pinned requirement'],
    ['Django~=5.2.0 ; python_version<"3"', 'a pinned requirement'],
  ])('%s is refused', (spec, allowed) => {
    expect(new Requirements([spec]).validate()[0].allowed).toContain(allowed);
  });

  test('a package listed twice is refused', () => {
    expect(new Requirements(['Django~=5.2.0', 'django==5.2.1']).validate()).toEqual([expect.objectContaining({ field: 'requirements[1]', allowed: 'each package once' })]);
  });
});
