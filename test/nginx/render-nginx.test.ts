import { DEFAULT_CSP, NginxSite, renderNginxConf, workersFor, renderNginxMainConf, ServedFiles, Service, Volume } from '../../src/internal';
import { synthFiles, TAU } from '../helpers/synth';

/** Tau's stack with nginx allowed four CPUs. */
const TAU_4CPU = { ...TAU, nginx: { ...TAU.nginx, limits: { cpus: 4 } } };

function site(options = {}) {
  const staticVolume = Volume.named('static_volume');
  const mediaVolume = Volume.named('media_volume');
  const web = new Service('web', { image: 'x:1', port: 8000 });
  const nginx = new Service('nginx', { image: 'nginx:1.28-alpine', port: 80 })
    .mount('/var/www/static', staticVolume, { readOnly: true })
    .mount('/var/www/media', mediaVolume, { readOnly: true });
  return new NginxSite(nginx, options)
    .proxyTo(web)
    .serve(new ServedFiles('static', { url: '/static/', volume: staticVolume, maxAge: '30d' }))
    .serve(new ServedFiles('media', { url: '/media/', volume: mediaVolume, userContent: true }));
}

/** The lines of one `location` block. */
function location(conf: string, prefix: string): string[] {
  const start = conf.indexOf(`location ${prefix} {`);
  return conf.slice(start, conf.indexOf('\n    }', start)).split('\n').map((l) => l.trim());
}

describe('renderNginxConf', () => {
  const conf = renderNginxConf(site(), 'marker');

  test('the app is the web service at its port, its address looked up at run time through the resolver', () => {
    expect(location(conf, '/')).toEqual(expect.arrayContaining([
      'resolver 127.0.0.11 valid=1s ipv6=off;',
      'set $web_upstream http://web:8000;',
      'proxy_pass $web_upstream;',
      'proxy_connect_timeout 5s;',
    ]));
    // Not an upstream block: nginx resolves those once, at start.
    expect(conf).not.toMatch(/^\s*upstream /m);
  });

  test('resolver, how long an address is used and the connect timeout are options', () => {
    const other = renderNginxConf(site({ resolver: '10.96.0.10:53', resolveValidSeconds: 10, connectTimeoutSeconds: 2 }), 'm');
    expect(location(other, '/')).toEqual(expect.arrayContaining(['resolver 10.96.0.10:53 valid=10s ipv6=off;', 'proxy_connect_timeout 2s;']));
  });

  test.each([
    [{ resolveValidSeconds: 0 }, 'resolveValidSeconds'],
    [{ connectTimeoutSeconds: 1.5 }, 'connectTimeoutSeconds'],
    [{ resolver: 'dns server; evil' }, 'resolver'],
  ])('%j is refused, naming %s', (options, field) => {
    expect(site(options).validate()).toEqual([expect.objectContaining({ component: 'nginx', field })]);
  });

  test('volumes are served from where nginx mounts them', () => {
    expect(location(conf, '/static/')).toContain('alias /var/www/static/;');
    expect(location(conf, '/media/')).toContain('alias /var/www/media/;');
  });

  test('static files get a long cache lifetime; media gets a sandboxing CSP', () => {
    expect(location(conf, '/static/')).toContain('add_header Cache-Control "public, max-age=2592000";');
    expect(location(conf, '/media/')).toContain(`add_header Content-Security-Policy "default-src 'none'; sandbox" always;`);
  });

  test('security headers are repeated in every location that adds its own', () => {
    for (const prefix of ['/static/', '/media/', '/']) {
      expect(location(conf, prefix)).toEqual(expect.arrayContaining([
        'add_header X-Content-Type-Options "nosniff" always;',
        'add_header X-Frame-Options "DENY" always;',
        'add_header Referrer-Policy "same-origin" always;',
      ]));
    }
    // The proxy location adds the Content-Security-Policy, so it repeats the server's too, and hides the app's copies.
    expect(location(conf, '/')).toContain('add_header Content-Security-Policy $app_csp always;');
    expect(location(conf, '/')).toContain('proxy_hide_header X-Frame-Options;');
  });

  test('the app\'s pages get the site\'s Content-Security-Policy unless the app sends its own', () => {
    expect(conf).toContain(`map $upstream_http_content_security_policy $app_csp {\n    '' "${DEFAULT_CSP}";\n    default '';\n}`);
    expect(DEFAULT_CSP).toMatch(/script-src 'self';/);
    expect(DEFAULT_CSP).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  test('no version in any answer: server_tokens off once, for every server', () => {
    expect(conf.match(/server_tokens off;/g)).toHaveLength(1);
    expect(conf.indexOf('server_tokens off;')).toBeLessThan(conf.indexOf('server {'));
  });

  test('nginx\'s own health server listens on a Unix socket only', () => {
    expect(conf).toContain(`server {\n    listen unix:${NginxSite.HEALTH_SOCKET};\n    access_log off;`);
  });

  test('proxy headers and the websocket upgrade', () => {
    expect(location(conf, '/')).toEqual(expect.arrayContaining([
      'proxy_set_header Host $http_host;',
      'proxy_set_header X-Forwarded-For $remote_addr;',
      'proxy_set_header X-Forwarded-Proto $scheme;',
      'proxy_set_header Upgrade $http_upgrade;',
      'proxy_set_header Connection $connection_upgrade;',
      'proxy_http_version 1.1;',
    ]));
    expect(conf).toContain("map $http_upgrade $connection_upgrade {\n    default upgrade;\n    ''      '';\n}");
  });

  test('overrides nginx defaults: tokens, body size, gzip', () => {
    expect(conf).toContain('server_tokens off;');
    expect(conf).toContain('client_max_body_size 25m;');
    expect(conf).toContain('gzip on;');
    expect(conf).toMatch(/gzip_types [^;]*text\/css[^;]*application\/javascript/);
    expect(conf).not.toMatch(/gzip_types [^;]*text\/html/);
  });

  test('dotfiles are denied, /.well-known/ is not', () => {
    expect(conf).toContain('location ~ /\\.(?!well-known/) {\n        deny all;\n    }');
  });

  test('behind a TLS proxy, nginx believes X-Forwarded-Proto and -For from the proxy\'s addresses only', () => {
    const tls = renderNginxConf(site({ behindTlsProxy: true, trustedProxies: ['10.0.0.0/8', '192.0.2.7'] }), 'marker');
    expect(tls).toContain('set_real_ip_from 10.0.0.0/8;\nset_real_ip_from 192.0.2.7;\nreal_ip_header X-Forwarded-For;');
    expect(tls).toContain('geo $realip_remote_addr $from_trusted_proxy {\n    default 0;\n    10.0.0.0/8 1;\n    192.0.2.7 1;\n}');
    expect(tls).toContain('map $from_trusted_proxy:$http_x_forwarded_proto $forwarded_proto {\n    default $scheme;\n    "1:https" https;\n}');
    expect(location(tls, '/')).toContain('proxy_set_header X-Forwarded-Proto $forwarded_proto;');
    expect(location(tls, '/')).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
  });

  test('behind a TLS proxy without its addresses, nginx believes no one', () => {
    const tls = renderNginxConf(site({ behindTlsProxy: true }), 'marker');
    expect(tls).not.toContain('set_real_ip_from');
    expect(tls).toContain('geo $realip_remote_addr $from_trusted_proxy {\n    default 0;\n}');
  });

  test('behind a plain proxy (an ingress controller), X-Forwarded-For from its addresses only, and the scheme nginx sees', () => {
    const proxied = renderNginxConf(site({ trustedProxies: ['10.244.0.0/16'] }), 'marker');
    expect(proxied).toContain('set_real_ip_from 10.244.0.0/16;\nreal_ip_header X-Forwarded-For;\nreal_ip_recursive on;');
    expect(proxied).not.toContain('$forwarded_proto');
    expect(location(proxied, '/')).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    // The per-client limits key on the address real_ip gives.
    expect(proxied).toContain('limit_conn_zone $binary_remote_addr zone=per_client:10m;');
    expect(conf).not.toContain('real_ip');
  });

  test('one JSON line per request, with the request id passed on to the app, and no query, cookie or header that may hold a secret', () => {
    const format = conf.split('\n').find((l) => l.startsWith('log_format json escape=json '))!;
    expect(conf).toContain('access_log /var/log/nginx/access.log json;');
    const fields = JSON.parse(format.replace(/^log_format json escape=json '/, '').replace(/';$/, '').replace(/\$\w+/g, '0'));
    expect(Object.keys(fields)).toEqual(['time', 'request_id', 'remote_addr', 'host', 'method', 'path', 'status', 'bytes', 'duration', 'upstream_duration', 'user_agent']);
    expect(format).toContain('"request_id":"$request_id"');
    for (const secret of ['$request"', '$request_uri', '$args', '$query_string', '$http_cookie', '$http_authorization', '$http_referer', '$cookie_']) {
      expect(format).not.toContain(secret);
    }
    expect(location(conf, '/')).toContain('proxy_set_header X-Request-ID $request_id;');
    // The main configuration writes no access log of its own: each request is logged once.
    expect(renderNginxMainConf({ workerConnections: 1024, workerProcesses: 1 }, 'm')).not.toContain('access_log');
  });

  test('a trusted proxy\'s X-Request-ID is kept when it is plausible; anyone else\'s is replaced', () => {
    const proxied = renderNginxConf(site({ trustedProxies: ['10.244.0.0/16'] }), 'marker');
    expect(proxied).toContain('geo $realip_remote_addr $from_trusted_proxy {\n    default 0;\n    10.244.0.0/16 1;\n}');
    expect(proxied).toContain('map $from_trusted_proxy:$http_x_request_id $trace_request_id {\n    default $request_id;\n' +
      '    "~^1:(?<proxy_request_id>[A-Za-z0-9._-]{1,128})$" $proxy_request_id;\n}');
    expect(location(proxied, '/')).toContain('proxy_set_header X-Request-ID $trace_request_id;');
    expect(proxied).toContain('"request_id":"$trace_request_id"');
    expect(conf).not.toContain('$http_x_request_id');
  });

  test('a path kept internal is refused to clients, itself and below it', () => {
    const internal = renderNginxConf(site().keepInternal('/metrics'), 'marker');
    expect(location(internal, '= /metrics')).toEqual(['location = /metrics {', 'return 404;']);
    expect(location(internal, '^~ /metrics/')).toEqual(['location ^~ /metrics/ {', 'return 404;']);
    expect(conf).not.toContain('/metrics');
  });

  test('trusted proxies: addresses or CIDR ranges, IPv4 or IPv6', () => {
    expect(site({ trustedProxies: ['10.244.0.0/16', '192.0.2.7', 'fd00::/8'] }).validate()).toEqual([]);
    expect(site({ trustedProxies: ['10.244.0.0/33', '300.1.1.1', 'pods'] }).validate().map((p) => p.field))
      .toEqual(['trustedProxies[0]', 'trustedProxies[1]', 'trustedProxies[2]']);
  });

  test('with server names, any other Host is closed by a default server', () => {
    const named = renderNginxConf(site({ serverNames: ['tau.example.com', '.example.org'] }), 'marker');
    expect(named).toContain('server {\n    listen 80 default_server;\n    server_name _;\n    return 444;\n}');
    expect(named).toContain('server_name tau.example.com .example.org;');
    expect(site({ serverNames: ['Bad_Host'] }).validate()).toEqual([expect.objectContaining({ field: 'serverNames[0]', value: 'Bad_Host' })]);
  });

  test('slow clients are cut off, logins are paced per client, uploads are downloads', () => {
    expect(conf).toMatch(/client_header_timeout 10s;\nclient_body_timeout 10s;\nsend_timeout 10s;/);
    expect(conf).toContain('limit_req_zone $login_client zone=logins:10m rate=10r/m;');
    expect(conf).toContain('/admin/login/ $binary_remote_addr;');
    expect(location(conf, '/')).toContain('limit_req zone=logins burst=10 nodelay;');
    expect(location(conf, '/media/')).toEqual(expect.arrayContaining(['default_type application/octet-stream;', 'add_header Content-Disposition "attachment" always;']));
  });
});

describe('NginxSite validation', () => {
  test('serving a volume nginx does not mount is a problem', () => {
    const s = site();
    s.serve(new ServedFiles('extra', { url: '/extra/', volume: Volume.named('extra') }));
    expect(s.validate()).toEqual([expect.objectContaining({ field: 'serve(extra).volume', value: 'extra' })]);
  });

  test('proxying to a service without a port is a problem', () => {
    const s = new NginxSite(new Service('nginx', { image: 'nginx:1.28-alpine', port: 80 })).proxyTo(new Service('w', { image: 'x:1' }));
    expect(s.validate()).toEqual([expect.objectContaining({ field: 'upstream', value: 'w' })]);
  });
});

describe('renderNginxMainConf', () => {
  test('the image\'s main configuration with room for more connections; a user to switch to only when the master runs as root', () => {
    const compose = renderNginxMainConf({ user: 'nginx', workerConnections: 4096, workerProcesses: 1 }, 'marker');
    expect(compose).toContain('user nginx;\n# One worker per CPU the container may use (its limit), not per CPU of the host, as `auto` would.\nworker_processes 1;\nworker_rlimit_nofile 8192;');
    expect(compose).toContain('worker_connections 4096;');
    expect(compose).toContain('include /etc/nginx/conf.d/*.conf;');
    expect(renderNginxMainConf({ workerConnections: 4096, workerProcesses: 1 }, 'marker')).not.toMatch(/^user /m);
  });

  test('as many workers as the container\'s CPU limit, never the host\'s CPUs', () => {
    expect([0.5, 1, 1.5, 2, 4].map(workersFor)).toEqual([1, 1, 2, 2, 4]);
    const files = synthFiles(TAU_4CPU);
    expect(files['nginx/nginx.conf']).toContain('worker_processes 4;');
    expect(files['nginx/nginx.conf']).not.toContain('worker_processes auto');
  });
});
