import { NginxSite, DEFAULT_CSP, GZIP_TYPES, SECURITY_HEADERS, TLS_CIPHERS } from './nginx-site';
import { ServedFiles } from './served-files';

function block(head: string, body: string[], indent = ''): string[] {
  return [`${indent}${head} {`, ...body.map((l) => (l === '' ? '' : `${indent}    ${l}`)), `${indent}}`];
}

/** The headers of every response; with HTTPS at nginx, HSTS too. */
function headersOf(site: NginxSite): (readonly [string, string])[] {
  return [...SECURITY_HEADERS, ...(site.https ? [['Strict-Transport-Security', site.https.hsts] as const] : [])];
}

function securityHeaders(site: NginxSite): string[] {
  return headersOf(site).map(([name, value]) => `add_header ${name} "${value}" always;`);
}

/**
 * Uploaded files are offered as downloads, never opened as a page: only these types keep their own
 * Content-Type (an <img> or a PDF viewer shows them); anything else (HTML, SVG, scripts) is
 * application/octet-stream.
 */
const UPLOAD_TYPES: readonly (readonly [string, string])[] = [
  ['image/png', 'png'], ['image/jpeg', 'jpg jpeg'], ['image/gif', 'gif'], ['image/webp', 'webp'], ['image/avif', 'avif'],
  ['application/pdf', 'pdf'], ['text/plain', 'txt'],
];

function servedLocation(site: NginxSite, files: ServedFiles): string[] {
  const alias = site.service.mountPathOf(files.volume)!;
  const maxAge = files.maxAgeSeconds;
  return block(`location ${files.url}`, [
    `alias ${alias}/;`,
    ...(maxAge !== undefined ? [`add_header Cache-Control "public, max-age=${maxAge}";`] : []),
    ...(files.userContent
      ? [
        '# Uploaded by users: never run as a page of this site. A few plain types keep their Content-Type;',
        '# everything else (HTML, SVG, scripts) is a download.',
        ...block('types', UPLOAD_TYPES.map(([type, extensions]) => `${type} ${extensions};`)),
        'default_type application/octet-stream;',
        'add_header Content-Disposition "attachment" always;',
        `add_header Content-Security-Policy "default-src 'none'; sandbox" always;`,
      ]
      : []),
    '# This block adds headers of its own, so it does not inherit the server\'s: repeat them.',
    ...securityHeaders(site),
  ]);
}

function variableName(service: string): string {
  return `$${service.replace(/[^A-Za-z0-9_]/g, '_')}_upstream`;
}

/** What every request passed to the app gets: the upstream looked up at run time, the timeouts, the forwarded headers. */
function proxyToApp(site: NginxSite): string[] {
  const upstream = site.upstream!;
  const name = upstream.name;
  const proto = site.behindTlsProxy ? '$forwarded_proto' : '$scheme';
  return [
    `# ${name}'s address is looked up when a request comes and the last answer is over ${site.resolveValidSeconds}s old, not once at`,
    '# start: a restarted or recreated container, or another replica, gets a new address. (A variable in',
    '# proxy_pass is what makes nginx resolve at run time; it keeps no idle connections to the app.)',
    `resolver ${site.resolver} valid=${site.resolveValidSeconds}s ipv6=off;`,
    `set ${variableName(name)} http://${name}:${upstream.port};`,
    `proxy_pass ${variableName(name)};`,
    `proxy_connect_timeout ${site.connectTimeoutSeconds}s;`,
    '# The longest a request may take; the app server\'s graceful stop waits as long.',
    `proxy_read_timeout ${site.readTimeout.toSeconds()}s;`,
    'proxy_http_version 1.1;',
    'proxy_set_header Host $http_host;',
    site.trustedProxies.length > 0
      ? '# The client\'s address: from the proxy\'s X-Forwarded-For (real_ip above), never from the client\'s own header.'
      : '# The client\'s address as nginx sees it, replacing any X-Forwarded-For the client sent.',
    'proxy_set_header X-Forwarded-For $remote_addr;',
    `proxy_set_header X-Forwarded-Proto ${proto};`,
    '# The request id of nginx\'s log line, for the app\'s (replacing any X-Request-ID a client sent).',
    `proxy_set_header X-Request-ID ${requestId(site)};`,
    'proxy_set_header Upgrade $http_upgrade;',
    'proxy_set_header Connection $connection_upgrade;',
    'proxy_redirect off;',
    '# Stream responses as the ASGI app sends them.',
    'proxy_buffering off;',
    '# The app sets these headers too; hide its copies so that each is sent once.',
    ...headersOf(site).map(([header]) => `proxy_hide_header ${header};`),
  ];
}

/**
 * The proxy in front (a TLS proxy, an ingress controller): from its addresses only, the client's address is
 * taken from X-Forwarded-For, so that the per-client limits count clients, not the proxy; behind a TLS proxy,
 * the scheme from X-Forwarded-Proto too.
 */
function trustedProxy(site: NginxSite): string[] {
  if (requestId(site) !== REQUEST_ID_VARIABLE) return [];
  return [
    '',
    ...(site.behindTlsProxy
      ? ['# TLS ends at the proxy in front. From its addresses only, the client\'s address is taken from',
        '# X-Forwarded-For and its scheme from X-Forwarded-Proto; a client that sends them itself is not believed.']
      : ['# A proxy in front. From its addresses only, the client\'s address is taken from X-Forwarded-For (the',
        '# per-client limits below then count each client, not the proxy); anyone else who sends it is not believed.']),
    ...site.trustedProxies.map((cidr) => `set_real_ip_from ${cidr};`),
    ...(site.trustedProxies.length > 0 ? ['real_ip_header X-Forwarded-For;', 'real_ip_recursive on;'] : []),
    // Whether the connection came from the proxy in front: its X-Forwarded-Proto and X-Request-ID are believed.
    ...block('geo $realip_remote_addr $from_trusted_proxy', ['default 0;', ...site.trustedProxies.map((cidr) => `${cidr} 1;`)]),
    ...(site.behindTlsProxy ? block('map $from_trusted_proxy:$http_x_forwarded_proto $forwarded_proto', ['default $scheme;', '"1:https" https;']) : []),
    '# The request id of the logs, passed on to the app: the proxy\'s X-Request-ID when it sent a plausible one,',
    '# else nginx\'s own.',
    ...block(`map $from_trusted_proxy:$http_x_request_id ${REQUEST_ID_VARIABLE}`, ['default $request_id;', '"~^1:(?<proxy_request_id>[A-Za-z0-9._-]{1,128})$" $proxy_request_id;']),
  ];
}

/** The request id nginx logs and passes on: its own `$request_id`, or a trusted proxy's (`trustedProxy`). */
export const REQUEST_ID_VARIABLE = '$trace_request_id';

function requestId(site: NginxSite): string {
  return site.trustedProxies.length > 0 || site.behindTlsProxy ? REQUEST_ID_VARIABLE : '$request_id';
}

/**
 * The access log: one JSON line per request (escape=json: a quote or a control character a client sends
 * cannot break the line). The path without its query string, and no header but the user agent: a query,
 * a cookie, a referrer or Authorization may carry a secret.
 */
function accessLog(site: NginxSite): string[] {
  const fields: [string, string][] = [
    ['time', '"$time_iso8601"'], ['request_id', `"${requestId(site)}"`], ['remote_addr', '"$remote_addr"'], ['host', '"$host"'],
    ['method', '"$request_method"'], ['path', '"$uri"'], ['status', '$status'], ['bytes', '$body_bytes_sent'],
    ['duration', '$request_time'], ['upstream_duration', '"$upstream_response_time"'], ['user_agent', '"$http_user_agent"'],
  ];
  return [
    '',
    '# One JSON line per request, with the request id the app logs too (X-Request-ID). No query string, cookie,',
    '# referrer or Authorization: any of them may carry a secret.',
    `log_format json escape=json '{${fields.map(([k, v]) => `"${k}":${v}`).join(',')}}';`,
    `access_log ${ACCESS_LOG} json;`,
  ];
}

/** Where nginx writes its access log: the official image links it to the container's output. */
export const ACCESS_LOG = '/var/log/nginx/access.log';

/** What a server of the site holds, on whichever port it listens: limits, gzip, headers, the served files and the app. */
function siteBody(site: NginxSite): string[] {
  const timeout = `${site.clientTimeout.toSeconds()}s`;
  return [
    `client_max_body_size ${site.maxUploadSize};`,
    `limit_conn per_client ${site.connectionsPerClient};`,
    `keepalive_timeout ${timeout};`,
    '',
    'gzip on;',
    'gzip_vary on;',
    'gzip_proxied any;',
    'gzip_comp_level 5;',
    'gzip_min_length 256;',
    `gzip_types ${GZIP_TYPES.join(' ')};`,
    '',
    '# Sent with every response. A block with add_header of its own inherits none of these.',
    ...securityHeaders(site),
    '',
    '# Dotfiles (.env, .git, ...) are never served, under any location; /.well-known/ (RFC 8615: ACME',
    '# challenges, security.txt) is not one of them.',
    ...block('location ~ /\\.(?!well-known/)', ['deny all;']),
    ...site.served.flatMap((files) => ['', ...servedLocation(site, files)]),
    ...site.internalPaths.flatMap((path) => ['',
      `# ${path} is for the stack itself (Prometheus reaches the app's metrics address directly), never for clients.`,
      ...block(`location = ${path}`, ['return 404;']),
      ...block(`location ^~ ${path}/`, ['return 404;'])]),
    '',
    ...block('location /', [
      `limit_req zone=logins burst=${site.loginsPerMinute} nodelay;`,
      ...proxyToApp(site),
      '# This block adds a header of its own, so it does not inherit the server\'s: repeat them.',
      ...securityHeaders(site),
      '# The site\'s Content-Security-Policy, unless the app sent one of its own (an empty value sends nothing).',
      'add_header Content-Security-Policy $app_csp always;',
    ]),
  ];
}

/**
 * The server names of the site, and the default server that answers nothing for any other name. Over TLS a
 * name the site does not serve is refused in the handshake; a client that gives one of the site's names in
 * the handshake (SNI) and another in its Host header reaches the default server too, and is closed the same.
 */
function serverNames(site: NginxSite, port: number, tls = false): { names: string; catchAll: string[] } {
  if (!site.serverNames) return { names: '_', catchAll: [] };
  return {
    names: site.serverNames.join(' '),
    catchAll: [
      '',
      ...(tls
        ? ['# A host name the site does not serve is refused in the TLS handshake; a request that names one of',
          '# the site\'s in the handshake and another in its Host header is closed without an answer.']
        : ['# A request for a host name the site does not serve is closed without an answer.']),
      ...block('server', [
        `listen ${port}${tls ? ' ssl' : ''} default_server;`,
        'server_name _;',
        ...(tls ? ['ssl_reject_handshake on;'] : []),
        'return 444;',
      ]),
    ],
  };
}

/** `nginx/default.conf`, included inside `http {}` as the official image includes `conf.d/*.conf`. */
export function renderNginxConf(site: NginxSite, marker: string): string {
  const port = site.service.port!;
  const timeout = `${site.clientTimeout.toSeconds()}s`;
  const temp = NginxSite.TEMP_ROOT;
  const https = site.https;
  const { names, catchAll } = serverNames(site, port);
  const lines: string[] = [
    `# ${marker}`,
    '# Included inside http {} by the official nginx image (/etc/nginx/conf.d/*.conf).',
    '',
    '# WebSocket upgrades (GraphQL subscriptions) pass Upgrade and Connection on; an ordinary request',
    '# sends an empty Connection header.',
    ...block('map $http_upgrade $connection_upgrade', ['default upgrade;', "''      '';"]),
    '',
    '# The app\'s pages get the site\'s Content-Security-Policy when the app sends none of its own: only the',
    '# site\'s own scripts run (an injected <script> does not), no plugins, no framing by other sites.',
    ...block('map $upstream_http_content_security_policy $app_csp', [`'' "${DEFAULT_CSP}";`, "default '';"]),
    ...trustedProxy(site),
    ...accessLog(site),
    '',
    '# No nginx version in any answer, error pages and the Server header included, from every server here.',
    'server_tokens off;',
    '',
    '# A client slower than this between two reads of its request, or two writes of the answer, is cut off',
    '# (and so is an idle keep-alive connection, in the site\'s server).',
    `client_header_timeout ${timeout};`,
    `client_body_timeout ${timeout};`,
    `send_timeout ${timeout};`,
    'reset_timedout_connection on;',
    '',
    '# Per client address: connections with a request in progress, and the pace of login attempts (each',
    '# costs the app a slow password hash; other paths have an empty key, which is not counted). Over the',
    '# limit, 429.',
    'limit_conn_zone $binary_remote_addr zone=per_client:10m;',
    ...block('map $uri $login_client', ['default "";', ...site.loginPaths.map((path) => `${path} $binary_remote_addr;`)]),
    `limit_req_zone $login_client zone=logins:10m rate=${site.loginsPerMinute}r/m;`,
    'limit_conn_status 429;',
    'limit_req_status 429;',
    '',
    `# Temporary files in ${temp}, the official image's place and a tmpfs in the read-only container`,
    '# (spelled out so that an nginx built with other paths uses it too).',
    ...[['client_body', 'client'], ['proxy', 'proxy'], ['fastcgi', 'fastcgi'], ['uwsgi', 'uwsgi'], ['scgi', 'scgi']]
      .map(([directive, dir]) => `${directive}_temp_path ${temp}/${dir}_temp;`),
    ...catchAll,
    '',
    ...(https
      ? [
        ...block('server', [
          `listen ${port};`,
          `server_name ${names};`,
          ...(https.challengeRoot
            ? ['', '# ACME HTTP-01 challenges, written by the ACME client; over plain HTTP, as the protocol wants.',
              ...block('location ^~ /.well-known/acme-challenge/', [`root ${https.challengeRoot};`, 'default_type text/plain;'])]
            : []),
          '',
          '# Everything else moves to HTTPS.',
          ...block('location /', [`return 301 https://$host${https.publicPort === 443 ? '' : `:${https.publicPort}`}$request_uri;`]),
        ]),
        '',
        ...httpsServers(site),
      ]
      : block('server', [`listen ${port};`, `server_name ${names};`, '', ...siteBody(site)])),
    '',
    '# nginx\'s own healthcheck, on a Unix socket in the container: nothing outside it can reach this server,',
    '# and its answer depends on nginx alone, not on the app behind it.',
    ...block('server', [
      `listen unix:${NginxSite.HEALTH_SOCKET};`,
      'access_log off;',
      ...block('location = /', ['default_type text/plain;', 'return 200 "ok\\n";']),
      ...block('location /', ['return 404;']),
    ]),
    ...(site.statusSocket ? [
      '',
      '# nginx\'s connection and request counts, for the exporter that shares this socket\'s volume: on no port,',
      '# so neither clients nor the other services can read them.',
      ...block('server', [
        `listen unix:${site.statusSocket};`,
        'access_log off;',
        ...block(`location = ${NginxSite.STATUS_PATH}`, ['stub_status;']),
        ...block('location /', ['return 404;']),
      ]),
    ] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The site over HTTPS, with current TLS settings. */
function httpsServers(site: NginxSite): string[] {
  const https = site.https!;
  const { names, catchAll } = serverNames(site, https.port, true);
  return [
    '# Mozilla\'s "intermediate" settings (ssl-config.mozilla.org): TLS 1.2 and 1.3, forward-secret AEAD',
    '# ciphers, the client\'s preference among them, sessions resumed from a shared cache, no session tickets',
    '# (their key would never rotate). No OCSP stapling: Let\'s Encrypt no longer runs OCSP.',
    'ssl_protocols TLSv1.2 TLSv1.3;',
    `ssl_ciphers ${TLS_CIPHERS.join(':')};`,
    'ssl_prefer_server_ciphers off;',
    'ssl_session_timeout 1d;',
    'ssl_session_cache shared:TLS:10m;',
    'ssl_session_tickets off;',
    '',
    '# The certificate is read at each full TLS handshake (a variable in ssl_certificate), not once at start:',
    '# nginx starts before the first ACME certificate exists (until then, handshakes fail and port 80 answers),',
    '# and serves a renewed or replaced certificate from the next handshake on, with no reload. (A reload',
    '# closes idle keep-alive connections, racing a client\'s next request on them.)',
    ...block('map $ssl_server_name $site_certificate', [`default ${https.certificate};`]),
    ...block('map $ssl_server_name $site_certificate_key', [`default ${https.key};`]),
    ...catchAll,
    '',
    ...block('server', [
      `listen ${https.port} ssl;`,
      `server_name ${names};`,
      'ssl_certificate $site_certificate;',
      'ssl_certificate_key $site_certificate_key;',
      '',
      ...siteBody(site),
    ]),
  ];
}
