/**
 * SAML single logout messages from the IdP: LogoutRequests (POST and redirect binding, signed only)
 * and LogoutResponses to this SP's own LogoutRequests.
 * @module
 */
import type { Profile, SAML } from '@node-saml/node-saml';
import type { Request } from 'express';
import type { SsoCache } from '../../cache/sso-cache.js';
import { checkLogoutResponse, precheckPostMessage, precheckRedirectMessage, samlRefusal } from './message-checks.js';

/** Redirect-binding signature algorithms jit-sso accepts (an allow-list: node-saml takes any hash Node knows). */
const REDIRECT_SIG_ALGS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);

export interface LogoutContext {
  saml: SAML;
  /** A SAML instance that does not look for InResponseTo (node-saml only finds it on a `<Response>`). */
  logoutResponses: SAML;
  requestCache: SsoCache;
  provider: string;
  idpIssuer: string;
  maxBytes: number;
}

/** Verifies a logout message; `profile` is the LogoutRequest's, `null` for a LogoutResponse. */
export async function validateLogoutMessage(ctx: LogoutContext, req: Request): Promise<{ profile: Profile | null; relay: unknown }> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (req.method === 'POST' && typeof body.SAMLRequest === 'string') {
    precheckPostMessage(body.SAMLRequest);
    const { profile } = await ctx.saml.validatePostRequestAsync(body as Record<string, string>);
    return { profile, relay: body };
  }
  if (req.method === 'POST' && typeof body.SAMLResponse === 'string') {
    const message = precheckPostMessage(body.SAMLResponse);
    await ctx.logoutResponses.validatePostResponseAsync(body as Record<string, string>);
    const inResponseTo = checkLogoutResponse(message, ctx.idpIssuer);
    if ((await ctx.requestCache.take(`saml-request:${ctx.provider}:${inResponseTo}`)) === null) {
      throw samlRefusal('LogoutResponse InResponseTo is unknown');
    }
    return { profile: null, relay: body };
  }
  const query = req.query as Record<string, unknown>;
  const message = query.SAMLRequest ?? query.SAMLResponse;
  if (req.method === 'GET' && typeof message === 'string') {
    // node-saml accepts a redirect-binding message without a Signature parameter; jit-sso does not.
    if (typeof query.Signature !== 'string' || typeof query.SigAlg !== 'string') throw samlRefusal('unsigned logout message');
    if (!REDIRECT_SIG_ALGS.has(query.SigAlg)) throw samlRefusal('logout message signature algorithm not allowed (SHA-1 or weaker)');
    precheckRedirectMessage(message, ctx.maxBytes);
    const originalQuery = req.originalUrl.split('?')[1] ?? '';
    const { profile } = await ctx.saml.validateRedirectAsync(query as Record<string, string>, originalQuery);
    return { profile, relay: query };
  }
  throw samlRefusal('no SAML logout message');
}
