import { Duration, Healthcheck, Image, Service, Volume } from '../../src/internal';

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

  test('mistakes while declaring are kept as problems, reported with the rest, never thrown', () => {
    const s = new Service('x', { image: 'redis:7.4-alpine' });
    const data = Volume.named('data');
    expect(() => s.publish(80).dependsOn(s).mount('/data', data).mount('/data', data).mount('/', Volume.named('root'))).not.toThrow();
    expect(s.validate().map((p) => `${p.field}: ${p.allowed}`)).toEqual([
      expect.stringMatching(/^ports: publish\(80\) needs the port the service listens on/),
      expect.stringMatching(/^dependsOn: another service/),
      'mounts: one mount per path',
      expect.stringMatching(/^mount path of volume "root": a directory below \//),
    ]);
  });

  test.each(['a_b', 'A', '1abc', 'a'.repeat(64), 'web.example', '-a', 'a-'])('the name %s is not a DNS label and is refused', (name) => {
    expect(new Service(name, { image: 'redis:7.4-alpine' }).validate().map((p) => p.field)).toEqual(['name']);
  });

  test('an unknown option key names the one meant', () => {
    expect(new Service('x', { image: 'redis:7.4-alpine', prot: 6379 } as any).validate()).toEqual([
      expect.objectContaining({ field: 'prot', allowed: expect.stringMatching(/did you mean "port"\?/) }),
    ]);
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
  test('command() runs a program, shell() a script; neither says how a platform writes it', () => {
    expect(Healthcheck.command('redis-cli', 'ping').probe).toEqual({ kind: 'command', argv: ['redis-cli', 'ping'] });
    expect(Healthcheck.shell('true').probe).toEqual({ kind: 'shell', script: 'true' });
  });

  test('with() copies with other timings, as Durations', () => {
    const h = Healthcheck.command('a').with({ retries: 9 }).with({ interval: Duration.minutes(1) });
    expect([h.retries, h.interval.toString(), h.timeout.toString()]).toEqual([9, '1m', '5s']);
  });

  test('zero retries, an empty command, a string for a Duration and an unknown key are refused', () => {
    expect(Healthcheck.command().with({ retries: 0, timeout: '5s' as any, intervall: Duration.seconds(1) } as any).validate('c').map((p) => p.field))
      .toEqual(['intervall', 'healthcheck.timeout', 'healthcheck.retries', 'healthcheck']);
  });
});
