/**
 * What the jitSso middleware leaves on each request for the guards: where login lives and how
 * refusals are rendered.
 * @module
 */
import type { Request } from 'express';
import type { StoredUser } from '../store/user-store.js';
import type { JitSsoHooks } from './respond.js';

const CONTEXT = Symbol.for('jit-sso.context');

/** The per-app facts the guards need. */
export interface RequestContext {
  /** The login URL prefix, e.g. `/auth` (including the path jitSso is mounted under). */
  authPath: string;
  /** The provider a guard sends people to when it does not name one. */
  defaultProvider: string;
  hooks: JitSsoHooks;
}

export function setRequestContext(req: Request, context: RequestContext): void {
  Object.defineProperty(req, CONTEXT, { value: context, enumerable: false, configurable: true });
}

export function getRequestContext(req: Request): RequestContext | undefined {
  return (req as unknown as Record<symbol, RequestContext | undefined>)[CONTEXT];
}

/**
 * The signed-in user of a request, as the store returned it (with its role assignments), or
 * `undefined`.
 * @example
 * app.get('/me', requireAuth(), (req, res) => res.json(currentUser(req)));
 */
export function currentUser(req: Request): StoredUser | undefined {
  const user = (req as { user?: unknown }).user;
  return typeof user === 'object' && user !== null && 'id' in user && 'roles' in user ? (user as StoredUser) : undefined;
}
