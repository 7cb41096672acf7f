/**
 * Route guards: `requireAuth()` and `requireRole()`.
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { JitSsoError } from '../errors.js';
import { currentUser, getRequestContext } from './context.js';
import { pageFor, sendError, wantsJson } from './respond.js';

/** Options of {@link requireAuth}. */
export interface RequireAuthOptions {
  /** The provider pages are sent to for login. @default the first provider given to jitSso */
  provider?: string;
}

/**
 * Lets signed-in users through. Others get a 401 JSON body (API requests) or are redirected to the
 * login, coming back to the page they asked for.
 * @example
 * app.get('/me', requireAuth(), (req, res) => res.json(req.user));
 */
export function requireAuth(options: RequireAuthOptions = {}): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (currentUser(req)) return next();
    const context = getRequestContext(res);
    if (!context) return next(notMounted());
    if (wantsJson(req) || req.method !== 'GET') return sendError(req, res, pageFor('ERR_JIT_SSO_NOT_AUTHENTICATED'), context.hooks);
    const provider = encodeURIComponent(options.provider ?? context.defaultProvider);
    res.redirect(302, `${context.authPath}/${provider}/login?returnTo=${encodeURIComponent(req.originalUrl)}`);
  };
}

/**
 * Lets through signed-in users holding at least one of `roles` (whatever the assignment's source);
 * 401 when not signed in, 403 otherwise.
 * @example
 * app.use('/admin', requireRole('Admin'));
 */
export function requireRole(...roles: string[]): RequestHandler {
  if (roles.length === 0 || roles.some((r) => typeof r !== 'string' || r === '')) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: 'requireRole() needs at least one role name' });
  }
  return (req: Request, res: Response, next: NextFunction) => {
    const context = getRequestContext(res);
    if (!context) return next(notMounted());
    const user = currentUser(req);
    if (!user) return sendError(req, res, pageFor('ERR_JIT_SSO_NOT_AUTHENTICATED'), context.hooks);
    if (user.roles.some((assignment) => roles.includes(assignment.role))) return next();
    sendError(req, res, pageFor('ERR_JIT_SSO_FORBIDDEN'), context.hooks);
  };
}

function notMounted(): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
    message: 'requireAuth()/requireRole() need app.use(jitSso(...)) mounted before the route',
  });
}
