import { PythonImage, renderDockerfile } from '../../src/internal';

const model = {
  image: new PythonImage(),
  lockFile: 'requirements.lock',
  entrypoint: 'docker-entrypoint.sh',
  command: ['gunicorn', 'Tau.asgi:application'],
  env: [{ name: 'DJANGO_SETTINGS_MODULE', value: 'Tau.settings' }],
  writableDirs: ['/app/staticfiles', '/app/mediafiles'],
  port: 8000,
};
const text = renderDockerfile(model, 'marker');
const instructions = text.split('\n').filter((l) => /^[A-Z]+ /.test(l)).map((l) => l.split(' ')[0]);

describe('renderDockerfile', () => {
  test('two stages on the pinned base image', () => {
    expect(text.match(/^FROM .*/gm)).toEqual(['FROM python:3.12-slim AS build', 'FROM python:3.12-slim AS runtime']);
  });

  test('no apt layer by default: every locked package ships a wheel', () => {
    expect(text).not.toContain('apt-get');
  });

  test('build tools only in the build stage, with the reason their versions are not pinned', () => {
    const withGcc = renderDockerfile({ ...model, image: new PythonImage({ buildPackages: ['gcc', 'libpq-dev'] }) }, 'm');
    const [build, runtime] = withGcc.split('FROM python:3.12-slim AS runtime');
    expect(build).toContain('apt-get install -y --no-install-recommends gcc libpq-dev');
    expect(build).toMatch(/# hadolint ignore=DL3008\nRUN apt-get update/);
    expect(runtime).not.toContain('gcc');
  });

  test('the lock is installed before the code is copied: hashes required, nothing resolved, a pip cache mount', () => {
    const install = text.indexOf('RUN --mount=type=cache,target=/root/.cache/pip pip install --require-hashes --no-deps -r /tmp/requirements.lock');
    expect(install).toBeGreaterThan(text.indexOf('COPY requirements.lock /tmp/requirements.lock'));
    expect(install).toBeLessThan(text.indexOf('COPY . .'));
  });

  test('no syntax directive: the engine\'s built-in frontend builds it, with no image pulled', () => {
    expect(text).not.toMatch(/^# *syntax=/m);
  });

  test('runs as the unprivileged user, who owns the volume mount points', () => {
    expect(text).toContain('chown app:app /app/staticfiles /app/mediafiles');
    expect(instructions.filter((i) => i === 'USER')).toHaveLength(1);
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(text.indexOf('USER 10001')).toBeGreaterThan(text.indexOf('COPY . .'));
  });

  test('sets the Python environment and the given defaults', () => {
    expect(text).toContain('PYTHONDONTWRITEBYTECODE=1');
    expect(text).toContain('PYTHONUNBUFFERED=1');
    expect(text).toContain('DJANGO_SETTINGS_MODULE=Tau.settings');
  });

  test('entrypoint and command in exec form', () => {
    expect(text).toContain('ENTRYPOINT ["/app/docker-entrypoint.sh"]');
    expect(text).toContain('CMD ["gunicorn", "Tau.asgi:application"]');
    expect(instructions.slice(-3)).toEqual(['EXPOSE', 'ENTRYPOINT', 'CMD']);
  });

  test('runtime packages get an apt layer of their own', () => {
    const withLibpq = renderDockerfile({ ...model, image: new PythonImage({ runtimePackages: ['libpq5'] }) }, 'm');
    expect(withLibpq.split('AS runtime')[1]).toContain('apt-get install -y --no-install-recommends libpq5');
  });
});
