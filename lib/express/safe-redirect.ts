/**
 * `returnTo` / `RelayState`: only ever a same-origin relative path.
 * @module
 */

const PROBE_ORIGIN = 'http://jit-sso.invalid';

/**
 * Returns `value` as a same-origin path (`/path?query#hash`), or `fallback` when it could lead
 * anywhere else: absolute and protocol-relative URLs (`//evil.example`), backslash tricks
 * (`/\evil.example`), control characters the URL parser drops (`/\t/evil.example`), dot segments
 * that normalise to `//` and over-long values.
 * @example
 * safeReturnTo('/reports?id=3', '/')     // '/reports?id=3'
 * safeReturnTo('https://evil.example', '/') // '/'
 */
export function safeReturnTo(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback;
  // eslint-disable-next-line no-control-regex
  if (!value.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PROBE_ORIGIN) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('//') || path.startsWith('/\\') ? fallback : path;
}
