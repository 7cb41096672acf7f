/**
 * Logins in progress, kept in the person's session between the redirect to the IdP and the
 * callback: `state`, `nonce`, the PKCE `code_verifier` and `returnTo`, per provider, keyed by state.
 * A server-side session store keeps the verifier secret (a cookie-only session would not).
 * @module
 */
import type { Request } from 'express';
import { pendingLogins } from '../../internal/pending-logins.js';

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

const pending = pendingLogins<PendingLogin, 'state'>(PENDING_SESSION_KEY, 'state');

/** Remembers a login about to be sent to the IdP; false when there is no session. */
export function rememberLogin(req: Request, provider: string, login: PendingLogin, timeoutMs: number): boolean {
  return pending.remember(req, provider, login, timeoutMs);
}

/**
 * Takes (removes) the login whose state is `state`: each state is good for one callback. `undefined`
 * when this session started no such login with this provider (a missing, wrong or replayed state, or
 * a state another provider issued).
 */
export function takeLogin(req: Request, provider: string, state: string): PendingLogin | undefined {
  return pending.take(req, provider, state);
}
