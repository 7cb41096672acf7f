/**
 * Logins in progress, kept in the person's session between the redirect to the IdP and the
 * callback: `state`, `nonce`, the PKCE `code_verifier` and `returnTo`, per provider, keyed by state.
 * A server-side session store keeps the verifier secret (a cookie-only session would not).
 * @module
 */
import type { Request } from 'express';

/** One authorization request this app sent and has not seen come back. */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Already checked with `safeReturnTo` by the router; checked again at the callback. */
  returnTo: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

/** The session key; one list per provider id under it. */
export const PENDING_SESSION_KEY = 'jitSsoOidc';

/** At most this many logins in progress per provider and session (a few tabs); the oldest goes first. */
const MAX_PENDING = 5;

type Session = Record<string, unknown>;

function sessionOf(req: Request): Session | undefined {
  const session = (req as unknown as { session?: unknown }).session;
  return typeof session === 'object' && session !== null ? (session as Session) : undefined;
}

function listOf(session: Session, provider: string): PendingLogin[] {
  const all = session[PENDING_SESSION_KEY];
  const list = typeof all === 'object' && all !== null && Object.hasOwn(all, provider) ? (all as Record<string, unknown>)[provider] : undefined;
  return Array.isArray(list) ? (list as PendingLogin[]) : [];
}

function store(session: Session, provider: string, list: PendingLogin[]): void {
  const all = typeof session[PENDING_SESSION_KEY] === 'object' && session[PENDING_SESSION_KEY] !== null ? { ...(session[PENDING_SESSION_KEY] as Record<string, unknown>) } : {};
  if (list.length) all[provider] = list;
  else delete all[provider];
  if (Object.keys(all).length) session[PENDING_SESSION_KEY] = all;
  else delete session[PENDING_SESSION_KEY];
}

/** Remembers a login about to be sent to the IdP; false when there is no session. */
export function rememberLogin(req: Request, provider: string, login: PendingLogin, timeoutMs: number): boolean {
  const session = sessionOf(req);
  if (!session) return false;
  const live = listOf(session, provider).filter((p) => login.startedAt - p.startedAt < timeoutMs);
  store(session, provider, [...live, login].slice(-MAX_PENDING));
  return true;
}

/**
 * Takes (removes) the login whose state is `state`: each state is good for one callback. `undefined`
 * when this session started no such login with this provider (a missing, wrong or replayed state, or
 * a state another provider issued).
 */
export function takeLogin(req: Request, provider: string, state: string): PendingLogin | undefined {
  const session = sessionOf(req);
  if (!session) return undefined;
  const list = listOf(session, provider);
  const index = list.findIndex((p) => typeof p?.state === 'string' && p.state === state);
  if (index < 0) return undefined;
  const [login] = list.splice(index, 1);
  store(session, provider, list);
  return login;
}
