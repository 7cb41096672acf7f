/**
 * What the jitSso middleware leaves on each request for the guards: where login lives and how
 * refusals are rendered.
 * @module
 */
import type { Request, Response } from 'express';
import type { StoredUser } from '../store/user-store.js';
import type { JitSsoHooks } from './respond.js';

/** The per-app facts the guards need. */
export interface RequestContext {
  /** The login URL prefix, e.g. `/auth` (including the path jitSso is mounted under). */
  authPath: string;
  /** The provider a guard sends people to when it does not name one. */
  defaultProvider: string;
  hooks: JitSsoHooks;
}

/**
 * The context rides on `res.locals`, Express's per-request slot, rather than in module state: the
 * ESM and the CommonJS build of jit-sso, both loaded in one process (a dual package), each have
 * their own modules, and a guard of one must see the requests the middleware of the other went
 * through. Nothing global is shared.
 */
type Locals = { jitSso?: RequestContext };

export function setRequestContext(res: Response, context: RequestContext): void {
  (res.locals as Locals).jitSso = context;
}

export function getRequestContext(res: Response): RequestContext | undefined {
  return (res.locals as Locals | undefined)?.jitSso;
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
