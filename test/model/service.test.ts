import { Healthcheck, Image, Service, Volume } from '../../src';

describe('Service', () => {
  test('getters return copies', () => {
    const s = new Service('web', { image: 'nginx:1.28-alpine', port: 80 });
    s.mount('/data', Volume.named('data'));
    s.mounts.pop();
    expect(s.mounts).toHaveLength(1);
  });

  test('url() builds an address on the compose network', () => {
    const redis = new Service('redis', { image: 'redis:7.4-alpine', port: 6379 });
    expect(redis.url('redis', 6379, '/0')).toBe('redis://redis:6379/0');
    expect(redis.url('redis')).toBe('redis://redis:6379');
  });

  test('publish() without a container port needs the service port', () => {
    expect(() => new Service('x', { image: 'redis:7.4-alpine' }).publish(80)).toThrow(/declares no port/);
  });

  test('a service cannot depend on itself', () => {
    const s = new Service('x', { image: 'redis:7.4-alpine' });
    expect(() => s.dependsOn(s)).toThrow(/cannot depend on itself/);
  });

  test('mountPathOf finds where a volume is mounted', () => {
    const v = Volume.named('v');
    expect(new Service('x', { image: 'redis:7.4-alpine' }).mount('/v', v).mountPathOf(v)).toBe('/v');
  });
});

describe('Image', () => {
  test.each(['redis:7.4-alpine', 'ghcr.io/acme/tool:1.2', 'localhost:5000/acme/tool:1', `postgres@sha256:${'a'.repeat(64)}`])('%s is pinned', (ref) => {
    expect(Image.fromRegistry(ref).validate('x')).toEqual([]);
  });

  test.each(['redis', 'redis:latest', 'localhost:5000/redis', 'Redis:7'])('%s is refused', (ref) => {
    expect(Image.fromRegistry(ref).validate('x')).toHaveLength(1);
  });
});

describe('Healthcheck', () => {
  test('command() is the exec form, shell() the shell form', () => {
    expect(Healthcheck.command('redis-cli', 'ping').test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(Healthcheck.shell('true').test).toEqual(['CMD-SHELL', 'true']);
  });

  test('with() copies with other timings', () => {
    const h = Healthcheck.command('a').with({ retries: 9 });
    expect([h.retries, h.interval]).toEqual([9, '10s']);
  });

  test('zero retries and an empty command are refused', () => {
    expect(Healthcheck.command().with({ retries: 0 }).validate('c').map((p) => p.field)).toEqual(['healthcheck.retries', 'healthcheck.test']);
  });
});
