import { parse } from 'yaml';
import { cpuLimit, EnvContract, Healthcheck, Image, Network, renderCompose, renderComposeYaml, Service, Volume } from '../../src/internal';

function model() {
  const data = Volume.named('data');
  const db = new Service('db', { image: 'postgres:17', port: 5432, healthcheck: Healthcheck.shell('pg_isready -U "${POSTGRES_USER}"') });
  db.mount('/var/lib/postgresql/data', data, { note: 'why here' });
  const app = new Service('app', { image: Image.build({ tag: 'tau-web' }), port: 8000, command: ['run', '$HOME'] });
  app.dependsOn(db, { healthy: true }).publish(8080);
  const env = new EnvContract(() => [db, app]);
  env.add('SECRET', { description: 'a secret', secret: true, for: [app] });
  env.add('LEVEL', { description: 'with a default', default: 'a$b', for: [app] });
  env.add('MODE', { description: 'fixed by the stack', value: 'a$b', for: [app] });
  return { services: [db, app], volumes: [data], networks: [], env, envFile: '.env', logs: { maxSize: '10m', maxFiles: 5 } };
}

describe('renderCompose', () => {
  test('maps services onto the compose schema', () => {
    const { file } = renderCompose(model());
    expect(file.services.app).toEqual({
      build: { context: '.', dockerfile: 'Dockerfile' },
      image: 'tau-web',
      command: ['run', '$$HOME'],
      restart: 'unless-stopped',
      depends_on: { db: { condition: 'service_healthy' } },
      environment: { SECRET: '${SECRET:?SECRET must be set in .env}', LEVEL: '${LEVEL:-a$$b}', MODE: 'a$$b' },
      ports: ['8080:8000'],
      // Confined by default: read-only root, /tmp writable, no capabilities, no privilege escalation, limits.
      read_only: true,
      tmpfs: ['/tmp'],
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
      mem_limit: '512m',
      cpu_period: 10_000,
      cpu_quota: 10_000,
      pids_limit: 256,
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '5' } },
    });
    expect(file.volumes).toEqual({ data: {} });
  });

  test('a service keeps the capabilities, writable paths and limits it declares, and joins its networks', () => {
    const back = Network.named('back', { internal: true });
    const db = new Service('db', {
      image: 'postgres:17', capabilities: ['CHOWN', 'SETUID'], writablePaths: ['/tmp', '/var/run/postgresql'], limits: { memory: '1g', cpus: 0.5, pids: 64 },
      sysctls: { 'net.ipv4.ip_local_port_range': '1024 65535' },
    }).joins(back);
    const open = new Service('tool', { image: 'x:1', readOnlyRoot: false, writablePaths: [] });
    const { file } = renderCompose({ ...model(), services: [db, open], networks: [back] });
    expect(file.services.db).toMatchObject({
      read_only: true, tmpfs: ['/tmp', '/var/run/postgresql'], cap_drop: ['ALL'], cap_add: ['CHOWN', 'SETUID'], mem_limit: '1g', cpu_period: 10_000, cpu_quota: 5_000, pids_limit: 64, networks: ['back'],
      sysctls: { 'net.ipv4.ip_local_port_range': '1024 65535' },
    });
    expect(file.services.tool.sysctls).toBeUndefined();
    expect(file.services.tool.read_only).toBeUndefined();
    expect(file.services.tool.tmpfs).toBeUndefined();
    expect(file.networks).toEqual({ back: { internal: true } });
  });

  test('a CPU limit is a quota in 10 ms periods, and a longer period where the kernel\'s 1 ms least quota needs it', () => {
    expect(cpuLimit(1)).toEqual({ cpu_period: 10_000, cpu_quota: 10_000 });
    expect(cpuLimit(2.5)).toEqual({ cpu_period: 10_000, cpu_quota: 25_000 });
    expect(cpuLimit(0.25)).toEqual({ cpu_period: 10_000, cpu_quota: 2_500 });
    expect(cpuLimit(0.1)).toEqual({ cpu_period: 10_000, cpu_quota: 1_000 });
    expect(cpuLimit(0.05)).toEqual({ cpu_period: 20_000, cpu_quota: 1_000 });
    expect(cpuLimit(0.03)).toEqual({ cpu_period: 33_334, cpu_quota: 1_000 });
    expect(cpuLimit(0.01)).toEqual({ cpu_period: 100_000, cpu_quota: 1_000 });
  });

  test('a network\'s comment names the services on it and those not, from the model, then what it is for', () => {
    const back = Network.named('back', { internal: true, description: 'no route out' });
    const front = Network.named('front');
    const empty = Network.named('spare', { description: 'for later' });
    const [db, web, proxy, client] = ['db', 'web', 'proxy', 'client'].map((n) => new Service(n, { image: 'x:1' }));
    db.joins(back);
    web.joins(front, back);
    proxy.joins(front);
    const yaml = renderComposeYaml({ ...model(), services: [db, web, proxy, client], networks: [front, back, empty] }, 'marker');
    expect(yaml).toContain('networks:\n  # web and proxy are on it, db and client are not\n  front: {}\n');
    expect(yaml).toContain('  # db and web are on it, proxy and client are not: no route out\n  back:\n    internal: true\n');
    expect(yaml).toContain('  # no service is on it: for later\n  spare: {}\n');
    // One more service on front: the comment follows.
    client.joins(front);
    expect(renderComposeYaml({ ...model(), services: [db, web, proxy, client], networks: [front] }, 'marker'))
      .toContain('  # web, proxy and client are on it, db is not\n  front: {}\n');
  });

  test('a capability, a sysctl, a limit or a writable path out of range is a problem', () => {
    const s = new Service('x', {
      image: 'x:1', capabilities: ['CAP_CHOWN'], writablePaths: ['tmp'], limits: { memory: '1m', cpus: 0, pids: 3 },
      sysctls: { 'kernel.shmmax': '1', 'net.ipv4.ip_local_port_range': 1024 as any, 'net.core.somaxconn': '1024' },
    });
    expect(s.validate().map((p) => p.field)).toEqual([
      'writablePaths[0]', 'capabilities[0]', 'sysctls.kernel.shmmax', 'sysctls.net.ipv4.ip_local_port_range', 'limits.memory', 'limits.cpus', 'limits.pids',
    ]);
  });

  test('escapes $ so the container, not compose, expands variables', () => {
    const { file } = renderCompose(model());
    expect(file.services.db.healthcheck!.test).toEqual(['CMD-SHELL', 'pg_isready -U "$${POSTGRES_USER}"']);
  });

  test('each service gets exactly the variables it reads, none from a whole env file', () => {
    const { file } = renderCompose(model());
    expect(file.services.db.environment).toBeUndefined();
    expect(Object.keys(file.services.app.environment!)).toEqual(['SECRET', 'LEVEL', 'MODE']);
    expect(JSON.stringify(file)).not.toContain('env_file');
  });

  test('has no obsolete top-level version key', () => {
    expect(Object.keys(parse(renderComposeYaml(model(), 'marker')))).toEqual(['services', 'volumes']);
  });
});

describe('renderComposeYaml', () => {
  const text = renderComposeYaml(model(), '~~ marker');

  test('parses back to the rendered object', () => {
    expect(parse(text)).toEqual(renderCompose(model()).file);
  });

  test('writes the notes as comments above their entries', () => {
    expect(text).toContain('    volumes:\n      # why here\n      - data:/var/lib/postgresql/data');
    expect(text).toContain('      LEVEL: ${LEVEL:-a$$b}\n      # fixed by the stack\n      MODE: a$$b');
  });

  test('quotes published ports', () => {
    expect(text).toContain('- "8080:8000"');
  });

  test('starts with the marker', () => {
    expect(text.split('\n')[0]).toBe('# ~~ marker');
  });
});
