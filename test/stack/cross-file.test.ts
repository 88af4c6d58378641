import { parse } from 'yaml';
import { Duration, Healthcheck } from '../../src/internal';
import { changedFiles, cleanTempDirs, newStack, synthFiles, TAU } from '../helpers/synth';

afterAll(cleanTempDirs);

const base = synthFiles();

describe('one value in the model, every file that depends on it', () => {
  test('the web port reaches nginx, the Dockerfile, the healthcheck and the docs, and nothing else', () => {
    // WHEN
    const files = synthFiles({ ...TAU, web: { port: 8123 } });
    // THEN
    expect(changedFiles(base, files)).toEqual(['Dockerfile', 'docker-compose.dev.yml', 'docker-compose.yml', 'docs/ARCHITECTURE.md', 'nginx/default.conf']);
    expect(files['nginx/default.conf']).toContain('set $web_upstream http://web:8123;');
    expect(files.Dockerfile).toContain('"--bind", "0.0.0.0:8123"');
    expect(files.Dockerfile).toContain('EXPOSE 8123');
    const compose = parse(files['docker-compose.yml']);
    expect(compose.services.web.healthcheck.test.join(' ')).toContain('http://127.0.0.1:8123/healthz');
  });

  test('the static path reaches the settings module, the web mount, the Dockerfile and the ignore files', () => {
    const files = synthFiles({ ...TAU, staticFiles: { path: '/app/collected' } });
    expect(changedFiles(base, files)).toEqual(['.dockerignore', '.gitignore', 'Dockerfile', 'Tau/settings_env.py', 'docker-compose.yml', 'docs/ARCHITECTURE.md']);
    expect(files['Tau/settings_env.py']).toContain('STATIC_ROOT = "/app/collected"');
    expect(parse(files['docker-compose.yml']).services.web.volumes).toContain('static_volume:/app/collected');
    expect(files.Dockerfile).toContain('mkdir -p /app/collected /app/mediafiles');
    expect(files['.dockerignore'].split('\n')).toContain('collected');
    expect(files['.gitignore'].split('\n')).toContain('/collected/');
  });

  test('the static URL reaches the settings module and the nginx location only', () => {
    const files = synthFiles({ ...TAU, staticFiles: { url: '/assets/' } });
    expect(changedFiles(base, files)).toEqual(['Tau/settings_env.py', 'nginx/default.conf']);
    expect(files['Tau/settings_env.py']).toContain('STATIC_URL = "/assets/"');
    expect(files['nginx/default.conf']).toContain('location /assets/ {');
  });

  test("the Django project's name moves the settings module and renames the app everywhere", () => {
    const files = synthFiles({ ...TAU, django: { ...TAU.django, project: 'Atlas' } });
    expect(files['Tau/settings_env.py']).toBeUndefined();
    expect(files['Atlas/settings_env.py']).toContain('Deployment settings of Atlas');
    expect(files.Dockerfile).toContain('DJANGO_SETTINGS_MODULE=Atlas.settings');
    expect(files.Dockerfile).toContain('"Atlas.asgi:application"');
    expect(parse(files['docker-compose.yml']).services.web.image).toBe('atlas-web');
    expect(files['.env.example']).toContain("POSTGRES_DB='atlas'");
    expect(files['Atlas/settings_env.py']).toContain('_str("POSTGRES_DB", "atlas")');
  });

  test('PostgreSQL 18 moves the data volume to /var/lib/postgresql and changes only the compose file, its diagram, the upgrade script and the db image with pgBackRest\'s data path', () => {
    const files = synthFiles({ ...TAU, postgres: { version: 18 } });
    expect(changedFiles(base, files)).toEqual(['docker-compose.yml', 'docs/ARCHITECTURE.md', 'ops/upgrade-postgres.sh', 'postgres/Dockerfile', 'postgres/pgbackrest.conf']);
    expect(files['ops/upgrade-postgres.sh']).toContain('new=18');
    expect(files['postgres/Dockerfile']).toMatch(/^FROM postgres:18$/m);
    expect(files['postgres/pgbackrest.conf']).toMatch(/^pg1-path=\/var\/lib\/postgresql\/18\/docker$/m);
    const db = parse(files['docker-compose.yml']).services.db;
    expect(db.image).toBe('tau-postgres-18');
    expect(db.volumes).toContain('postgres_data:/var/lib/postgresql');
    expect(parse(base['docker-compose.yml']).services.db.volumes).toContain('postgres_data:/var/lib/postgresql/data');
  });

  test('WAL archiving: its settings written once, in the compose file, and the same stanza and repository in every file that names them', () => {
    const compose = parse(base['docker-compose.yml']);
    const args: string[] = compose.services.db.command;
    expect(args.filter((a) => /^(wal_level|archive_mode|archive_command|archive_timeout)=/.test(a)))
      .toEqual(['wal_level=replica', 'archive_mode=on', 'archive_command=pgbackrest --stanza=db archive-push %p', 'archive_timeout=60']);
    expect(compose.services.db.volumes).toContain('pgbackrest:/var/lib/pgbackrest');
    expect(base['postgres/pgbackrest.conf']).toMatch(/^repo1-path=\/var\/lib\/pgbackrest$/m);
    expect(base['postgres/pgbackrest.conf']).toMatch(/^\[db\]$/m);
    expect(base['postgres/Dockerfile']).toContain('-m 700 /var/lib/pgbackrest');
    for (const f of ['ops/backup.sh', 'ops/restore.sh', 'ops/restore-drill.sh', 'postgres/pgbackrest-stanza.sh']) expect(base[f]).toContain('pgbackrest --stanza=db');
    // Nowhere else: the server settings are in no other file.
    expect(Object.entries(base).filter(([, text]) => text.includes('archive_mode=on')).map(([f]) => f).sort()).toEqual(['docker-compose.yml', 'docs/ARCHITECTURE.md']);
  });

  test('archive: false leaves the official image, no repository and no drill; fullRetention and timeout reach their settings', () => {
    const off = synthFiles({ ...TAU, postgres: { version: 17, archive: false } });
    const db = parse(off['docker-compose.yml']).services.db;
    expect(db.image).toBe('postgres:17');
    expect(db.command).toEqual(['postgres', '-c', 'max_connections=100']);
    expect(Object.keys(parse(off['docker-compose.yml']).volumes)).not.toContain('pgbackrest');
    expect(Object.keys(off).filter((f) => f.startsWith('postgres/') || f === 'ops/restore-drill.sh')).toEqual(['postgres/create-app-role.sh']);
    expect(off['ops/restore.sh']).not.toContain('--to-time');
    const tuned = synthFiles({ ...TAU, postgres: { version: 17, archive: { fullRetention: 4, timeout: Duration.minutes(5) } } });
    expect(tuned['postgres/pgbackrest.conf']).toMatch(/^repo1-retention-full=4$/m);
    expect(parse(tuned['docker-compose.yml']).services.db.command).toContain('archive_timeout=300');
  });

  test('the published nginx port reaches the compose file and the default trusted origins', () => {
    const files = synthFiles({ ...TAU, nginx: { port: 80, hostPort: 8080 } });
    expect(changedFiles(base, files)).toEqual(['.env.example', 'Tau/settings_env.py', 'docker-compose.yml', 'docs/ARCHITECTURE.md', 'docs/ENVIRONMENT.md']);
    expect(parse(files['docker-compose.yml']).services.nginx.ports).toEqual(['8080:80']);
    expect(files['.env.example']).toContain("DJANGO_CSRF_TRUSTED_ORIGINS='http://localhost:8080,http://127.0.0.1:8080'");
  });

  test('an env var name comes from the contract in compose, .env.example and the settings module alike', () => {
    const compose = parse(base['docker-compose.yml']);
    expect(compose.services.db.healthcheck.test[1]).toBe('pg_isready -h 127.0.0.1 -U "$${POSTGRES_USER}" -d "$${POSTGRES_DB}"');
    for (const name of ['POSTGRES_DB', 'POSTGRES_APP_USER', 'POSTGRES_APP_PASSWORD', 'DJANGO_SECRET_KEY', 'DJANGO_DEBUG', 'DJANGO_ALLOWED_HOSTS']) {
      expect(base['.env.example']).toMatch(new RegExp(`^${name}=`, 'm'));
      expect(base['Tau/settings_env.py']).toContain(`"${name}"`);
    }
  });

  test('TLS in front turns on the secure settings and makes nginx pass on the proxy\'s scheme', () => {
    const files = synthFiles({ ...TAU, tls: { trustedProxies: ['10.0.0.0/8'] } });
    // The default trusted origins become https ones (in the env file's list, the compose file and the docs).
    expect(changedFiles(base, files)).toEqual(['.env.example', 'Tau/settings_env.py', 'docker-compose.yml', 'docs/ENVIRONMENT.md', 'nginx/default.conf']);
    expect(files['.env.example']).toContain("DJANGO_CSRF_TRUSTED_ORIGINS='https://localhost,https://127.0.0.1'");
    expect(files['Tau/settings_env.py']).toContain('SECURE_SSL_REDIRECT = True');
    expect(files['Tau/settings_env.py']).toContain('SECURE_REDIRECT_EXEMPT = ["^healthz$"]');
    expect(files['nginx/default.conf']).toContain('proxy_set_header X-Forwarded-Proto $forwarded_proto;');
  });
});

describe('changing services is editing .projenrc.ts', () => {
  test('a Redis cache: a service, a dependency and a variable', () => {
    const files = synthFiles(TAU, (stack) => {
      const redis = stack.addService('redis', { image: 'redis:7.4-alpine', port: 6379, healthcheck: Healthcheck.command('redis-cli', 'ping') })
        .joins(stack.backNetwork);
      stack.web.dependsOn(redis, { healthy: true });
      stack.env.add('REDIS_URL', { description: 'Cache URL', value: redis.url('redis', 6379, '/0'), for: [stack.web] });
    });
    const compose = parse(files['docker-compose.yml']);
    expect(compose.services.redis).toMatchObject({ image: 'redis:7.4-alpine', healthcheck: { test: ['CMD', 'redis-cli', 'ping'] } });
    expect(compose.services.web.depends_on).toEqual({
      db: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' },
    });
    expect(compose.services.web.environment.REDIS_URL).toBe('redis://redis:6379/0');
    expect(compose.services.redis.networks).toEqual(['back']);
    expect(files['.env.example']).toContain('#   REDIS_URL=redis://redis:6379/0');
  });

  test('a worker that reuses the web image and its environment', () => {
    const files = synthFiles(TAU, (stack) => {
      const worker = stack.addService('worker', { image: stack.web.image, command: ['celery', '-A', 'Tau', 'worker'] }).joins(stack.backNetwork);
      worker.dependsOn(stack.db!, { healthy: true });
      stack.env.share(stack.web, worker);
    });
    const compose = parse(files['docker-compose.yml']);
    expect(compose.services.worker.build).toEqual(compose.services.web.build);
    expect(compose.services.worker.image).toBe(compose.services.web.image);
    expect(compose.services.worker.environment).toEqual(compose.services.web.environment);
    expect(files['.env.example']).toContain('# Secret, generated into .env by npx projen. Django SECRET_KEY: signs sessions and tokens (read by migrate, web, worker)');
  });
});

describe('one value for how long a request may take', () => {
  test('web.requestTimeout reaches nginx, Gunicorn, PostgreSQL\'s statement timeout, the pool\'s wait and the engine\'s stop grace period, and nothing else', () => {
    const files = synthFiles({ ...TAU, web: { ...TAU.web, requestTimeout: Duration.seconds(90) } });
    expect(changedFiles(base, files)).toEqual(['.env.example', 'Dockerfile', 'Tau/settings_env.py', 'docker-compose.yml', 'docs/ARCHITECTURE.md', 'docs/ENVIRONMENT.md', 'nginx/default.conf', 'ops/redeploy.sh']);
    expect(files['Tau/settings_env.py']).toContain('"timeout": 90,');
    expect(parse(files['docker-compose.yml']).services.web.environment.PGOPTIONS).toBe('-c statement_timeout=90000');
    expect(files['nginx/default.conf']).toContain('proxy_read_timeout 90s;');
    expect(files.Dockerfile).toContain('"--graceful-timeout", "90", "--timeout", "90"');
    expect(parse(files['docker-compose.yml']).services.web.stop_grace_period).toBe('95s');
  });
});

describe('a task that runs once per deploy', () => {
  test('migrate runs on the web image, is not restarted, and web waits for it to complete', () => {
    const compose = parse(synthFiles()['docker-compose.yml']);
    expect(compose.services.migrate).toMatchObject({ image: 'tau-web', command: ['release'], restart: 'no', depends_on: { db: { condition: 'service_healthy' } } });
    expect(compose.services.migrate.healthcheck).toBeUndefined();
    expect(compose.services.web.depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
  });

  test('waiting for a server to complete is refused', () => {
    const { stack } = newStack();
    stack.nginx.dependsOn(stack.db!, { completed: true });
    expect(stack.validate()).toEqual(expect.arrayContaining([expect.objectContaining({ component: 'service "nginx"', field: 'dependsOn(db).completed' })]));
  });
});

describe('log rotation on every service', () => {
  test('json-file, rotated at the model\'s size and count', () => {
    const compose = parse(synthFiles({ ...TAU, logs: { maxSize: '5m', maxFiles: 2 } })['docker-compose.yml']);
    for (const service of Object.values<any>(compose.services)) {
      expect(service.logging).toEqual({ driver: 'json-file', options: { 'max-size': '5m', 'max-file': '2' } });
    }
  });
});
