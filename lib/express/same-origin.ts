/**
 * Cross-site request refusal for state-changing routes the app's own pages call (the local logout):
 * a page on another site must not be able to sign people out by posting a form to it.
 * @see https://fetch.spec.whatwg.org/#origin-header
 * @see https://w3c.github.io/webappsec-fetch-metadata/#sec-fetch-site-header
 * @module
 */
import type { Request } from 'express';

/**
 * Why `req` must be refused as cross-site, or `undefined` when it may go on.
 *
 * - `Sec-Fetch-Site` (sent by current browsers over HTTPS and to localhost; a page cannot set it):
 *   `same-origin` and `none` (typed by the person) go on, whatever the proxy in front says the
 *   origin is; `cross-site` and `same-site` (a sibling subdomain is another origin) are refused.
 * - Otherwise `Origin` (sent by browsers with every POST): it must be this app's origin, from
 *   `req.protocol` and the host as Express reads them, so behind a proxy set `app.set('trust proxy', …)`
 *   to have `X-Forwarded-Proto` / `X-Forwarded-Host` honoured. `Origin: null` (a sandboxed frame, a
 *   redirect from another origin) is refused.
 * - Neither header (curl, scripts, very old browsers): goes on — no browser a cross-site page could
 *   drive sends a POST without one of them.
 */
export function crossSiteReason(req: Request): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return undefined;
  if (site !== undefined) return `Sec-Fetch-Site is ${boundHeader(site)}`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (origin.toLowerCase() !== appOrigin(req)) return `Origin ${boundHeader(origin)} is not this app's origin`;
  return undefined;
}

/** This app's origin as the request reached it: scheme and host (with port), proxy headers honoured only under `trust proxy`. */
export function appOrigin(req: Request): string {
  return `${req.protocol}://${hostOf(req)}`;
}

/**
 * The Host the browser used, port included. Express 5's `req.host` is this, but Express 4's drops the
 * port, so it is read the way both read it: `X-Forwarded-Host` (its first value) when the proxy is
 * trusted, else `Host`.
 */
function hostOf(req: Request): string {
  const trust = req.app.get('trust proxy fn') as ((addr: string | undefined, i: number) => boolean) | undefined;
  const forwarded = req.get('X-Forwarded-Host');
  const host = forwarded && trust?.(req.socket.remoteAddress, 0) ? forwarded.split(',')[0]!.trim() : req.get('Host');
  return (host ?? '').toLowerCase();
}

function boundHeader(value: string | string[]): string {
  return JSON.stringify(String(value).slice(0, 200));
}
