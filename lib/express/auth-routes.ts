/**
 * The routes under `basePath`: login, callback (SAML ACS / OIDC redirect URI), metadata, logout
 * and the IdP's logout endpoint.
 * @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { PassportStatic } from 'passport';
import { isJitSsoError, type ErrorCode } from '../errors.js';
import type { Logger } from '../internal/logger.js';
import { describeError, loginContextOf, loginEvent, type AuditRecorder } from '../provisioning/audit.js';
import type { ProviderRuntime, SsoSessionInfo } from '../providers/types.js';
import type { StoredUser } from '../store/user-store.js';
import { loginSessionOf, signIn, signOut } from './login-session.js';
import { pageFor, sendError, wantsJson, type JitSsoHooks } from './respond.js';
import { crossSiteReason } from './same-origin.js';
import { safeReturnTo } from './safe-redirect.js';

export interface MountedProvider {
  id: string;
  runtime: ProviderRuntime;
}

interface AuthRoutesOptions {
  authenticator: InstanceType<PassportStatic['Passport']>;
  providers: ReadonlyMap<string, MountedProvider>;
  landingPath: string;
  hooks: JitSsoHooks;
  logger: Logger;
  record: AuditRecorder;
  rememberUser(user: StoredUser): void;
  forgetUser(id: string): void;
}

interface VerifyInfo {
  code?: ErrorCode;
  message?: string;
  reason?: string;
  audited?: boolean;
  session?: SsoSessionInfo;
}

export function authRoutes(o: AuthRoutesOptions): Router {
  const router = express.Router();
  const bodyParsers = new Map<string, RequestHandler>();
  for (const { id, runtime } of o.providers.values()) {
    bodyParsers.set(id, express.urlencoded({ extended: false, limit: runtime.maxMessageBytes, parameterLimit: 20 }));
  }
  const smallBody = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

  const providerOf = (req: Request, res: Response): MountedProvider | undefined => {
    const provider = o.providers.get(String(req.params.provider));
    if (!provider) sendError(req, res, pageFor('ERR_JIT_SSO_UNKNOWN_PROVIDER'), o.hooks);
    return provider;
  };

  /** A refused login: audited (unless the provisioner did it) and answered with one page per code. */
  const refuse = async (req: Request, res: Response, provider: string, code: ErrorCode, reason: string, audited = false) => {
    if (!audited) await o.record(loginEvent({ subType: 'denied', provider, code, reason }, loginContextOf(req), new Date()));
    sendError(req, res, pageFor(code), o.hooks);
  };

  router.get('/:provider/login', (req, res, next) => {
    const provider = providerOf(req, res);
    if (!provider) return;
    const returnTo = safeReturnTo(req.query.returnTo, o.landingPath);
    const { runtime } = provider;
    if (!runtime.startLogin) return o.authenticator.authenticate(provider.id, { session: false, ...runtime.loginOptions(returnTo) })(req, res, next);
    runtime.startLogin(req, res, returnTo).catch((err: unknown) => {
      if (!isJitSsoError(err)) return next(err);
      o.logger.error({ code: err.code, provider: provider.id, reason: err.details.reason }, 'login could not start');
      sendError(req, res, pageFor(err.code), o.hooks);
    });
  });

  const callback = (req: Request, res: Response, next: NextFunction) => {
    const provider = providerOf(req, res);
    if (!provider) return;
    bodyParsers.get(provider.id)!(req, res, (parseError?: unknown) => {
      if (parseError) {
        const tooLarge = (parseError as { type?: string }).type === 'entity.too.large';
        return void refuse(req, res, provider.id, tooLarge ? 'ERR_JIT_SSO_PAYLOAD_TOO_LARGE' : 'ERR_JIT_SSO_AUTHENTICATION_FAILED', tooLarge ? 'message over the size limit' : 'unreadable body');
      }
      try {
        provider.runtime.precheckCallback?.(req);
      } catch (err) {
        return void refuse(req, res, provider.id, refusalCode(err), reasonOf(err));
      }
      // Before the (costly) validation: a login this browser did not start goes no further.
      Promise.resolve(provider.runtime.claimCallback?.(req)).then(
        () => authenticate(req, res, next, provider),
        (err: unknown) => {
          if (isJitSsoError(err) && err.status >= 500) {
            o.logger.error({ code: err.code, provider: provider.id, reason: err.details.reason }, 'login failed: infrastructure');
            return sendError(req, res, pageFor(err.code), o.hooks);
          }
          return void refuse(req, res, provider.id, 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reasonOf(err));
        },
      );
    });
  };
  const authenticate = (req: Request, res: Response, next: NextFunction, provider: MountedProvider) => {
    o.authenticator.authenticate(provider.id, { session: false }, (err: unknown, user: StoredUser | false, info?: VerifyInfo) => {
      if (err) {
        if (isJitSsoError(err) && err.status >= 500) {
          o.logger.error({ code: err.code, provider: provider.id, reason: err.details.reason }, 'login failed: infrastructure');
          return sendError(req, res, pageFor(err.code), o.hooks);
        }
        // The protocol library refused the message (signature, audience, time, InResponseTo, …).
        return void refuse(req, res, provider.id, 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reasonOf(err));
      }
      if (!user) {
        const code = info?.code ?? 'ERR_JIT_SSO_AUTHENTICATION_FAILED';
        return void refuse(req, res, provider.id, code, info?.reason ?? code, info?.audited === true);
      }
      signIn(req, user, info?.session ?? { provider: provider.id }, (loginError?: unknown) => {
        if (loginError) return next(loginError);
        o.rememberUser(user);
        res.redirect(303, safeReturnTo(provider.runtime.callbackReturnTo(req), o.landingPath));
      });
    })(req, res, next);
  };
  router.post('/:provider/callback', callback);
  router.get('/:provider/callback', (req, res, next) => {
    const provider = o.providers.get(String(req.params.provider));
    if (provider?.runtime.callbackMethods.includes('get')) return callback(req, res, next);
    sendError(req, res, pageFor('ERR_JIT_SSO_UNKNOWN_PROVIDER'), o.hooks);
  });

  router.get('/:provider/metadata', (req, res) => {
    const provider = providerOf(req, res);
    if (!provider) return;
    if (!provider.runtime.metadata) return sendError(req, res, pageFor('ERR_JIT_SSO_UNKNOWN_PROVIDER'), o.hooks);
    res.type('application/samlmetadata+xml').send(provider.runtime.metadata());
  });

  router.post('/logout', smallBody, (req, res, next) => {
    const session = loginSessionOf(req)?.jitSso;
    const user = req.user as StoredUser | undefined;
    // Logout CSRF: a page on another site must not sign people out (nor send them to the IdP's logout).
    const crossSite = crossSiteReason(req);
    if (crossSite) {
      const code = 'ERR_JIT_SSO_CROSS_SITE_REQUEST';
      o.logger.warn({ provider: session?.provider, reason: crossSite }, 'logout refused');
      const event = loginEvent({ type: 'logout', subType: 'denied', provider: session?.provider ?? '', ...(user ? { userId: user.id } : {}), code, reason: crossSite }, loginContextOf(req), new Date());
      const refuse403 = () => sendError(req, res, pageFor(code), o.hooks);
      return void o.record(event).then(refuse403, refuse403);
    }
    const returnTo = safeReturnTo((req.body as Record<string, unknown> | undefined)?.returnTo ?? req.query.returnTo, o.landingPath);
    const idpLogout = session && user ? o.providers.get(session.provider)?.runtime.logoutUrl : undefined;
    Promise.resolve(idpLogout ? idpLogout(session!, returnTo, req, res) : null)
      .catch((err: unknown) => {
        o.logger.warn({ provider: session?.provider, err: describeError(err) }, 'IdP logout URL could not be made; signing out locally');
        return null;
      })
      .then((idpUrl) => {
        if (user) o.forgetUser(user.id);
        signOut(req, (err) => {
          if (err) return next(err);
          const to = idpUrl ?? returnTo;
          if (wantsJson(req)) return res.json({ loggedOut: true, redirectTo: to });
          res.redirect(303, to);
        });
      });
  });

  const idpLogout = (req: Request, res: Response, next: NextFunction) => {
    const provider = providerOf(req, res);
    if (!provider) return;
    if (!provider.runtime.handleLogoutMessage) return sendError(req, res, pageFor('ERR_JIT_SSO_UNKNOWN_PROVIDER'), o.hooks);
    const session = loginSessionOf(req)?.jitSso;
    provider.runtime.handleLogoutMessage(req, session).then(
      (result) => {
        const to = result.redirectTo ?? safeReturnTo(result.returnTo, o.landingPath);
        if (!result.endSession || !req.user) return res.redirect(303, to);
        o.forgetUser((req.user as StoredUser).id);
        signOut(req, (err) => (err ? next(err) : res.redirect(303, to)));
      },
      async (err: unknown) => {
        const reason = reasonOf(err);
        o.logger.warn({ provider: provider.id, reason }, 'logout message refused');
        const code = refusalCode(err);
        await o.record(loginEvent({ type: 'logout', subType: 'denied', provider: provider.id, code, reason }, loginContextOf(req), new Date()));
        sendError(req, res, pageFor(code), o.hooks);
      },
    );
  };
  router.get('/:provider/logout/callback', idpLogout);
  router.post('/:provider/logout/callback', (req, res, next) => {
    const provider = providerOf(req, res);
    if (!provider) return;
    bodyParsers.get(provider.id)!(req, res, (err?: unknown) =>
      err ? sendError(req, res, pageFor('ERR_JIT_SSO_AUTHENTICATION_FAILED'), o.hooks) : idpLogout(req, res, next),
    );
  });

  return router;
}

/** The code a refused message is answered with: the guard's 400 for a malformed message, else the generic 401. */
function refusalCode(err: unknown): ErrorCode {
  return isJitSsoError(err) && err.code === 'ERR_JIT_SSO_MALFORMED_MESSAGE' ? err.code : 'ERR_JIT_SSO_AUTHENTICATION_FAILED';
}

function reasonOf(err: unknown): string {
  if (isJitSsoError(err) && typeof err.details.reason === 'string') return err.details.reason;
  return describeError(err);
}
