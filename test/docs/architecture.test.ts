import fc from 'fast-check';
import { renderMermaid, renderSummary } from '../../src/internal';
import { addExtras, validStack } from '../helpers/arbitraries';
import { changedFiles, cleanTempDirs, newStack, synthFiles, TAU } from '../helpers/synth';
import { mermaidBlock, parseMermaid } from '../validators';

afterAll(cleanTempDirs);

const base = synthFiles();

describe('docs/ARCHITECTURE.md', () => {
  const doc = base['docs/ARCHITECTURE.md'];

  test('draws the request path, the start-up order and every mount', () => {
    const graph = mermaidBlock(doc);
    expect(graph).toContain('client -- "host :80" --> svc_nginx');
    expect(graph).toContain('svc_nginx -- "proxy :8000" --> svc_web');
    expect(graph).toContain('svc_web -. "depends on (healthy)" .-> svc_db');
    expect(graph).toContain('svc_nginx -- "/var/www/static (ro)" --- vol_static_volume');
    expect(graph).toContain('svc_db -- "/var/lib/postgresql/data" --- vol_postgres_data');
  });

  test('tables the services with image, command, healthcheck and start order', () => {
    expect(doc).toMatch(/\| \*\*web\*\*: .* \| `build Dockerfile as tau-web` \| `gunicorn Tau\.asgi:application --config gunicorn\.conf\.py --bind 0\.0\.0\.0:8000 --bind 0\.0\.0\.0:9000 .*` \| 8000 \| - \| `python -c .*healthz.*` every 10 s \| db \(healthy\), migrate \(completed\) \|/);
    expect(doc).toContain('| **static_volume** | Static files collected by collectstatic | migrate at `/app/staticfiles`; web at `/app/staticfiles`; nginx at `/var/www/static` (read-only) |');
  });

  test('a new service and volume appear in the diagram and tables on the next synthesis', () => {
    const files = synthFiles(TAU, (stack) => {
      const cache = stack.addVolume('redis_data', { description: 'Redis snapshots' });
      stack.addService('redis', { image: 'redis:7.4-alpine', port: 6379 }).mount('/data', cache);
    });
    expect(changedFiles(base, files)).toEqual(['docker-compose.yml', 'docs/ARCHITECTURE.md']);
    expect(mermaidBlock(files['docs/ARCHITECTURE.md'])).toContain('svc_redis -- "/data" --- vol_redis_data');
    expect(files['docs/ARCHITECTURE.md']).toContain('| **redis_data** | Redis snapshots | redis at `/data` |');
  });

  test("Mermaid's parser accepts the default diagram and a generated variety", () => {
    const diagrams = [mermaidBlock(doc), ...fc.sample(validStack, { numRuns: 25, seed: 20261126 }).map((g) => {
      const { stack } = newStack(g.options);
      addExtras(stack, g.extras);
      return renderMermaid({ name: 'x', services: stack.services, volumes: stack.volumes, env: stack.env, site: stack.site, db: stack.db, envFile: '.env', envExample: '.env.example', composeFile: 'docker-compose.yml', imageCommand: () => undefined });
    })];
    // A database outside the stack: its node and the TLS connections to it.
    const external = { label: '<b>external PostgreSQL</b><br/>$POSTGRES_HOST:5432<br/>sslmode verify-full', clients: [] as never[] };
    const { stack } = newStack(TAU);
    diagrams.push(renderMermaid({ name: 'x', services: stack.services, volumes: stack.volumes, env: stack.env, site: stack.site,
      externalDatabase: { ...external, clients: [stack.web, stack.app.release] }, envFile: '.env', envExample: '.env.example', composeFile: 'docker-compose.yml', imageCommand: () => undefined }));
    expect(diagrams[diagrams.length - 1]).toContain('svc_web -- "TLS" --> ext_db');
    expect(parseMermaid(diagrams)).toEqual([]);
  }, 60_000);

  test("Mermaid's parser catches a broken diagram", () => {
    expect(parseMermaid([mermaidBlock(doc).replace('--> svc_web', '--> --> svc_web')])).toEqual([expect.stringMatching(/Parse error/)]);
  });
});

describe('docs/ENVIRONMENT.md', () => {
  const doc = base['docs/ENVIRONMENT.md'];

  test('lists every variable with its readers, secrecy, default and source', () => {
    expect(doc).toContain('| `POSTGRES_PASSWORD` | db | yes, generated | - | `.env` | Password of the superuser |');
    expect(doc).toContain('| `DJANGO_DEBUG` | migrate, web | no | `0` | `.env` |');
    expect(doc).toMatch(/\| `FORWARDED_ALLOW_IPS` \| web \| no \| fixed: `\*` \| `docker-compose.yml` \|/);
  });

  test('a new variable is listed on the next synthesis', () => {
    const files = synthFiles(TAU, (stack) => stack.env.add('SENTRY_DSN', { description: 'Error reporting', secret: true, for: [stack.web] }));
    expect(files['docs/ENVIRONMENT.md']).toContain('| `SENTRY_DSN` | web | yes | - | `.env` | Error reporting |');
  });
});

describe('the summary after synthesis', () => {
  const { stack } = newStack();
  const view = { name: 'Tau', services: stack.services, volumes: stack.volumes, env: stack.env, site: stack.site, db: stack.db, envFile: '.env', envExample: '.env.example', composeFile: 'docker-compose.yml', imageCommand: () => undefined };

  test('the request path, the volumes and a new .env', () => {
    expect(renderSummary(view, { state: 'created', unfilled: [] })).toEqual([
      'Tau stack: nginx :80 -> web :8000 -> db tau-postgres-17; once per deploy: migrate',
      '  volumes: postgres_data (db), pgbackrest (db), static_volume (migrate, web, nginx ro), media_volume (web, nginx ro)',
      '  .env: created now with fresh secrets, mode 600',
    ]);
  });

  test('many extra services are counted, not all named', () => {
    const { stack: big } = newStack();
    for (let i = 0; i < 6; i++) big.addService(`cache${i}`, { image: 'redis:7.4-alpine' });
    const bigView = { ...view, services: big.services, site: big.site, db: big.db };
    expect(renderSummary(bigView, undefined)[0]).toBe('Tau stack: nginx :80 -> web :8000 -> db tau-postgres-17 (+ cache0, cache1, cache2 and 3 more); once per deploy: migrate');
  });

  test('an existing .env that lacks variables', () => {
    expect(renderSummary(view, { state: 'kept', missing: ['SENTRY_DSN'] })[2]).toBe('  .env: present, left untouched; it lacks SENTRY_DSN (see .env.example)');
  });
});
