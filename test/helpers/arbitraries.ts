import fc from 'fast-check';
import { DjangoStack, DjangoStackOptions, Healthcheck } from '../../src/internal';

/** An extra service and how it joins the stack. */
export interface ExtraService {
  readonly name: string;
  readonly kind: 'redis' | 'memcached' | 'worker';
  readonly webWaits: boolean;
}

export interface GeneratedStack {
  readonly options: DjangoStackOptions;
  readonly extras: readonly ExtraService[];
}

const dirs = ['staticfiles', 'mediafiles', 'collected', 'uploads', 'public', 'files'];
const urls = ['/static/', '/media/', '/assets/', '/uploads/', '/files/user/', '/s/'];

/** Stacks the model allows: other ports, paths, names, PostgreSQL 15-18, extra services, TLS on or off. */
export const validStack: fc.Arbitrary<GeneratedStack> = fc.record({
  project: fc.constantFrom('Tau', 'Atlas', 'shop_backend', 'Beta2'),
  postgres: fc.constantFrom(15, 16, 17, 18),
  webPort: fc.integer({ min: 1024, max: 65535 }),
  nginxPort: fc.integer({ min: 1, max: 65535 }),
  hostPort: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  workers: fc.integer({ min: 1, max: 16 }),
  maxUploadSize: fc.constantFrom('512k', '1m', '25m', '2g'),
  paths: fc.uniqueArray(fc.constantFrom(...dirs), { minLength: 2, maxLength: 2 }),
  urls: fc.uniqueArray(fc.constantFrom(...urls), { minLength: 2, maxLength: 2 }),
  tls: fc.boolean(),
  workdir: fc.constantFrom('/app', '/srv/tau'),
  extras: fc.uniqueArray(fc.record({
    name: fc.constantFrom('cache', 'redis', 'memcache', 'worker', 'beat', 'queue-1'),
    kind: fc.constantFrom<ExtraService['kind']>('redis', 'memcached', 'worker'),
    webWaits: fc.boolean(),
  }), { maxLength: 3, selector: (e) => e.name }),
}).map((g) => ({
  options: {
    django: { project: g.project, requirements: ['Django~=5.2.0', 'graphene-django~=3.2.3'], image: { workdir: g.workdir } },
    // Many workers' pools need more than PostgreSQL's default 100 connections: set as a user would (synthesis
    // refuses a stack whose pools do not fit).
    postgres: { version: g.postgres, maxConnections: g.workers > 12 ? 200 : undefined },
    web: { port: g.webPort, workers: g.workers },
    nginx: { port: g.nginxPort, hostPort: g.hostPort, maxUploadSize: g.maxUploadSize },
    staticFiles: { url: g.urls[0], path: `${g.workdir}/${g.paths[0]}` },
    mediaFiles: { url: g.urls[1], path: `${g.workdir}/${g.paths[1]}` },
    tls: g.tls ? { trustedProxies: ['10.0.0.0/8'] } : undefined,
  },
  extras: g.extras,
}));

/** Adds the generated extra services the way a .projenrc.ts would. */
export function addExtras(stack: DjangoStack, extras: readonly ExtraService[]): void {
  for (const extra of extras) {
    if (extra.kind === 'worker') {
      const worker = stack.addService(extra.name, { image: stack.web.image, command: ['celery', '-A', stack.djangoProject, 'worker'] })
        .joins(stack.backNetwork);
      stack.connectToDatabase(worker);
      stack.env.share(stack.web, worker);
      continue;
    }
    const redis = extra.kind === 'redis';
    const port = redis ? 6379 : 11211;
    const service = stack.addService(extra.name, {
      image: redis ? 'redis:7.4-alpine' : 'memcached:1.6-alpine',
      port,
      healthcheck: redis ? Healthcheck.command('redis-cli', 'ping') : undefined,
    }).joins(stack.backNetwork);
    if (extra.webWaits) stack.web.dependsOn(service, { healthy: redis });
    const variable = `${extra.name.toUpperCase().replace(/-/g, '_')}_URL`;
    stack.env.add(variable, { description: `${extra.kind} URL`, value: service.url(redis ? 'redis' : 'memcache', port), for: [stack.web] });
  }
}

/** One thing wrong with an otherwise valid stack, and the field the message must name. */
export interface Breakage {
  readonly name: string;
  readonly apply: (g: GeneratedStack) => { options: DjangoStackOptions; configure?: (stack: DjangoStack) => void };
  readonly message: RegExp;
}

export const breakages: readonly Breakage[] = [
  { name: 'postgres version', apply: (g) => ({ options: { ...g.options, postgres: { version: 14 } } }), message: /postgres: version = 14/ },
  { name: 'web port', apply: (g) => ({ options: { ...g.options, web: { port: 65536 } } }), message: /service "web": port = 65536/ },
  { name: 'project name', apply: (g) => ({ options: { ...g.options, django: { ...g.options.django, project: '1tau' } } }), message: /django: project = "1tau"/ },
  { name: 'media URL', apply: (g) => ({ options: { ...g.options, mediaFiles: { ...g.options.mediaFiles, url: `${g.options.staticFiles!.url}m/` } } }), message: /media files: url = / },
  { name: 'upload size', apply: (g) => ({ options: { ...g.options, nginx: { ...g.options.nginx, maxUploadSize: '10 MB' } } }), message: /nginx: maxUploadSize = "10 MB"/ },
  {
    name: 'undeclared volume',
    apply: (g) => ({ options: g.options, configure: (s) => s.web.mount('/mnt/cache', { name: 'cache' } as any) }),
    message: /service "web": volumes \(\/mnt\/cache\) = "cache"; mount a declared volume/,
  },
  {
    name: 'literal secret',
    apply: (g) => ({ options: g.options, configure: (s) => s.env.add('API_TOKEN', { description: 't', secret: true, value: 'x', for: [s.web] }) }),
    message: /env "API_TOKEN": value = "\(a literal secret\)"/,
  },
  {
    name: 'host port clash',
    apply: (g) => ({
      options: g.options,
      configure: (s) => s.addService('admin', { image: 'adminer:4.8.1', port: 8080 }).publish(s.nginx.publishedPorts[0].host),
    }),
    message: /service "admin": ports = \d+; a host port is published by one service only/,
  },
];
