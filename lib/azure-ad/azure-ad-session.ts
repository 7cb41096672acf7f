/**
 * Logins in progress that jit-sso keeps next to passport-azure-ad's own state/nonce tuples: the PKCE
 * `code_verifier` (passport-azure-ad has no PKCE) and `returnTo`, per provider, keyed by the random
 * key jit-sso puts into passport-azure-ad's custom state. A server-side session store keeps the
 * verifier secret.
 * @module
 */
import type { Request } from 'express';

/** One authorization request this app sent and has not seen come back. */
export interface PendingAzureAdLogin {
  /** The random key carried at the end of the `state` parameter. */
  key: string;
  codeVerifier: string;
  /** Already checked with `safeReturnTo` by the router; checked again at the callback. */
  returnTo: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

/** The session key; one list per provider id under it. */
export const AZURE_AD_SESSION_KEY = 'jitSsoAzureAd';

/** passport-azure-ad's session key for its state/nonce tuples of provider `id`. */
export const strategySessionKey = (id: string) => `jitSsoAzureAdState:${id}`;

/** At most this many logins in progress per provider and session (a few tabs); the oldest goes first. */
export const MAX_PENDING = 5;

type Session = Record<string, unknown>;

/** The request's session object, or `undefined` when express-session is not mounted. */
export function sessionOf(req: Request): Session | undefined {
  const session = (req as unknown as { session?: unknown }).session;
  return typeof session === 'object' && session !== null ? (session as Session) : undefined;
}

function listOf(session: Session, provider: string): PendingAzureAdLogin[] {
  const all = session[AZURE_AD_SESSION_KEY];
  const list = typeof all === 'object' && all !== null && Object.hasOwn(all, provider) ? (all as Record<string, unknown>)[provider] : undefined;
  return Array.isArray(list) ? (list as PendingAzureAdLogin[]) : [];
}

function store(session: Session, provider: string, list: PendingAzureAdLogin[]): void {
  const current = session[AZURE_AD_SESSION_KEY];
  const all: Record<string, unknown> = typeof current === 'object' && current !== null ? { ...(current as Record<string, unknown>) } : {};
  if (list.length) all[provider] = list;
  else delete all[provider];
  if (Object.keys(all).length) session[AZURE_AD_SESSION_KEY] = all;
  else delete session[AZURE_AD_SESSION_KEY];
}

/** Remembers a login about to be sent to Entra; false when there is no session. */
export function rememberLogin(req: Request, provider: string, login: PendingAzureAdLogin, timeoutMs: number): boolean {
  const session = sessionOf(req);
  if (!session) return false;
  const live = listOf(session, provider).filter((p) => login.startedAt - p.startedAt < timeoutMs);
  store(session, provider, [...live, login].slice(-MAX_PENDING));
  return true;
}

/**
 * Takes (removes) the login whose key is `key`: each is good for one callback. `undefined` when this
 * session started no such login with this provider (a missing, wrong or replayed state).
 */
export function takeLogin(req: Request, provider: string, key: string): PendingAzureAdLogin | undefined {
  const session = sessionOf(req);
  if (!session) return undefined;
  const list = listOf(session, provider);
  const index = list.findIndex((p) => typeof p?.key === 'string' && p.key === key);
  if (index < 0) return undefined;
  const [login] = list.splice(index, 1);
  store(session, provider, list);
  return login;
}
