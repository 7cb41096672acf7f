/**
 * `jitSso()`: the Express middleware that mounts login, callback, metadata and logout routes for
 * every provider, restores the signed-in user on each request, and maps every outcome to HTTP.
 * @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { LRUCache } from 'lru-cache';
import passport from 'passport';
import { JitSsoError } from '../errors.js';
import { consoleLogger } from '../internal/logger.js';
import { auditRecorder } from '../provisioning/audit.js';
import { jitProvision, type JitProvisioner } from '../provisioning/jit-provision.js';
import { resolvePolicy } from '../provisioning/policy.js';
import type { StoredUser } from '../store/user-store.js';
import { authRoutes, type MountedProvider } from './auth-routes.js';
import { setRequestContext, type RequestContext } from './context.js';
import { resolveJitSsoOptions, type JitSsoOptions } from './jit-sso-options.js';
import { pageForError, sendError } from './respond.js';

export type { JitSsoOptions } from './jit-sso-options.js';

type WithSessionManager = Request & { _sessionManager?: unknown };

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
 * `express-session`; it uses its own Passport instance and leaves the app's global one alone.
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
  const authenticator = new passport.Passport();
  // Its own session key, so an app that also uses passport (a password login, say) keeps its own.
  (authenticator as unknown as { _key: string })._key = 'jitSsoPassport';
  (authenticator as unknown as { init(): void }).init();
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

  authenticator.serializeUser((user, done) => done(null, (user as StoredUser).id));
  authenticator.deserializeUser((id: unknown, done: (err: unknown, user?: Express.User | false) => void) => {
    if (typeof id !== 'string') return done(null, false);
    const cached = userCache?.get(id);
    if (cached) return done(null, cached as unknown as Express.User);
    o.store.findUserById(id).then(
      (user) => {
        if (!user || user.status !== 'active') return done(null, false);
        userCache?.set(id, user);
        done(null, user as unknown as Express.User);
      },
      (err: unknown) => done(new JitSsoError('ERR_JIT_SSO_STORE_UNAVAILABLE', { cause: err, details: { reason: 'reading the signed-in user' } })),
    );
  });

  const router = express.Router() as JitSsoMiddleware;
  const hooks = o.hooks ?? {};
  const defaultProvider = o.providers[0]!.id;
  const base = o.basePath === '/' ? '' : o.basePath;

  // passport's initialize() makes req.login() use the last Passport instance initialised: jit-sso's
  // is used on its own routes only, and the app's (if any) is put back for the app's routes.
  const ours = (authenticator as unknown as { _sm: unknown })._sm;
  const initialize = authenticator.initialize() as RequestHandler;
  const restoreUser = authenticator.session() as RequestHandler;
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
    if (page.status >= 500) logger.error({ code: page.code, err: err instanceof Error ? err.message : String(err) }, 'jit-sso request failed');
    sendError(req, res, page, hooks);
  };

  // Everything jitSso does on an app's request, in one function: each Router layer, and each
  // property added to `req`, costs on every request of the app.
  const jitSsoRequest = (req: Request, res: Response, next: NextFunction): void => {
    if (req.baseUrl !== contextBaseUrl) {
      contextBaseUrl = req.baseUrl;
      context = { authPath: `${req.baseUrl}${base}`, defaultProvider, hooks };
    }
    setRequestContext(req, context);
    if (!(req as { session?: unknown }).session) {
      const message = 'jit-sso needs express-session: add app.use(session({ ... })) before app.use(jitSso(...)).';
      return fail(new JitSsoError('ERR_JIT_SSO_SESSION_REQUIRED', { message }), req, res);
    }
    const r = req as WithSessionManager;
    const previous = r._sessionManager === ours ? undefined : r._sessionManager;
    let left = false;
    const leave = (err?: unknown) => {
      left = true;
      if (previous !== undefined) r._sessionManager = previous;
      if (err) fail(err, req, res);
      else next();
    };
    try {
      initialize(req, res, () =>
        restoreUser(req, res, (err?: unknown) => {
          if (err || !mayBeOurs(req.url)) return leave(err);
          r._sessionManager = ours;
          routes(req, res, leave);
        }),
      );
    } catch (err) {
      // A throw from passport or the store is jitSso's to answer; one from after `leave` (the
      // app's handlers, the error page) goes on to the app, as a throw from a layer would.
      if (left) throw err;
      leave(err);
    }
  };
  router.use(jitSsoRequest);
  // Express calls a Router as `router.handle(req, res, next)`. While jitSsoRequest is the only
  // layer, call it directly: walking a Router costs per request, and leaving one that has run out
  // of layers takes a setImmediate (Express 4 and 5 alike).
  const handled = router as unknown as { handle: RequestHandler };
  const walk = handled.handle.bind(router);
  handled.handle = (req, res, next) => (router.stack.length === 1 ? jitSsoRequest(req, res, next) : walk(req, res, next));

  Object.defineProperty(router, 'provisioners', { value: provisioners });
  Object.defineProperty(router, 'invalidateUser', { value: (id: string) => userCache?.delete(id) });
  return router;
}
