/**
 * Logins in progress that jit-sso keeps next to passport-azure-ad's own state/nonce tuples: the PKCE
 * `code_verifier` (passport-azure-ad has no PKCE) and `returnTo`, per provider, keyed by the random
 * key jit-sso puts into passport-azure-ad's custom state. A server-side session store keeps the
 * verifier secret.
 * @module
 */
import type { Request } from 'express';
import { pendingLogins } from '../internal/pending-logins.js';

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

export { MAX_PENDING, sessionOf } from '../internal/pending-logins.js';

const pending = pendingLogins<PendingAzureAdLogin, 'key'>(AZURE_AD_SESSION_KEY, 'key');

/** Remembers a login about to be sent to Entra; false when there is no session. */
export function rememberLogin(req: Request, provider: string, login: PendingAzureAdLogin, timeoutMs: number): boolean {
  return pending.remember(req, provider, login, timeoutMs);
}

/**
 * Takes (removes) the login whose key is `key`: each is good for one callback. `undefined` when this
 * session started no such login with this provider (a missing, wrong or replayed state).
 */
export function takeLogin(req: Request, provider: string, key: string): PendingAzureAdLogin | undefined {
  return pending.take(req, provider, key);
}
