import { EnvContract, renderDotEnv, renderEnvExample, Service } from '../../src';

function contract() {
  const web = new Service('web', { image: 'x:1' });
  const db = new Service('db', { image: 'postgres:17' });
  const env = new EnvContract();
  env.add('POSTGRES_PASSWORD', { description: 'Password', secret: true, generate: 'password', for: [db, web] });
  env.add('DJANGO_DEBUG', { description: 'Debug', default: '0', for: [web] });
  env.add('FORWARDED_ALLOW_IPS', { description: 'Trusted proxies', value: '*', for: [web] });
  return env;
}

describe('.env.example', () => {
  const text = renderEnvExample(contract(), '.env', 'marker');

  test('one comment line each, secrets left empty, defaults filled in', () => {
    expect(text).toContain('# Secret, generated into .env by npx projen. Password (read by db, web)\nPOSTGRES_PASSWORD=\n');
    expect(text).toContain('# Debug (read by web)\nDJANGO_DEBUG=0\n');
  });

  test("the stack's fixed values are listed, commented out, not as assignments", () => {
    expect(text).toContain('#   FORWARDED_ALLOW_IPS=*  (Trusted proxies; for web)');
    expect(text).not.toMatch(/^FORWARDED_ALLOW_IPS=/m);
  });
});

describe('a new .env', () => {
  test('fills secrets from the generator and defaults from the contract', () => {
    const text = renderDotEnv(contract(), (v) => `generated-${v.name}`);
    expect(text).toContain('POSTGRES_PASSWORD=generated-POSTGRES_PASSWORD\n');
    expect(text).toContain('DJANGO_DEBUG=0\n');
    expect(text).not.toContain('FORWARDED_ALLOW_IPS=');
  });
});

describe('EnvContract', () => {
  test('share() gives one service every variable of another', () => {
    const env = contract();
    const web = env.get('DJANGO_DEBUG')!.readers[0];
    const worker = new Service('worker', { image: 'x:1' });
    env.share(web, worker);
    expect(env.forService(worker).map((v) => v.name)).toEqual(['POSTGRES_PASSWORD', 'DJANGO_DEBUG', 'FORWARDED_ALLOW_IPS']);
  });
});
