import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { Duration } from '../../src/internal';
import { synthFiles, TAU } from '../helpers/synth';
import { newStack } from '../helpers/synth';
import { validateWithRealTools } from '../validators';

const ACME = { ...TAU, hosts: ['tau.example.com'], tls: { mode: 'acme' as const, email: 'ops@example.com' } };

describe('HTTPS at nginx: tls mode acme', () => {
  const files = synthFiles(ACME);
  const compose = parse(files['docker-compose.yml']);

  test('nginx publishes 443, mounts the challenges and the certificate read-only, reads the certificate at each handshake', () => {
    expect(compose.services.nginx.ports).toEqual(['80:80', '443:443']);
    expect(compose.services.nginx.volumes).toEqual(expect.arrayContaining(['acme_challenges:/var/www/acme:ro', 'certificates:/etc/nginx/certs:ro']));
    const conf = files['nginx/default.conf'];
    expect(conf).toContain('location ^~ /.well-known/acme-challenge/ {\n        root /var/www/acme;');
    expect(conf).toContain('location / {\n        return 301 https://$host$request_uri;\n    }');
    expect(conf).toContain('ssl_protocols TLSv1.2 TLSv1.3;');
    expect(conf).toContain('map $ssl_server_name $site_certificate {\n    default /etc/nginx/certs/fullchain.pem;\n}');
    // An unknown SNI is refused in the handshake; a known SNI with a foreign Host gets no answer either.
    expect(conf).toContain('listen 443 ssl default_server;\n    server_name _;\n    ssl_reject_handshake on;\n    return 444;\n}');
    expect(conf).toContain('listen 443 ssl;\n    server_name tau.example.com;\n    ssl_certificate $site_certificate;');
    // Preloading is an opt-in (tls.hstsPreload).
    expect(conf).toContain('add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;');
    expect(conf).toContain('proxy_hide_header Strict-Transport-Security;');
  });

  test('the ACME client: lego with its script, state, challenges and the certificate it publishes; Let\'s Encrypt by default', () => {
    expect(compose.services.acme).toMatchObject({
      image: 'goacme/lego:v4.35.2', entrypoint: ['/bin/sh', '/acme/lego.sh'], read_only: true, cap_drop: ['ALL'], networks: ['front'],
      depends_on: { nginx: { condition: 'service_started' } },
      environment: { ACME_SERVER: 'https://acme-v02.api.letsencrypt.org/directory', ACME_EMAIL: 'ops@example.com', ACME_DOMAINS: 'tau.example.com', ACME_RENEW_DAYS: '30', ACME_CHECK_EVERY: '43200' },
    });
    expect(compose.services.acme.volumes).toEqual(['./acme/lego.sh:/acme/lego.sh:ro', 'acme_state:/var/lib/lego', 'acme_challenges:/var/www/acme', 'certificates:/certs']);
    expect(files['acme/lego.sh']).toContain('--http --http.webroot /var/www/acme');
  });

  test('the compose file\'s comments on the networks name the ACME client where it is (front), and where it is not (back)', () => {
    expect(files['docker-compose.yml']).toContain([
      'networks:',
      '  # web, nginx and acme are on it, db and migrate are not: the way requests come in, and out of the stack',
      '  front: {}',
      '  # db, migrate and web are on it, nginx and acme are not: the app and its database, with no route out',
    ].join('\n'));
    expect(synthFiles(TAU)['docker-compose.yml']).toContain('  # web and nginx are on it, db and migrate are not: the way requests come in, and out of the stack\n');
  });

  test('Django: secure settings and https origins', () => {
    expect(files['Tau/settings_env.py']).toContain('SECURE_SSL_REDIRECT = True');
    expect(files['.env.example']).toContain("DJANGO_CSRF_TRUSTED_ORIGINS='https://tau.example.com'");
  });

  test('the real tools accept it: nginx -t, docker compose config, shellcheck of lego.sh', () => {
    const { project, stack, outdir } = newStack(ACME);
    project.synth();
    expect(validateWithRealTools(outdir, stack)).toEqual([]);
  });
});

describe('HTTPS modes are validated like every option', () => {
  const problems = (tls: object, hosts = ['tau.example.com'], prepare?: (outdir: string) => void) => {
    const { stack, outdir } = newStack({ ...TAU, hosts, tls: tls as any });
    prepare?.(outdir);
    return stack.validate().filter((p) => p.component === 'tls').map((p) => `${p.field} = ${JSON.stringify(p.value)}`);
  };

  test('acme: a missing email, a bad domain, a domain the site does not serve, a local name', () => {
    expect(problems({ mode: 'acme' })).toEqual(['email = undefined']);
    expect(problems({ mode: 'acme', email: 'ops@example.com', domains: ['bad_name', 'other.example.com'] }))
      .toEqual(['domains[0] = "bad_name"', 'domains[1] = "other.example.com"']);
    expect(problems({ mode: 'acme', email: 'ops@example.com' }, ['localhost'])).toEqual(['domains (the stack\'s hosts)[0] = "localhost"']);
    expect(problems({ mode: 'acme', email: 'ops@example.com', directory: 'http://acme.example/dir', checkEvery: Duration.seconds(5) }))
      .toEqual(['directory = "http://acme.example/dir"', 'checkEvery = "5 s"']);
  });

  test('files: paths that do not exist, or in two directories', () => {
    expect(problems({ mode: 'files', certificate: 'certs/site.pem', key: 'certs/site.key' }))
      .toEqual(['certificate = "certs/site.pem"', 'key = "certs/site.key"']);
    expect(problems({ mode: 'files', certificate: 'certs/site.pem', key: 'keys/site.key' }, undefined, (outdir) => {
      for (const d of ['certs', 'keys']) mkdirSync(join(outdir, d));
      writeFileSync(join(outdir, 'certs/site.pem'), 'x');
      writeFileSync(join(outdir, 'keys/site.key'), 'x');
    })).toEqual(['key = "keys/site.key"']);
    // A key only root can read: nginx's workers read it at each handshake.
    expect(problems({ mode: 'files', certificate: 'certs/site.pem', key: 'certs/site.key' }, undefined, (outdir) => {
      mkdirSync(join(outdir, 'certs'));
      writeFileSync(join(outdir, 'certs/site.pem'), 'x');
      writeFileSync(join(outdir, 'certs/site.key'), 'x', { mode: 0o600 });
    })).toEqual(['key = "certs/site.key"']);
  });

  test('an option of another mode', () => {
    expect(problems({ mode: 'acme', email: 'ops@example.com', trustedProxies: ['10.0.0.0/8'] })).toEqual(['trustedProxies = ["10.0.0.0/8"]']);
    expect(problems({ mode: 'tls' })).toEqual(['mode = "tls"']);
  });
});
