/**
 * Binds a SAML exchange this app starts (an AuthnRequest, a LogoutRequest) to the browser that
 * started it, so that the answer is accepted only from that browser and only once.
 *
 * A request id in a shared cache proves that *some* browser started a login, not *this* one: an
 * attacker's own signed response, auto-posted from a victim's browser, would sign the victim in as
 * the attacker (login CSRF) and land on a path the attacker picked. So each exchange is kept
 * server-side under an opaque handle that travels as RelayState, together with the request id, the
 * `returnTo` and a hash of a random per-browser secret held in an HttpOnly cookie. The answer must
 * bring back the handle, from a browser holding that cookie, answering that request id; the entry is
 * taken (single use). The cache is the provider's request cache, so this works across instances
 * when that cache is shared (Redis).
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-bindings-2.0-os.pdf (3.4.3 RelayState)
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { Request, Response } from 'express';
import type { SsoCache } from '../../cache/sso-cache.js';

/** What a started exchange is. */
export const EXCHANGE_KINDS = ['login', 'logout'] as const;
/** A kind in {@link EXCHANGE_KINDS}. */
export type ExchangeKind = (typeof EXCHANGE_KINDS)[number];

/** An exchange the browser started, as kept server-side. */
export interface BoundExchange {
  /** The id of the AuthnRequest or LogoutRequest; the answer's `InResponseTo` must equal it. */
  requestId: string;
  /** Where to go once the exchange ends (already a safe, same-origin path). */
  returnTo: string;
}

/**
 * The cookie names: `__Host-` over HTTPS (the browser then refuses it from a sibling subdomain or
 * without Secure, so it cannot be planted); a plain name over HTTP, which only development uses.
 */
const SECURE_COOKIE = '__Host-jit-sso-saml';
const PLAIN_COOKIE = 'jit-sso-saml';
/** 32 random bytes, base64url. */
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export interface BrowserBindingOptions {
  cache: SsoCache;
  provider: string;
  /** How long a started exchange may take. */
  ttlMs: number;
}

/** The two halves of the binding: {@link BrowserBinding.bind} at the start, {@link BrowserBinding.take} at the answer. */
export interface BrowserBinding {
  /**
   * Keeps `exchange` for this browser (setting its cookie when it has none) and returns the opaque
   * handle to send as RelayState. Pass `handle` (from {@link newHandle}) when the RelayState must be
   * in the message before the message's request id is known: a signed redirect-binding query covers
   * the RelayState, so it cannot be appended after node-saml has built and signed the URL.
   */
  bind(req: Request, res: Response, kind: ExchangeKind, exchange: BoundExchange, handle?: string): Promise<string>;
  /**
   * Takes the exchange `relayState` names, if this browser started it: `undefined` for an unknown,
   * expired, already used or foreign handle, or a browser without the cookie. Single use either way.
   */
  take(req: Request, kind: ExchangeKind, relayState: unknown): Promise<BoundExchange | undefined>;
}

export function browserBinding({ cache, provider, ttlMs }: BrowserBindingOptions): BrowserBinding {
  const key = (kind: ExchangeKind, handle: string) => `saml-${kind}:${provider}:${handle}`;
  return {
    async bind(req, res, kind, exchange, handle = newHandle()) {
      if (!SECRET.test(handle)) throw new TypeError('a handle comes from newHandle()');
      // The same secret for every exchange of this browser (two tabs may log in at once); its
      // cookie is set again so that it lives as long as the newest exchange.
      const secret = browserSecret(req) ?? randomBytes(32).toString('base64url');
      setBrowserSecret(req, res, secret, ttlMs);
      const value = JSON.stringify({ requestId: exchange.requestId, returnTo: exchange.returnTo, browser: hash(secret) });
      // A fresh 256-bit handle does not collide; a full cache reports itself by throwing. A handle
      // already in use (one passed twice) must not leave the browser holding someone else's entry.
      if (!(await cache.add(key(kind, handle), value, ttlMs))) throw new TypeError('a handle is bound once');
      return handle;
    },
    async take(req, kind, relayState) {
      if (typeof relayState !== 'string' || !SECRET.test(relayState)) return undefined;
      const stored = await cache.take(key(kind, relayState));
      const secret = browserSecret(req);
      if (stored === null || secret === undefined) return undefined;
      const entry = JSON.parse(stored) as BoundExchange & { browser: string };
      if (!sameText(entry.browser, hash(secret))) return undefined;
      return { requestId: entry.requestId, returnTo: entry.returnTo };
    },
  };
}

/** A fresh opaque handle (256 random bits, base64url) for {@link BrowserBinding.bind}. */
export function newHandle(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The `ID` of the AuthnRequest or LogoutRequest in a redirect-binding URL that node-saml has just
 * built for this app (its own output, so read without further checks).
 */
export function requestIdOf(url: string): string {
  const message = new URL(url).searchParams.get('SAMLRequest') ?? '';
  const xml = inflateRawSync(Buffer.from(message, 'base64')).toString('utf8');
  const id = /^<[^>]*?\sID="([^"]+)"/.exec(xml.replace(/^<\?xml[^>]*\?>\s*/, ''))?.[1];
  if (!id) throw new TypeError('node-saml built a request without an ID');
  return id;
}

function browserSecret(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const name = cookieName(req);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return SECRET.test(value) ? value : undefined;
    }
  }
  return undefined;
}

function setBrowserSecret(req: Request, res: Response, secret: string, ttlMs: number): void {
  // SameSite=None: the IdP's answer is a cross-site POST. Browsers take SameSite=None only with
  // Secure, so plain HTTP (development on localhost, where the IdP is same-site) uses Lax.
  res.cookie(cookieName(req), secret, {
    httpOnly: true,
    path: '/',
    maxAge: ttlMs,
    ...(req.secure ? { secure: true, sameSite: 'none' as const } : { sameSite: 'lax' as const }),
  });
}

function cookieName(req: Request): string {
  return req.secure ? SECURE_COOKIE : PLAIN_COOKIE;
}

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
