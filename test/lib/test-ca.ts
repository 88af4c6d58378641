import { execFileSync } from 'child_process';
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';

/**
 * Certificates for tests, made with openssl: a CA, and server certificates it signs for a host name, as a
 * database provider's would be. EC P-256, valid two days: long enough for any run, useless after.
 */

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** A CA: `<path>` (its certificate, PEM) and `<path>.key`. */
export function makeCa(path: string, name = 'Test database CA'): { cert: string; key: string } {
  mkdirSync(dirname(path), { recursive: true });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', `${path}.key`, '-out', path);
  return { cert: path, key: `${path}.key` };
}

/** A server certificate for `host`, signed by `ca`: `<path>` and `<path>.key`. */
export function makeServerCertificate(path: string, ca: { cert: string; key: string }, host: string): { cert: string; key: string } {
  mkdirSync(dirname(path), { recursive: true });
  const ext = `${path}.ext`;
  writeFileSync(ext, `subjectAltName=DNS:${host}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${host}`, '-keyout', `${path}.key`, '-out', `${path}.csr`);
  openssl('x509', '-req', '-in', `${path}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', String(Date.now()), '-days', '2', '-extfile', ext, '-out', path);
  rmSync(ext);
  rmSync(`${path}.csr`);
  return { cert: path, key: `${path}.key` };
}

/** A CA certificate at `<dir>/<caFile>`, for a stack with `postgres.external.caFile` to synthesize. */
export function writeTestCa(dir: string, caFile: string): void {
  makeCa(join(dir, caFile));
}
