/**
 * A SAML login bound to the browser that started it (login CSRF and session swap): the AuthnRequest
 * is built here rather than by passport-saml, its id and the `returnTo` are kept server-side under an
 * opaque RelayState handle tied to a per-browser cookie ({@link browserBinding}), and the response is
 * accepted only from that browser, once, answering that request.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-bindings-2.0-os.pdf (3.4.3 RelayState)
 * @module
 */
import type { Profile, SAML } from '@node-saml/node-saml';
import type { Request, Response } from 'express';
import type { SsoCache } from '../../cache/sso-cache.js';
import { browserBinding, newHandle, requestIdOf, type BoundExchange } from './browser-binding.js';
import { samlRefusal } from './message-checks.js';

export interface SamlLoginOptions {
  saml: SAML;
  cache: SsoCache;
  provider: string;
  /** How long a login may take (the request cache's lifetime for the request id). */
  ttlMs: number;
  allowUnsolicited: boolean;
}

/** What a callback request was found to answer, before node-saml reads the message. */
type Claim = { exchange: BoundExchange } | { unsolicited: true; relayState: string | undefined };

/** The login half of a SAML provider's runtime. */
export interface SamlLogin {
  /** Builds the AuthnRequest, binds it to this browser and redirects to the IdP. */
  startLogin(req: Request, res: Response, returnTo: string): Promise<void>;
  /**
   * Takes the login this browser started, named by the posted RelayState (single use), before any
   * validation. Without one, the callback is refused unless unsolicited responses are allowed.
   */
  claimCallback(req: Request): Promise<void>;
  /** After node-saml's validation: the response must answer the request this browser's login sent. */
  checkAnswer(req: Request, profile: Profile): void;
  /** Where the login goes next: the bound `returnTo`, or (unsolicited) the posted RelayState, unvalidated. */
  callbackReturnTo(req: Request): string | undefined;
}

export function samlLogin({ saml, cache, provider, ttlMs, allowUnsolicited }: SamlLoginOptions): SamlLogin {
  const binding = browserBinding({ cache, provider, ttlMs });
  // Per request, so that nothing the browser posts later in the pipeline can stand in for it.
  const claims = new WeakMap<Request, Claim>();

  return {
    async startLogin(req, res, returnTo) {
      // The handle is chosen first: when AuthnRequests are signed, the signature covers RelayState.
      const handle = newHandle();
      const url = await saml.getAuthorizeUrlAsync(handle, req.headers.host, {});
      await binding.bind(req, res, 'login', { requestId: requestIdOf(url), returnTo }, handle);
      res.set('Cache-Control', 'no-store');
      res.redirect(302, url);
    },

    async claimCallback(req) {
      const relayState = stringField(req.body, 'RelayState');
      const exchange = await binding.take(req, 'login', relayState);
      if (exchange) return void claims.set(req, { exchange });
      if (!allowUnsolicited) throw samlRefusal('login not started in this browser');
      claims.set(req, { unsolicited: true, relayState });
    },

    checkAnswer(req, profile) {
      const claim = claims.get(req);
      if (!claim) throw samlRefusal('login not started in this browser');
      const inResponseTo = typeof profile.inResponseTo === 'string' ? profile.inResponseTo : undefined;
      if ('exchange' in claim) {
        if (inResponseTo !== claim.exchange.requestId) throw samlRefusal('InResponseTo does not answer the login started in this browser');
        return;
      }
      // IdP-initiated: only a response that answers no request. One that answers a request answers
      // some browser's login, and this browser brought no login of its own to match it.
      if (inResponseTo !== undefined) throw samlRefusal('InResponseTo names a login not started in this browser');
    },

    callbackReturnTo(req) {
      const claim = claims.get(req);
      if (!claim) return undefined;
      return 'exchange' in claim ? claim.exchange.returnTo : claim.relayState;
    },
  };
}

function stringField(source: unknown, name: string): string | undefined {
  const value = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}
