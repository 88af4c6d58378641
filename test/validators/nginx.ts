import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, posix } from 'path';
import { requireTool, run } from './tools';

/**
 * `nginx -t` on a site config, included the way the official image includes `conf.d/default.conf`, under the
 * image's main configuration or the stack's own (`mainConf`).
 * It runs in a private mount namespace whose own /etc/hosts resolves the upstream host names and whose
 * own /etc/nginx (a copy of the machine's, with conf.d holding the file) is bound over the machine's: the
 * machine's /etc/hosts and nginx setup are never touched.
 */
export function nginxTest(siteConf: string, hostNames: readonly string[], mainConf?: string): string[] {
  requireTool('nginx');
  requireTool('unshare');
  const dir = mkdtempSync(join(tmpdir(), 'tau-nginx-t-'));
  try {
    // The official image's main config. A test run has no nginx user (the master's own user serves), the pid
    // goes here, and access logging is off: /dev/stdout cannot be opened when it is a socket.
    // (`mainConf`: the stack's own main configuration instead of the image's.)
    const main = (mainConf ?? readFileSync(join(__dirname, '..', 'lib', 'nginx-official.conf'), 'utf-8'))
      .replace(/^user .*\n/m, '')
      .replace(/^(\s*)access_log .*$/m, '$1access_log off;')
      .replace(/^error_log .*$/m, 'error_log stderr notice;')
      .replace(/^pid .*$/m, `pid ${dir}/nginx.pid;`);
    writeFileSync(join(dir, 'nginx.conf'), main);
    writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost ${hostNames.join(' ')}\n`);
    const etc = join(dir, 'etc-nginx');
    const script = [
      'set -e',
      `mount --bind ${dir}/hosts /etc/hosts`,
      `cp -a /etc/nginx ${etc}`,
      `rm -rf ${etc}/conf.d ${etc}/sites-enabled && mkdir -p ${etc}/conf.d`,
      `cp ${dir}/site.conf ${etc}/conf.d/default.conf`,
    ];
    writeFileSync(join(dir, 'site.conf'), siteConf);
    script.push(
      `mount --bind ${etc} /etc/nginx`,
      // The container's tmpfs for nginx's temporary files (the compose file's), here over /var/cache in this namespace only.
      'mount -t tmpfs tmpfs /var/cache',
      'mkdir -p /var/cache/nginx',
      // The container's /var/run is a tmpfs too, and a volume holds a socket's directory (the status page's):
      // here a tmpfs over /run in this namespace, with each Unix socket's directory made in it.
      'mount -t tmpfs tmpfs /run',
      ...[...new Set([...siteConf.matchAll(/^\s*listen unix:(\S+);/gm)].map((m) => posix.dirname(m[1])))].map((d) => `mkdir -p ${d}`),
      `exec nginx -t -q -e stderr -c ${dir}/nginx.conf`,
    );
    const result = run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script.join('\n')]);
    return result.code === 0 && !/\[(warn|emerg|error)\]/.test(result.stderr) ? [] : [`nginx -t: ${result.stderr.trim() || `exit ${result.code}`}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
