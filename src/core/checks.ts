import { Problem } from './problem';

/**
 * Small field checks shared by the model objects. Each returns the problems it finds (empty when the
 * value is fine) so that callers can collect every problem before reporting.
 */

export const PORT_RANGE = 'a port is a whole number from 1 to 65535';

export function checkPort(component: string, field: string, port: number | undefined): Problem[] {
  if (port === undefined) return [];
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [{ component, field, value: port, allowed: PORT_RANGE }];
}

export function checkPattern(component: string, field: string, value: string, pattern: RegExp, allowed: string): Problem[] {
  return pattern.test(value) ? [] : [{ component, field, value, allowed }];
}

/** An absolute container path without `..`, trailing slash or doubled slashes. */
export function checkContainerPath(component: string, field: string, path: string): Problem[] {
  const ok = /^\/([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/.test(path) && !path.split('/').includes('..');
  return ok ? [] : [{ component, field, value: path, allowed: 'an absolute path such as /app/staticfiles (letters, digits, ".", "_", "-"; no trailing "/")' }];
}

/** A duration as compose and nginx both read it: `90s`, `5m`, `1h`. */
export const DURATION = /^[1-9][0-9]*(ms|s|m|h)$/;

export function checkDuration(component: string, field: string, value: string | undefined): Problem[] {
  if (value === undefined) return [];
  return checkPattern(component, field, value, DURATION, 'a duration such as 500ms, 30s, 5m or 1h');
}

/** True when one path is the other or lies inside it (`/a` and `/a/b`). */
export function pathsOverlap(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x === y || x.startsWith(y.endsWith('/') ? y : `${y}/`);
  return inside(a, b) || inside(b, a);
}

/**
 * A one-line description for the docs: a line break or a backtick would break the Markdown and the
 * diagram it is written into.
 */
export function checkDescription(component: string, field: string, value: string | undefined): Problem[] {
  if (value === undefined) return [];
  return /^[^\r\n`\0-\x1f]*$/.test(value) && value.length <= 200 ? []
    : [{ component, field, value, allowed: 'one line of at most 200 characters, without backticks or control characters' }];
}

/**
 * An IPv4 or IPv6 address range in CIDR notation, `10.244.0.0/16` or `fd00::/8`; with `prefix: 'optional'` a
 * single address too (nginx's `set_real_ip_from` takes both; a NetworkPolicy's ipBlock only a range).
 */
export function isCidr(value: unknown, prefix: 'required' | 'optional' = 'required'): boolean {
  if (typeof value !== 'string') return false;
  const [address, bits, ...rest] = value.split('/');
  if (rest.length > 0 || (bits === undefined && prefix === 'required')) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  const v6 = !v4 && /^[0-9a-f:]+$/i.test(address) && address.includes(':') && (address.match(/::/g) ?? []).length <= 1;
  if (!v4 && !v6) return false;
  if (v4 && v4.slice(1).some((octet) => Number(octet) > 255)) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128));
}
