import { chmodSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Duration, Healthcheck, Service, StackValidationError, Volume } from '../../src/internal';
import { cleanTempDirs, newStack, readTree, TAU } from '../helpers/synth';

afterAll(cleanTempDirs);

/** Synthesizes and returns the validation error's message (fails the test if synthesis succeeds). */
function synthError(options = TAU, configure?: (stack: ReturnType<typeof newStack>['stack']) => void): string {
  const { project, stack } = newStack(options);
  configure?.(stack);
  try {
    project.synth();
  } catch (e) {
    expect(e).toBeInstanceOf(StackValidationError);
    return (e as Error).message;
  }
  throw new Error('synthesis succeeded, but a problem was expected');
}

describe('each kind of bad input is named with its component, field, value and what is allowed', () => {
  test.each([
    ['an unsupported PostgreSQL version', { ...TAU, postgres: { version: 12 } }, /postgres: version = 12; one of 15, 16, 17, 18/],
    ['a port outside 1-65535', { ...TAU, web: { port: 70000 } }, /service "web": port = 70000; a port is a whole number from 1 to 65535/],
    ['a host port outside 1-65535', { ...TAU, nginx: { hostPort: 0 } }, /service "nginx": ports\[0\]\.host = 0; a port is a whole number/],
    ['an invalid Django project name', { ...TAU, django: { ...TAU.django, project: 'my-app' } }, /django: project = "my-app"; the Django project package: a Python identifier/],
    ['an unpinned requirement', { ...TAU, django: { project: 'Tau', requirements: ['Django'] } }, /django: requirements\[0\] = "Django"; a pinned requirement/],
    ['requirements without Django', { ...TAU, django: { project: 'Tau', requirements: ['graphene-django~=3.2.3'] } }, /django: requirements = \["graphene-django~=3.2.3"\]; the list names Django itself/],
    ['a base image tagged latest', { ...TAU, django: { ...TAU.django, image: { baseImage: 'python:latest' } } }, /django.image: baseImage = "python:latest"; an image reference with an explicit tag other than "latest"/],
    ['an untagged nginx image', { ...TAU, nginx: { image: 'nginx' } }, /service "nginx": image = "nginx"; an image reference with an explicit tag/],
    ['the root user', { ...TAU, django: { ...TAU.django, image: { user: 'root' } } }, /django.image: user = "root"; an unprivileged user/],
    ['a bad upload size', { ...TAU, nginx: { maxUploadSize: '25 MB' } }, /nginx: maxUploadSize = "25 MB"; a size such as 512k, 25m or 1g/],
    ['overlapping static and media URLs', { ...TAU, mediaFiles: { url: '/static/media/' } }, /media files: url = "\/static\/media\/"; a URL prefix apart from the static files' \/static\//],
    ['overlapping static and media paths', { ...TAU, mediaFiles: { path: '/app/staticfiles/media' } }, /media files: path = "\/app\/staticfiles\/media"; a directory apart from the static files' \/app\/staticfiles/],
    ['a URL prefix without slashes', { ...TAU, staticFiles: { url: 'static' } }, /static files: url = "static"; a URL path that starts and ends with "\/"/],
    ['a relative mount path', { ...TAU, staticFiles: { path: 'staticfiles' } }, /service "web": mount path of volume "static_volume" = "staticfiles"; an absolute path/],
    ['zero workers', { ...TAU, web: { workers: 0 } }, /web: workers = 0; a whole number from 1 to 64/],
    ['the metrics on the web port', { ...TAU, web: { port: 8000, metricsPort: 8000 } }, /web: metricsPort = 8000; a port from 1 to 65535 other than web's port \(8000\)/],
    ['an error ratio that is no share', { ...TAU, monitoring: { alerts: { errorRatio: 5 } } }, /monitoring\.alerts: errorRatio = 5; a share between 0 and 1, such as 0\.05/],
    ['a free-disk share that is no share', { ...TAU, monitoring: { alerts: { databaseDiskFree: 0 } } }, /monitoring\.alerts: databaseDiskFree = 0; a share between 0 and 1/],
    ['a certificate warning beyond the certificate\'s life', { ...TAU, monitoring: { alerts: { certificateDays: 120 } } }, /monitoring\.alerts: certificateDays = 120; a whole number of days from 1 to 89/],
    ['a scrape interval of a day', { ...TAU, monitoring: { scrapeInterval: Duration.days(1) } }, /monitoring: scrapeInterval = "1 d"; .*at least 1 s and at most 5 m/],
    ['a misspelt monitoring option', { ...TAU, monitoring: { retension: Duration.days(1) } as object }, /monitoring: retension/],
    ['a node_exporter image that is no image reference', { ...TAU, monitoring: { nodeExporter: { image: 'Node Exporter' } } }, /service "node-exporter": image = "Node Exporter"/],
    ['a metrics port outside 1-65535', { ...TAU, web: { metricsPort: 0 } }, /web: metricsPort = 0; a port from 1 to 65535/],
    ['a connections share that is no share', { ...TAU, monitoring: { alerts: { databaseConnections: 1.5 } } }, /monitoring\.alerts: databaseConnections = 1\.5; a share between 0 and 1/],
    ['an exporter option that is neither a flag nor an object', { ...TAU, monitoring: { nginxExporter: 'yes' as never } }, /monitoring: nginxExporter = "yes"; true, false or \{ image \}/],
    ['an empty exporter image', { ...TAU, monitoring: { postgresExporter: { image: ' ' } } }, /monitoring\.postgresExporter: image = " "; an image reference with a tag, such as quay\.io\/prometheuscommunity\/postgres-exporter:v0\.17\.1/],
    ['an untagged exporter image', { ...TAU, monitoring: { nginxExporter: { image: 'nginx/nginx-prometheus-exporter' } } }, /service "nginx-exporter": image = "nginx\/nginx-prometheus-exporter"; an image reference with an explicit tag/],
    ['a misspelt exporter option', { ...TAU, monitoring: { nginxExporter: { imgae: 'x:1' } as object } }, /monitoring\.nginxExporter: imgae/],
    ['postgres_exporter asked for an external database', { ...TAU, postgres: { external: { host: 'db.example.com', sslMode: 'require' as const } }, monitoring: { postgresExporter: true } },
      /monitoring: postgresExporter = true; false, or left out, with an external database: the stack runs postgres_exporter for its own database only/],
  ])('%s', (_name, options, message) => {
    expect(synthError(options)).toMatch(message);
  });

  test('an invalid service name', () => {
    expect(synthError(TAU, (s) => s.addService('Cache.1', { image: 'redis:7.4-alpine' })))
      .toMatch(/service "Cache.1": name = "Cache.1"; a DNS label, the service's host name on every target/);
  });

  test('an invalid volume name', () => {
    expect(synthError(TAU, (s) => s.addVolume('My Data'))).toMatch(/volume "My Data": name = "My Data"; a volume name is lowercase/);
  });

  test('two services publishing one host port', () => {
    expect(synthError(TAU, (s) => s.addService('admin', { image: 'adminer:4.8.1', port: 8080 }).publish(80)))
      .toMatch(/service "admin": ports = 80; a host port is published by one service only; "nginx" publishes 80 already/);
  });

  test('WAL archiving: a retention pgBackRest refuses, an archive timeout that is off or too long, an unknown key, all at once', () => {
    const message = synthError({ ...TAU, postgres: { version: 17, archive: { fullRetention: 1.5, timeout: Duration.seconds(0), retention: 3 } as never } });
    expect(message).toMatch(/postgres\.archive: retention = 3; not an option/);
    expect(message).toMatch(/postgres\.archive: fullRetention = 1\.5; a whole number of full backups from 1 to 9999999/);
    expect(message).toMatch(/postgres\.archive: timeout = "0s"; from 1 second to 1 hour/);
    expect(synthError({ ...TAU, postgres: { version: 17, archive: { timeout: Duration.hours(2) } } })).toMatch(/postgres\.archive: timeout = "2h"; from 1 second to 1 hour/);
  });

  test('a mount of an undeclared volume', () => {
    expect(synthError(TAU, (s) => s.web.mount('/app/cache', Volume.named('cache_volume'))))
      .toMatch(/service "web": volumes \(\/app\/cache\) = "cache_volume"; mount a declared volume: postgres_data, pgbackrest, static_volume, media_volume; declare a new one with stack.addVolume\('cache_volume'\)/);
  });

  test('depends_on a service that is not in the stack', () => {
    const redis = new Service('redis', { image: 'redis:7.4-alpine' });
    expect(synthError(TAU, (s) => s.web.dependsOn(redis)))
      .toMatch(/service "web": depends_on = "redis"; depend on a service of the stack: db, migrate, web, nginx/);
  });

  test('waiting for a service to be healthy that has no healthcheck', () => {
    expect(synthError(TAU, (s) => s.web.dependsOn(s.addService('redis', { image: 'redis:7.4-alpine' }).joins(s.backNetwork), { healthy: true })))
      .toMatch(/service "web": depends_on.redis.healthy = true; waiting for "redis" to be healthy needs a healthcheck on it/);
  });

  test('TLS in front without the proxy\'s addresses', () => {
    expect(synthError({ ...TAU, tls: true }))
      .toMatch(/tls: trustedProxies = \[\]; the addresses \(CIDR\) the TLS proxy connects from/);
  });

  test('a service that waits for another it shares no network with', () => {
    // An added service is on the back network: nginx, on the front one only, cannot reach it.
    expect(synthError(TAU, (s) => s.nginx.dependsOn(s.addService('redis', { image: 'redis:7.4-alpine' }))))
      .toMatch(/service "nginx": networks \(to reach redis\) = "front"; a network in common with "redis" \(on back\)/);
  });

  test('the app\'s role named as the superuser', () => {
    expect(synthError({ ...TAU, postgres: { user: 'postgres' } }))
      .toMatch(/postgres: user = "postgres"; a name other than the superuser's \("postgres"\): the app must not connect as a superuser/);
  });

  test.each([
    ['the owner\'s', { user: 'tau', webUser: 'tau' }, 'tau'],
    ['the superuser\'s', { webUser: 'postgres' }, 'postgres'],
  ])('web\'s role named as %s', (_what, postgres, name) => {
    expect(synthError({ ...TAU, postgres }))
      .toMatch(new RegExp(`postgres: webUser = "${name}"; a name other than the owner's \\("tau"\\) and the superuser's \\("postgres"\\): web must not connect as a role that can change the schema`));
  });

  test('web\'s role with a name that needs quoting', () => {
    expect(synthError({ ...TAU, postgres: { webUser: 'Tau-Web' } }))
      .toMatch(/postgres: webUser = "Tau-Web"; lowercase letters, digits and "_", starting with a letter or "_", at most 63 characters, not starting with pg_/);
  });

  test('a dependency cycle', () => {
    expect(synthError(TAU, (s) => s.db!.dependsOn(s.nginx))).toMatch(/depends_on = "(db -> nginx -> web -> db|web -> db -> nginx -> web|nginx -> web -> db -> nginx)"; dependencies without a cycle/);
  });

  test('a secret given a literal value', () => {
    expect(synthError(TAU, (s) => s.env.add('API_TOKEN', { description: 'token', secret: true, value: 'hunter2', for: [s.web] })))
      .toMatch(/env "API_TOKEN": value = "\(a literal secret\)"; a secret is never written in .projenrc.ts/);
  });

  test('the literal secret itself never appears in the message', () => {
    expect(synthError(TAU, (s) => s.env.add('API_TOKEN', { description: 't', secret: true, default: 'hunter2', for: [s.web] }))).not.toContain('hunter2');
  });

  test('an env var name that is not upper case', () => {
    expect(synthError(TAU, (s) => s.env.add('redis_url', { description: 'x', value: 'redis://redis', for: [s.web] })))
      .toMatch(/env "redis_url": name = "redis_url"; an environment variable name is upper-case letters/);
  });

  test('a healthcheck with a bad duration', () => {
    expect(synthError(TAU, (s) => s.addService('redis', { image: 'redis:7.4-alpine', healthcheck: Healthcheck.command('redis-cli', 'ping').with({ interval: Duration.seconds(1.5) }) })))
      .toMatch(/service "redis": healthcheck.interval = "1.5 s"; a whole number of seconds, above 0/);
    expect(synthError(TAU, (s) => s.addService('redis', { image: 'redis:7.4-alpine', healthcheck: Healthcheck.command('redis-cli', 'ping').with({ interval: '10' as any }) })))
      .toMatch(/service "redis": healthcheck.interval = "10"; a Duration, e.g. Duration.seconds\(30\)/);
  });
});

describe('reporting', () => {
  test('every problem is reported at once, in one message', () => {
    const message = synthError({ ...TAU, postgres: { version: 12 }, web: { port: 0 }, nginx: { maxUploadSize: 'big' } }, (s) => {
      s.web.mount('/app/cache', Volume.named('cache_volume'));
    });
    expect(message).toMatch(/has 4 problems; no file was written or deleted/);
    expect(message).toMatch(/postgres: version = 12/);
    expect(message).toMatch(/service "web": port = 0/);
    expect(message).toMatch(/nginx: maxUploadSize = "big"/);
    expect(message).toMatch(/cache_volume/);
  });

  test('duplicates and dependency mistakes join the one list, with every other problem', () => {
    const message = synthError({ ...TAU, web: { port: 0 } }, (stack) => {
      stack.addService('web', { image: 'redis:7.4-alpine' });
      stack.addVolume('static_volume');
      stack.env.add('POSTGRES_DB', { description: 'again' });
      stack.web.dependsOn(stack.db!);
      stack.web.mount('/app/staticfiles', Volume.named('other'));
    });
    expect(message.split('\n').slice(1)).toEqual([
      '  - service "web": name = "web"; a name no other service of the stack has',
      '  - volume "static_volume": name = "static_volume"; a name no other volume of the stack has',
      '  - service "web": port = 0; a port is a whole number from 1 to 65535',
      '  - service "web": dependsOn = "db"; each dependency once',
      '  - service "web": mounts = "/app/staticfiles"; one mount per path',
      '  - env "POSTGRES_DB": name = "POSTGRES_DB"; each variable is declared once; give the declared one to more services with service.reads()',
    ]);
  });
});

describe('a failing synthesis changes nothing on disk', () => {
  test('every file, its content and its mode, stays byte-identical; no .env appears', () => {
    // GIVEN a synthesized stack, and a user's .env
    const { project, outdir } = newStack();
    project.synth();
    writeFileSync(join(outdir, '.env'), 'DJANGO_SECRET_KEY=mine\n');
    chmodSync(join(outdir, '.env'), 0o600);
    const before = readTree(outdir);

    // WHEN the same directory is synthesized from a broken model, with fewer services and another project name
    const broken = newStack({ ...TAU, django: { ...TAU.django, project: 'Atlas' }, postgres: { version: 12 } }, outdir);
    expect(() => broken.project.synth()).toThrow(StackValidationError);

    // THEN nothing was written, and nothing deleted (projen deletes orphaned files during synth)
    expect(readTree(outdir)).toEqual(before);
  });

  test('a first synthesis that fails writes nothing at all', () => {
    const { project, outdir } = newStack({ ...TAU, postgres: { version: 99 } });
    expect(() => project.synth()).toThrow(StackValidationError);
    expect([...readTree(outdir).keys()]).toEqual([]);
  });
});
