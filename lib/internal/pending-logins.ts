/**
 * Logins in progress, kept in the person's session between the redirect to the IdP and the
 * callback, per provider, each found by a random key and usable once. A server-side session store
 * keeps what they hold (a PKCE verifier) secret; a cookie-only session would not.
 * @module
 */
import type { Request } from 'express';

/** At most this many logins in progress per provider and session (a few tabs); the oldest goes first. */
export const MAX_PENDING = 5;

type Session = Record<string, unknown>;

/** The request's session object, or `undefined` when express-session is not mounted. */
export function sessionOf(req: Request): Session | undefined {
  const session = (req as unknown as { session?: unknown }).session;
  return typeof session === 'object' && session !== null ? (session as Session) : undefined;
}

/** The pending logins of one kind, stored under `sessionKey`, one list per provider, found by `keyField`. */
export function pendingLogins<T extends { startedAt: number }, K extends keyof T & string>(sessionKey: string, keyField: K) {
  function listOf(session: Session, provider: string): T[] {
    const all = session[sessionKey];
    const list = typeof all === 'object' && all !== null && Object.hasOwn(all, provider) ? (all as Record<string, unknown>)[provider] : undefined;
    return Array.isArray(list) ? (list as T[]) : [];
  }

  function store(session: Session, provider: string, list: T[]): void {
    const current = session[sessionKey];
    const all: Record<string, unknown> = typeof current === 'object' && current !== null ? { ...(current as Record<string, unknown>) } : {};
    if (list.length) all[provider] = list;
    else delete all[provider];
    if (Object.keys(all).length) session[sessionKey] = all;
    else delete session[sessionKey];
  }

  return {
    /** Remembers a login about to be sent to the IdP; `false` when there is no session. */
    remember(req: Request, provider: string, login: T, timeoutMs: number): boolean {
      const session = sessionOf(req);
      if (!session) return false;
      const live = listOf(session, provider).filter((p) => login.startedAt - p.startedAt < timeoutMs);
      store(session, provider, [...live, login].slice(-MAX_PENDING));
      return true;
    },
    /**
     * Takes (removes) the login whose key is `key`. `undefined` when this session started no such
     * login with this provider (a missing, wrong or replayed key, or one another provider issued).
     */
    take(req: Request, provider: string, key: string): T | undefined {
      const session = sessionOf(req);
      if (!session) return undefined;
      const list = listOf(session, provider);
      const index = list.findIndex((p) => typeof p?.[keyField] === 'string' && p[keyField] === key);
      if (index < 0) return undefined;
      const [login] = list.splice(index, 1);
      store(session, provider, list);
      return login;
    },
  };
}

const RETURN_TO = Symbol('jit-sso.boundReturnTo');

/** Attaches to the request the `returnTo` a callback's state was bound to, once the state matched. */
export function bindReturnTo(req: Request, returnTo: string): void {
  Object.defineProperty(req, RETURN_TO, { value: returnTo, configurable: true });
}

/** The `returnTo` the callback's state was bound to (set on the request once the state matched). */
export function boundReturnTo(req: Request): string | undefined {
  const value = (req as unknown as Record<symbol, unknown>)[RETURN_TO];
  return typeof value === 'string' ? value : undefined;
}
