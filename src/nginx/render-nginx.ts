import { NginxSite, GZIP_TYPES, SECURITY_HEADERS } from './nginx-site';
import { ServedFiles } from './served-files';

function block(head: string, body: string[], indent = ''): string[] {
  return [`${indent}${head} {`, ...body.map((l) => (l === '' ? '' : `${indent}    ${l}`)), `${indent}}`];
}

function securityHeaders(): string[] {
  return SECURITY_HEADERS.map(([name, value]) => `add_header ${name} "${value}" always;`);
}

function servedLocation(site: NginxSite, files: ServedFiles): string[] {
  const alias = site.service.mountPathOf(files.volume)!;
  const maxAge = files.maxAgeSeconds;
  return block(`location ${files.url}`, [
    `alias ${alias}/;`,
    ...(maxAge !== undefined ? [`add_header Cache-Control "public, max-age=${maxAge}";`] : []),
    ...(files.userContent
      ? ['# Uploaded by users: never run as a page of this site.', `add_header Content-Security-Policy "default-src 'none'; sandbox" always;`]
      : []),
    '# This block adds headers of its own, so it does not inherit the server\'s: repeat them.',
    ...securityHeaders(),
  ]);
}

/** `nginx/default.conf`, included inside `http {}` as the official image includes `conf.d/*.conf`. */
export function renderNginxConf(site: NginxSite, marker: string): string {
  const upstream = site.upstream!;
  const name = upstream.name;
  const proto = site.behindTlsProxy ? '$forwarded_proto' : '$scheme';
  const lines: string[] = [
    `# ${marker}`,
    '# Included inside http {} by the official nginx image (/etc/nginx/conf.d/*.conf).',
    '',
    '# WebSocket upgrades (GraphQL subscriptions) pass Upgrade and Connection on; an ordinary request',
    '# sends an empty Connection header.',
    ...block('map $http_upgrade $connection_upgrade', ['default upgrade;', "''      '';"]),
    ...(site.behindTlsProxy
      ? ['', '# TLS ends at the proxy in front, which says in X-Forwarded-Proto how the client connected.',
        ...block('map $http_x_forwarded_proto $forwarded_proto', ['default $http_x_forwarded_proto;', "''      $scheme;"])]
      : []),
    '',
    ...block('server', [
      `listen ${site.service.port};`,
      'server_name _;',
      '',
      'server_tokens off;',
      `client_max_body_size ${site.maxUploadSize};`,
      '',
      'gzip on;',
      'gzip_vary on;',
      'gzip_proxied any;',
      'gzip_comp_level 5;',
      'gzip_min_length 256;',
      `gzip_types ${GZIP_TYPES.join(' ')};`,
      '',
      '# Sent with every response. A block with add_header of its own inherits none of these.',
      ...securityHeaders(),
      '',
      '# Dotfiles (.env, .git, ...) are never served, under any location.',
      ...block('location ~ /\\.', ['deny all;']),
      ...site.served.flatMap((files) => ['', ...servedLocation(site, files)]),
      '',
      ...block('location /', [
        `# ${name}'s address is looked up when a request comes and the last answer is over ${site.resolveValidSeconds}s old, not once at`,
        '# start: a restarted or recreated container, or another replica, gets a new address. (A variable in',
        '# proxy_pass is what makes nginx resolve at run time; it keeps no idle connections to the app.)',
        `resolver ${site.resolver} valid=${site.resolveValidSeconds}s ipv6=off;`,
        `set $${name.replace(/[^A-Za-z0-9_]/g, '_')}_upstream http://${name}:${upstream.port};`,
        `proxy_pass $${name.replace(/[^A-Za-z0-9_]/g, '_')}_upstream;`,
        `proxy_connect_timeout ${site.connectTimeoutSeconds}s;`,
        '# The longest a request may take; the app server\'s graceful stop waits as long.',
        `proxy_read_timeout ${site.readTimeout.toSeconds()}s;`,
        'proxy_http_version 1.1;',
        'proxy_set_header Host $http_host;',
        'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
        `proxy_set_header X-Forwarded-Proto ${proto};`,
        'proxy_set_header Upgrade $http_upgrade;',
        'proxy_set_header Connection $connection_upgrade;',
        'proxy_redirect off;',
        '# Stream responses as the ASGI app sends them.',
        'proxy_buffering off;',
        '# The app sets these headers too; hide its copies so that each is sent once.',
        ...SECURITY_HEADERS.map(([header]) => `proxy_hide_header ${header};`),
      ]),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}
