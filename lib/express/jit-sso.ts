/**
 * `jitSso()`: the Express middleware that mounts login, callback, metadata and logout routes for
 * every provider, restores the signed-in user on each request, and maps every outcome to HTTP.
 * @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import passport from 'passport';
import { JitSsoError } from '../errors.js';
import { consoleLogger } from '../internal/logger.js';
import { TtlLru } from '../internal/ttl-lru.js';
import { auditRecorder } from '../provisioning/audit.js';
import { jitProvision, type JitProvisioner } from '../provisioning/jit-provision.js';
import { resolvePolicy } from '../provisioning/policy.js';
import type { StoredUser } from '../store/user-store.js';
import { authRoutes, type MountedProvider } from './auth-routes.js';
import { setRequestContext } from './context.js';
import { resolveJitSsoOptions, type JitSsoOptions } from './jit-sso-options.js';
import { pageForError, sendError } from './respond.js';

export type { JitSsoOptions } from './jit-sso-options.js';

const PREVIOUS = Symbol('jit-sso.previousSessionManager');
type WithSessionManager = Request & { _sessionManager?: unknown; [PREVIOUS]?: unknown };

function sessionManagerSwitch(authenticator: InstanceType<typeof passport.Passport>): { enter: RequestHandler; leave: RequestHandler } {
  const ours = (authenticator as unknown as { _sm: unknown })._sm;
  return {
    enter(req, _res, next) {
      const r = req as WithSessionManager;
      if (r._sessionManager !== ours && !(PREVIOUS in r)) r[PREVIOUS] = r._sessionManager;
      r._sessionManager = ours;
      next();
    },
    leave(req, _res, next) {
      const r = req as WithSessionManager;
      if (r[PREVIOUS] !== undefined) r._sessionManager = r[PREVIOUS];
      next();
    },
  };
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
  const userCache = new TtlLru<StoredUser>(o.userCache === false ? 0 : (o.userCache?.max ?? 10_000), o.userCache === false ? 0 : (o.userCache?.ttlMs ?? 5_000));

  const provisioners = new Map<string, JitProvisioner>();
  const mounted = new Map<string, MountedProvider>();
  o.providers.forEach((provider, i) => {
    const provisioner = jitProvision({
      store: o.store,
      provider: provider.id,
      preset: provider.preset,
      ...(provider.claimMap ? { claimMap: provider.claimMap } : {}),
      provisioning: resolvePolicy([o.provisioning, provider.provisioning], `jitSso.providers[${i}].provisioning`),
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
    const cached = userCache.get(id);
    if (cached) return done(null, cached as unknown as Express.User);
    o.store.findUserById(id).then(
      (user) => {
        if (!user || user.status !== 'active') return done(null, false);
        userCache.set(id, user);
        done(null, user as unknown as Express.User);
      },
      (err: unknown) => done(new JitSsoError('ERR_JIT_SSO_STORE_UNAVAILABLE', { cause: err, details: { reason: 'reading the signed-in user' } })),
    );
  });

  const router = express.Router() as JitSsoMiddleware;
  const hooks = o.hooks ?? {};
  const defaultProvider = o.providers[0]!.id;
  const base = o.basePath === '/' ? '' : o.basePath;

  router.use((req: Request, _res: Response, next: NextFunction) => {
    setRequestContext(req, { authPath: `${req.baseUrl}${base}`, defaultProvider, hooks });
    if (!(req as { session?: unknown }).session) {
      return next(
        new JitSsoError('ERR_JIT_SSO_SESSION_REQUIRED', {
          message: 'jit-sso needs express-session: add app.use(session({ ... })) before app.use(jitSso(...)).',
        }),
      );
    }
    next();
  });
  // passport's initialize() makes req.login() use the last Passport instance initialised: jit-sso's
  // is used on its own routes only, and the app's (if any) is put back for the app's routes.
  const useOurs = sessionManagerSwitch(authenticator);
  router.use(useOurs.enter, authenticator.initialize() as RequestHandler, authenticator.session() as RequestHandler, useOurs.leave);
  router.use(
    base || '/',
    useOurs.enter,
    authRoutes({ authenticator, providers: mounted, landingPath: o.landingPath, hooks, logger, record, rememberUser: (user) => userCache.set(user.id, user), forgetUser: (id) => userCache.delete(id) }),
  );
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const page = pageForError(err);
    if (page.status >= 500) logger.error({ code: page.code, err: err instanceof Error ? err.message : String(err) }, 'jit-sso request failed');
    sendError(req, res, page, hooks);
  });

  Object.defineProperty(router, 'provisioners', { value: provisioners });
  Object.defineProperty(router, 'invalidateUser', { value: (id: string) => userCache.delete(id) });
  return router;
}
