import { EnvContract, renderDotEnv, renderEnvExample, Service } from '../../src/internal';

const NAMES = { envFile: '.env', envExample: '.env.example', fixedIn: 'docker-compose.yml' };

function contract() {
  const web = new Service('web', { image: 'x:1' });
  const db = new Service('db', { image: 'postgres:17' });
  const services = [db, web];
  const env = new EnvContract(() => services);
  env.add('POSTGRES_PASSWORD', { description: 'Password', secret: true, generate: 'password', for: [db, web] });
  env.add('DJANGO_DEBUG', { description: 'Debug', default: '0', for: [web] });
  env.add('FORWARDED_ALLOW_IPS', { description: 'Trusted proxies', value: '*', for: [web] });
  return { env, web, services };
}

describe('.env.example', () => {
  const text = renderEnvExample(contract().env, NAMES, 'marker');

  test('one comment line each, secrets left empty, defaults filled in', () => {
    expect(text).toContain('# Secret, generated into .env by npx projen. Password (read by db, web)\nPOSTGRES_PASSWORD=\n');
    expect(text).toContain("# Debug (read by web)\nDJANGO_DEBUG='0'\n");
  });

  test("the stack's fixed values are listed, commented out, not as assignments", () => {
    expect(text).toContain('#   FORWARDED_ALLOW_IPS=*  (Trusted proxies; for web)');
    expect(text).not.toMatch(/^FORWARDED_ALLOW_IPS=/m);
  });
});

describe('a new .env', () => {
  test('fills secrets from the generator and defaults from the contract', () => {
    const text = renderDotEnv(contract().env, NAMES, (v) => `generated-${v.name}`);
    expect(text).toContain("POSTGRES_PASSWORD='generated-POSTGRES_PASSWORD'\n");
    expect(text).toContain("DJANGO_DEBUG='0'\n");
    expect(text).not.toContain('FORWARDED_ALLOW_IPS=');
  });
});

describe('EnvContract', () => {
  test('share() gives one service every variable of another', () => {
    const { env, web, services } = contract();
    const worker = new Service('worker', { image: 'x:1' });
    services.push(worker);
    env.share(web, worker);
    expect(env.forService(worker).map((v) => v.name)).toEqual(['POSTGRES_PASSWORD', 'DJANGO_DEBUG', 'FORWARDED_ALLOW_IPS']);
    expect(env.readers(env.get('DJANGO_DEBUG')!).map((s) => s.name)).toEqual(['web', 'worker']);
  });

  test('the service holds what it reads: the contract only reports it', () => {
    const { env, web } = contract();
    expect(web.environment.map((v) => v.name)).toEqual(['POSTGRES_PASSWORD', 'DJANGO_DEBUG', 'FORWARDED_ALLOW_IPS']);
    expect(env.readers(env.get('POSTGRES_PASSWORD')!).map((s) => s.name)).toEqual(['db', 'web']);
  });

  test('a name declared twice, and a variable nobody reads, are problems, not exceptions', () => {
    const { env } = contract();
    env.add('DJANGO_DEBUG', { description: 'again', for: [] });
    env.add('UNREAD', { description: 'nobody', default: 'x' });
    expect(env.validate().map((p) => `${p.component} ${p.field}`)).toEqual(['env "DJANGO_DEBUG" name', 'env "UNREAD" for']);
  });
});
