/**
 * SAML single logout: the LogoutRequest this SP sends when someone signs out (bound to their
 * browser), LogoutRequests from the IdP (POST and redirect binding, signed only, addressed here,
 * recent and seen once) and LogoutResponses to this SP's own LogoutRequests (accepted only from the
 * browser that started that logout, once, answering that request).
 * @module
 */
import type { Profile, SAML } from '@node-saml/node-saml';
import type { Request, Response } from 'express';
import type { SsoCache } from '../../cache/sso-cache.js';
import type { ProviderRuntime, SsoSessionInfo } from '../types.js';
import { browserBinding, newHandle, requestIdOf } from './browser-binding.js';
import { checkLogoutRequest, checkLogoutResponseDestination } from './logout-checks.js';
import { checkLogoutResponse, precheckPostMessage, precheckRedirectMessage, samlRefusal, type PrecheckedMessage } from './message-checks.js';
import { verificationKeys, verifyRedirectQuery } from './redirect-query.js';
import type { ResolvedSamlOptions } from './saml-options.js';

export interface SamlLogoutContext {
  saml: SAML;
  /** A SAML instance that does not look for InResponseTo (node-saml only finds it on a `<Response>`). */
  logoutResponses: SAML;
  requestCache: SsoCache;
  replayCache: SsoCache;
  options: ResolvedSamlOptions;
}

/** A verified logout message: the LogoutRequest's profile, or `null` for a LogoutResponse, and what to go on with. */
type Verified = { profile: Profile; relayState: string | undefined } | { profile: null; returnTo: string };

/** The logout half of a SAML provider's runtime. */
export function samlLogout({ saml, logoutResponses, requestCache, replayCache, options: o }: SamlLogoutContext): Pick<ProviderRuntime, 'logoutUrl' | 'handleLogoutMessage'> {
  // The same cache and lifetime as a login's: a logout at the IdP takes as long as a login may.
  const binding = browserBinding({ cache: requestCache, provider: o.id, ttlMs: o.requestIdExpirationPeriodMs });
  const certs = verificationKeys(o.idpCert);
  const requestChecks = { logoutCallbackUrl: o.logoutCallbackUrl, maxLogoutRequestAgeMs: o.maxLogoutRequestAgeMs, acceptedClockSkewMs: o.acceptedClockSkewMs };

  /** A LogoutRequest whose signature has verified: addressed here, recent, and its ID seen once. */
  const acceptRequest = async (message: PrecheckedMessage, profile: Profile | null, relayState: string | undefined): Promise<Verified> => {
    if (!profile) throw samlRefusal('not a LogoutRequest');
    const now = Date.now();
    const { id, expiresAtMs } = checkLogoutRequest(message, requestChecks, now);
    if (!(await replayCache.add(`saml-logout-request:${o.id}:${id}`, '1', expiresAtMs - now))) throw samlRefusal('LogoutRequest replayed');
    return { profile, relayState };
  };

  /** A LogoutResponse whose signature has verified, answering the logout `exchange` this browser started. */
  const acceptResponse = async (message: PrecheckedMessage, requestId: string): Promise<void> => {
    const inResponseTo = checkLogoutResponse(message, o.idpIssuer);
    checkLogoutResponseDestination(message, o.logoutCallbackUrl);
    if (inResponseTo !== requestId) throw samlRefusal('LogoutResponse InResponseTo does not answer the logout started in this browser');
    // node-saml kept the LogoutRequest's id in the request cache too; it has no further use.
    await requestCache.take(`saml-request:${o.id}:${inResponseTo}`);
  };

  /** Takes the logout this browser started, named by RelayState (single use), before the message is read. */
  const claimLogout = async (req: Request, relayState: unknown) => {
    const exchange = await binding.take(req, 'logout', relayState);
    if (!exchange) throw samlRefusal('LogoutResponse answers no logout started in this browser');
    return exchange;
  };

  const fromPost = async (req: Request): Promise<Verified> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const relayState = typeof body.RelayState === 'string' ? body.RelayState : undefined;
    if (typeof body.SAMLRequest === 'string' && body.SAMLResponse !== undefined) throw samlRefusal('both SAMLRequest and SAMLResponse in the message');
    if (typeof body.SAMLRequest === 'string') {
      const message = precheckPostMessage(body.SAMLRequest);
      const { profile } = await saml.validatePostRequestAsync({ SAMLRequest: body.SAMLRequest });
      return acceptRequest(message, profile, relayState);
    }
    if (typeof body.SAMLResponse === 'string') {
      const exchange = await claimLogout(req, body.RelayState);
      const message = precheckPostMessage(body.SAMLResponse);
      await logoutResponses.validatePostResponseAsync({ SAMLResponse: body.SAMLResponse });
      await acceptResponse(message, exchange.requestId);
      return { profile: null, returnTo: exchange.returnTo };
    }
    throw samlRefusal('no SAML logout message');
  };

  const fromRedirect = async (req: Request): Promise<Verified> => {
    // The signature first, over the raw query: nothing unsigned is inflated or parsed.
    const verified = verifyRedirectQuery(req.originalUrl, certs, o.maxMessageBytes);
    if (verified.kind === 'SAMLRequest') {
      const message = precheckRedirectMessage(verified.message, o.maxMessageBytes);
      // node-saml reads the profile (and decrypts an EncryptedID) from exactly the values verified above.
      const { profile } = await saml.validateRedirectAsync(verified.container, verified.signedQuery);
      return acceptRequest(message, profile, verified.relayState);
    }
    const exchange = await claimLogout(req, verified.relayState);
    await acceptResponse(precheckRedirectMessage(verified.message, o.maxMessageBytes), exchange.requestId);
    return { profile: null, returnTo: exchange.returnTo };
  };

  return {
    ...(o.logoutUrl
      ? {
          async logoutUrl(session: SsoSessionInfo, returnTo: string, req: Request, res: Response) {
            if (session.provider !== o.id || !session.nameID) return null;
            const user = { issuer: o.idpIssuer, nameID: session.nameID, nameIDFormat: session.nameIDFormat ?? '', ...(session.sessionIndex ? { sessionIndex: session.sessionIndex } : {}) } as Profile;
            // The handle is chosen first: when LogoutRequests are signed, the signature covers RelayState.
            const handle = newHandle();
            const url = await saml.getLogoutUrlAsync(user, handle, {});
            await binding.bind(req, res, 'logout', { requestId: requestIdOf(url), returnTo }, handle);
            return url;
          },
        }
      : {}),
    async handleLogoutMessage(req: Request, session: SsoSessionInfo | undefined) {
      const result = req.method === 'POST' ? await fromPost(req) : req.method === 'GET' ? await fromRedirect(req) : undefined;
      if (!result) throw samlRefusal('no SAML logout message');
      if (!result.profile) return { endSession: true, returnTo: result.returnTo };
      // A LogoutRequest ends only the session of the person it names.
      const endSession = session?.provider === o.id && session.nameID === result.profile.nameID;
      const redirectTo = await saml.getLogoutResponseUrlAsync(result.profile, result.relayState ?? '', {}, endSession);
      return { endSession, redirectTo };
    },
  };
}
