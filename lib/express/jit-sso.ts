/**
 * `jitSso()`: the Express middleware that mounts login, callback, metadata and logout routes for
 * every provider, restores the signed-in user on each request, and maps every outcome to HTTP.
 * @module
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { LRUCache } from 'lru-cache';
import passport from 'passport';
import { JitSsoError, isJitSsoError } from '../errors.js';
import { consoleLogger } from '../internal/logger.js';
import { auditRecorder, describeError } from '../provisioning/audit.js';
import { jitProvision, type JitProvisioner } from '../provisioning/jit-provision.js';
import { resolvePolicy } from '../provisioning/policy.js';
import type { StoredUser } from '../store/user-store.js';
import { authRoutes, type MountedProvider } from './auth-routes.js';
import { setRequestContext, type RequestContext } from './context.js';
import { resolveJitSsoOptions, type JitSsoOptions } from './jit-sso-options.js';
import { loginSessionOf } from './login-session.js';
import { pageForError, sendError } from './respond.js';

export type { JitSsoOptions } from './jit-sso-options.js';

/**
 * A cheap test that `url` may lie under `base` (a validated path: letters, digits and `/_.~-`);
 * the Router mounted there has the last word. Express matches mount paths case-insensitively, and
 * an absolute-form target (`http://host/…`) is left to the Router too.
 */
function mayBeUnder(base: string): (url: string) => boolean {
  if (base === '') return () => true;
  const prefix = new RegExp(`^(?:${base.replaceAll('.', '\\.')}|[^/])`, 'i');
  return (url) => prefix.test(url);
}

/** The middleware `jitSso()` returns: an Express Router with a few handles for the app. */
export interface JitSsoMiddleware extends Router {
  /** The verify callback of each provider, by id (e.g. for `provision()` in scripts and tests). */
  readonly provisioners: ReadonlyMap<string, JitProvisioner>;
  /** Forgets a cached signed-in user, so the next request reads the store (after an admin change). */
  invalidateUser(userId: string): void;
}

/**
 * Single sign-on with just-in-time provisioning for an Express 4.21+ or 5 app. Mount it after
 * `express-session`; it uses its own Passport instance for its strategies and keeps the signed-in
 * user in its own session record (`req.session.jitSso`), so an app's own passport is left alone.
 *
 * @example
 * app.use(session({ secret, resave: false, saveUninitialized: false }));
 * app.use(jitSso({ store, providers: [samlProvider({ ... })], provisioning: { createUsers: true } }));
 * app.get('/me', requireAuth(), (req, res) => res.json(req.user));
 */
export function jitSso(options: JitSsoOptions): JitSsoMiddleware {
  const o = resolveJitSsoOptions(options);
  const logger = o.logger ?? consoleLogger;
  const record = auditRecorder(o.store, o.onAudit, logger);
  // Only for running the providers' strategies (`authenticate` with a callback, no Passport session).
  const authenticator = new passport.Passport();
  const { max = 10_000, ttlMs = 5_000 } = o.userCache === false ? { max: 0 } : (o.userCache ?? {});
  // lru-cache reads a ttl of 0 as "never expires": a cache of 0 ms (or 0 users) is none at all.
  const userCache = max > 0 && ttlMs > 0 ? new LRUCache<string, StoredUser>({ max, ttl: ttlMs }) : undefined;

  const provisioners = new Map<string, JitProvisioner>();
  const mounted = new Map<string, MountedProvider>();
  o.providers.forEach((provider, i) => {
    const provisioner = jitProvision({
      store: o.store,
      provider: provider.id,
      preset: provider.preset,
      ...(provider.claimMap ? { claimMap: provider.claimMap } : {}),
      provisioning: resolvePolicy([o.provisioning, provider.provisioning], `jitSso.providers[${i}].provisioning`, { multiTenant: provider.multiTenant === true }),
      logger,
      record,
      ...(o.hooks?.beforeLogin ? { beforeLogin: o.hooks.beforeLogin } : {}),
    });
    const runtime = provider.mount({ provisioner, logger });
    authenticator.use(provider.id, runtime.strategy);
    provisioners.set(provider.id, provisioner);
    mounted.set(provider.id, { id: provider.id, runtime });
  });

  const router = express.Router() as JitSsoMiddleware;
  const hooks = o.hooks ?? {};
  const defaultProvider = o.providers[0]!.id;
  const base = o.basePath === '/' ? '' : o.basePath;

  const routes = express.Router();
  routes.use(
    base || '/',
    authRoutes({ authenticator, providers: mounted, landingPath: o.landingPath, hooks, logger, record, rememberUser: (user) => userCache?.set(user.id, user), forgetUser: (id) => userCache?.delete(id) }),
  );
  const mayBeOurs = mayBeUnder(base);
  // One context per mount path, made again only when the path changes (a mount path with a parameter).
  let context: RequestContext = { authPath: base, defaultProvider, hooks };
  let contextBaseUrl = '';

  const fail = (err: unknown, req: Request, res: Response) => {
    const page = pageForError(err);
    // An unexpected error (not a JitSsoError) is logged with its stack.
    if (page.status >= 500) logger.error({ code: page.code, err: describeError(err), ...(isJitSsoError(err) ? {} : { stack: (err as Error | undefined)?.stack }) }, 'jit-sso request failed');
    sendError(req, res, page, hooks);
  };

  /** Sets `req.user` from jit-sso's session record, through the user cache; a user gone or no longer active is signed out. */
  const restoreUser = (req: Request, then: (err?: unknown) => void): void => {
    const session = loginSessionOf(req)!;
    const id = session.jitSso?.userId;
    if (typeof id !== 'string') return then();
    const cached = userCache?.get(id);
    if (cached) {
      req.user = cached as unknown as Express.User;
      return then();
    }
    // The executor turns a store method that throws instead of rejecting into a rejection: an outage too.
    new Promise<StoredUser | null>((resolve) => resolve(o.store.findUserById(id))).then(
      (user) => {
        if (user?.status !== 'active') delete session.jitSso;
        else {
          userCache?.set(id, user);
          req.user = user as unknown as Express.User;
        }
        then();
      },
      (err: unknown) => then(new JitSsoError('ERR_JIT_SSO_STORE_UNAVAILABLE', { cause: err, details: { reason: 'reading the signed-in user' } })),
    );
  };

  // Everything jitSso does on an app's request, in one function: each Router layer, and each
  // property added to `req`, costs on every request of the app.
  const jitSsoRequest = (req: Request, res: Response, next: NextFunction): void => {
    if (req.baseUrl !== contextBaseUrl) {
      contextBaseUrl = req.baseUrl;
      context = { authPath: `${req.baseUrl}${base}`, defaultProvider, hooks };
    }
    setRequestContext(res, context);
    if (!loginSessionOf(req)) {
      const message = 'jit-sso needs express-session: add app.use(session({ ... })) before app.use(jitSso(...)).';
      return fail(new JitSsoError('ERR_JIT_SSO_SESSION_REQUIRED', { message }), req, res);
    }
    let left = false;
    const leave = (err?: unknown) => {
      left = true;
      if (err) fail(err, req, res);
      else next();
    };
    try {
      restoreUser(req, (err?: unknown) => {
        if (err || !mayBeOurs(req.url)) return leave(err);
        routes(req, res, leave);
      });
    } catch (err) {
      // A throw from jit-sso's routes is jitSso's to answer; one from after `leave` (the app's
      // handlers, the error page) goes on to the app, as a throw from a layer would.
      if (left) throw err;
      leave(err);
    }
  };
  router.use(jitSsoRequest);

  Object.defineProperty(router, 'provisioners', { value: provisioners });
  Object.defineProperty(router, 'invalidateUser', { value: (id: string) => userCache?.delete(id) });
  return router;
}
