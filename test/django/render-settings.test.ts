import { cleanTempDirs, synthFiles, TAU } from '../helpers/synth';

afterAll(cleanTempDirs);

describe('the settings module', () => {
  const settings = synthFiles()['Tau/settings_env.py'];

  test('reads secrets without a default, so a missing one stops start-up', () => {
    expect(settings).toContain('SECRET_KEY = _str("DJANGO_SECRET_KEY")\n');
    expect(settings).toContain('_DATABASE_PASSWORD = _str("POSTGRES_WEB_PASSWORD")\n');
    expect(settings).toContain('_DATABASE_PASSWORD = _str("POSTGRES_APP_PASSWORD")\n');
  });

  test('parses DEBUG strictly, off by default', () => {
    expect(settings).toContain('DEBUG = _bool("DJANGO_DEBUG", "0")');
    expect(settings).toContain('_FALSE = {"0", "false", "no", "off", ""}');
  });

  test('the database host defaults to the db service', () => {
    expect(settings).toContain('"HOST": _str("POSTGRES_HOST", "db"),');
    expect(settings).toContain('"PORT": _int("POSTGRES_PORT", "5432"),');
  });

  test('trusts X-Forwarded-Proto, which nginx overwrites', () => {
    expect(settings).toContain('SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")');
  });

  test('without TLS, no secure cookies or redirect; says why', () => {
    expect(settings).not.toContain('SECURE_SSL_REDIRECT = True');
    expect(settings).toContain('W004, W008, W012, W016');
  });

  test('with TLS options, HSTS follows them', () => {
    const tls = synthFiles({ ...TAU, tls: { hstsSeconds: 3600, hstsPreload: false, trustedProxies: ['10.0.0.0/8'] } })['Tau/settings_env.py'];
    expect(tls).toContain('SECURE_HSTS_SECONDS = 3600');
    expect(tls).toContain('SECURE_HSTS_PRELOAD = False');
    expect(tls).toContain('SESSION_COOKIE_SECURE = True');
    expect(tls).toContain('CSRF_COOKIE_SECURE = True');
  });

  test('the health path is exempt from the HTTPS redirect, as a regex of the path', () => {
    const tls = synthFiles({ ...TAU, tls: { trustedProxies: ['10.0.0.0/8'] }, django: { ...TAU.django, healthPath: '/_health/ready.json' } })['Tau/settings_env.py'];
    expect(tls).toContain('SECURE_REDIRECT_EXEMPT = ["^_health/ready\\\\.json$"]');
    expect(tls).toContain('HEALTH_CHECK_PATH = "/_health/ready.json"');
  });
});

describe('the entrypoint', () => {
  const entrypoint = synthFiles()['docker-entrypoint.sh'];

  test('waits for the database through Django, without netcat', () => {
    expect(entrypoint).toContain('connection.ensure_connection()');
    expect(entrypoint).not.toMatch(/\bnc\b|netcat/);
  });

  test('migrates and collects static files only when given "release" (the one-shot service), else execs the command', () => {
    expect(entrypoint).toContain('if [ "${1:-}" = "release" ]; then\n    PGOPTIONS="-c lock_timeout=5000" python manage.py migrate --noinput\n    python manage.py collectstatic --noinput\n    exit 0\nfi');
    expect(entrypoint.trimEnd().endsWith('exec "$@"')).toBe(true);
  });

  test('stops on the first error', () => {
    expect(entrypoint).toContain('set -eu');
  });
});
