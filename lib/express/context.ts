/**
 * What the jitSso middleware leaves on each request for the guards: where login lives and how
 * refusals are rendered.
 * @module
 */
import type { Request } from 'express';
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

const CONTEXTS = Symbol.for('jit-sso.request-contexts.v1');

/**
 * Request → context, beside the request rather than on it: a property added to every `req` (a
 * symbol key in particular) turns V8's fast object into a slow one for the rest of the request.
 * Kept on `globalThis` under a registered symbol so that the ESM and the CommonJS build of
 * jit-sso, both loaded in one process, share it: a guard of one must see the requests that the
 * middleware of the other went through.
 */
const contexts: WeakMap<Request, RequestContext> = ((globalThis as unknown as Record<symbol, WeakMap<Request, RequestContext> | undefined>)[CONTEXTS] ??= new WeakMap());

export function setRequestContext(req: Request, context: RequestContext): void {
  contexts.set(req, context);
}

export function getRequestContext(req: Request): RequestContext | undefined {
  return contexts.get(req);
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
