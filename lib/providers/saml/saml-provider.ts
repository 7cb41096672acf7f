/**
 * `samlProvider()`: SAML 2.0 through @node-saml/passport-saml with secure defaults, plus the checks
 * node-saml leaves to its callers (message-checks.ts) and an assertion-ID replay cache.
 * @module
 */
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile, type SamlConfig } from '@node-saml/node-saml';
import { Strategy as SamlStrategy } from '@node-saml/passport-saml';
import type { Request } from 'express';
import { memoryCache, type SsoCache } from '../../cache/sso-cache.js';
import { isJitSsoError, JitSsoError } from '../../errors.js';
import { loginContextOf } from '../../provisioning/audit.js';
import type { JitProvisioner } from '../../provisioning/jit-provision.js';
import type { ProvisioningOptions } from '../../provisioning/policy.js';
import type { ProviderMountContext, ProviderRuntime, SsoProvider, SsoSessionInfo } from '../types.js';
import { checkEncryptionAlgorithms } from './encryption-checks.js';
import { checkVerifiedAssertion, samlRefusal, screenPostMessage, type AssertionCheckConfig } from './message-checks.js';
import { looksLikeSamlParameter } from './redirect-query.js';
import { samlLogin, type SamlLogin } from './saml-login.js';
import { samlLogout } from './saml-logout.js';
import { resolveSamlOptions, type ResolvedSamlOptions, type SamlProviderOptions } from './saml-options.js';

export type { SamlProviderOptions } from './saml-options.js';

/**
 * A SAML 2.0 identity provider for `jitSso()`.
 *
 * Secure by default: Response and Assertion signatures both required, SHA-1 refused, audience =
 * `spEntityId`, InResponseTo always checked, unsolicited responses refused; and jit-sso's own
 * checks of Destination, Recipient, assertion Issuer, bearer confirmation, assertion age and replay.
 * Each login is bound to the browser that started it (an opaque RelayState handle and an HttpOnly
 * cookie, `__Host-jit-sso-saml` over HTTPS), so that a response is accepted only there, once; behind a
 * TLS-terminating proxy, set Express's `trust proxy` so that `req.secure` is true.
 *
 * @example
 * samlProvider({
 *   id: 'entra', preset: 'entra-saml',
 *   entryPoint: 'https://login.microsoftonline.com/<tenant-id>/saml2',
 *   idpIssuer: 'https://sts.windows.net/<tenant-id>/',
 *   idpCert: process.env.ENTRA_SAML_CERT!,
 *   spEntityId: 'https://app.example.com/saml',
 *   callbackUrl: 'https://app.example.com/auth/entra/callback',
 * })
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-profiles-2.0-os.pdf (4.1.4.3, 4.1.4.5)
 */
export function samlProvider(options: SamlProviderOptions): SsoProvider {
  const o = resolveSamlOptions(options, `samlProvider(${typeof options?.id === 'string' ? options.id : '?'})`);
  return {
    id: o.id,
    protocol: 'saml',
    preset: o.preset,
    ...(o.claimMap ? { claimMap: o.claimMap } : {}),
    ...(o.provisioning ? { provisioning: o.provisioning as ProvisioningOptions } : {}),
    mount: (context) => mountSaml(o, context),
  };
}

function mountSaml(o: ResolvedSamlOptions, { provisioner }: ProviderMountContext): ProviderRuntime {
  // A flood of anonymous login starts must not lock everyone out: the oldest pending request goes.
  const requestCache = o.requestCache ?? memoryCache({ whenFull: 'evict-oldest' });
  const replayCache = o.replayCache ?? memoryCache();
  const config = samlConfig(o, requestCache);
  const saml = new SAML(config);
  // node-saml looks for InResponseTo only on a <Response>; LogoutResponses are matched by jit-sso itself.
  const logoutResponses = new SAML({ ...config, validateInResponseTo: ValidateInResponseTo.never });
  const login = samlLogin({ saml, cache: requestCache, provider: o.id, ttlMs: o.requestIdExpirationPeriodMs, allowUnsolicited: o.allowUnsolicited });
  const verify = signonVerify(o, replayCache, provisioner, login);
  const strategy = new SamlStrategy({ ...config, name: o.id, passReqToCallback: true }, verify, (_req, _profile, done) =>
    done(samlRefusal('logout messages are handled by the jitSso router')),
  );

  return {
    strategy,
    callbackMethods: ['post'],
    maxMessageBytes: o.maxMessageBytes,
    precheckCallback(req) {
      // passport-saml reads a message from the query before the body: one there would skip these prechecks.
      if (queryCarriesSamlParameter(req)) throw samlRefusal('SAML parameter in the ACS query string (the ACS takes the POST body only)');
      checkEncryptionAlgorithms(screenPostMessage((req.body as Record<string, unknown> | undefined)?.SAMLResponse), { allowLegacy: o.allowLegacyEncryption });
    },
    // Logins start here, not through passport-saml, so that RelayState is a handle bound to the browser.
    loginOptions: () => ({}),
    startLogin: login.startLogin,
    claimCallback: login.claimCallback,
    callbackReturnTo: login.callbackReturnTo,
    metadata: () =>
      strategy.generateServiceProviderMetadata(o.decryptionCert ?? null, o.publicCert ?? null),
    ...samlLogout({ saml, logoutResponses, requestCache, replayCache, options: o }),
  };
}

function samlConfig(o: ResolvedSamlOptions, requestCache: SsoCache): SamlConfig {
  return {
    entryPoint: o.entryPoint,
    issuer: o.spEntityId,
    audience: o.spEntityId,
    callbackUrl: o.callbackUrl,
    idpCert: o.idpCert,
    idpIssuer: o.idpIssuer,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: o.wantAuthnResponseSigned,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    acceptedClockSkewMs: o.acceptedClockSkewMs,
    maxAssertionAgeMs: o.maxAssertionAgeMs,
    validateInResponseTo: o.allowUnsolicited ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: o.requestIdExpirationPeriodMs,
    cacheProvider: cacheProvider(requestCache, o.id, o.requestIdExpirationPeriodMs),
    identifierFormat: o.identifierFormat,
    disableRequestedAuthnContext: true,
    ...(o.privateKey ? { privateKey: o.privateKey } : {}),
    ...(o.publicCert ? { publicCert: o.publicCert } : {}),
    ...(o.decryptionKey ? { decryptionPvk: o.decryptionKey } : {}),
    ...(o.logoutUrl ? { logoutUrl: o.logoutUrl } : {}),
    logoutCallbackUrl: o.logoutCallbackUrl,
  };
}

/** node-saml's request-id cache over an {@link SsoCache}, keyed per provider. */
export function cacheProvider(cache: SsoCache, provider: string, ttlMs: number): CacheProvider {
  const key = (id: string) => `saml-request:${provider}:${id}`;
  return {
    async saveAsync(id, value) {
      const createdAt = Date.now();
      return (await cache.add(key(id), value, ttlMs)) ? { value, createdAt } : null;
    },
    getAsync: (id) => cache.get(key(id)),
    removeAsync: async (id) => (id === null ? null : cache.take(key(id))),
  };
}

type Done = (err: Error | null, user?: Record<string, unknown>, info?: Record<string, unknown>) => void;

function signonVerify(o: ResolvedSamlOptions, replayCache: SsoCache, provisioner: JitProvisioner, login: SamlLogin) {
  const checks: AssertionCheckConfig = {
    callbackUrl: o.callbackUrl,
    idpIssuer: o.idpIssuer,
    maxAssertionAgeMs: o.maxAssertionAgeMs,
    acceptedClockSkewMs: o.acceptedClockSkewMs,
    responseSigned: o.wantAuthnResponseSigned,
  };
  return (req: Request, profile: Profile | null, done: Done): void => {
    (async () => {
      if (!profile) throw samlRefusal('response carries no assertion');
      login.checkAnswer(req, profile);
      const now = Date.now();
      const checked = checkVerifiedAssertion(profile.getSamlResponseXml?.() ?? '', () => profile.getAssertionXml?.() ?? '', checks, now);
      if (!(await replayCache.add(`saml-assertion:${o.id}:${checked.id}`, '1', checked.expiresAtMs - now))) {
        throw samlRefusal('assertion replayed');
      }
      const result = await provisioner.provisionClaims(checked.profile, loginContextOf(req));
      if (result.error) return done(null, undefined, { code: result.error.code, message: result.error.message, audited: true });
      const session: SsoSessionInfo = { provider: o.id, nameID: checked.nameID, ...(checked.nameIDFormat ? { nameIDFormat: checked.nameIDFormat } : {}), ...(checked.sessionIndex ? { sessionIndex: checked.sessionIndex } : {}) };
      return done(null, result.user as unknown as Record<string, unknown>, { session, outcome: result.outcome });
    })().catch((err: unknown) => {
      if (isJitSsoError(err) && err.code === 'ERR_JIT_SSO_AUTHENTICATION_FAILED') {
        return done(null, undefined, { code: err.code, message: err.message, reason: err.details.reason });
      }
      return done(err instanceof Error ? err : new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { cause: err }));
    });
  };
}

/**
 * Whether the ACS request's query names a SAML parameter, in any spelling: the raw keys (`SAML%52esponse`,
 * `+SAMLResponse`, `samlresponse[]`) as well as those of the parsed `req.query`, so that no query parser
 * Express may be configured with finds a message jit-sso did not screen.
 */
function queryCarriesSamlParameter(req: Request): boolean {
  const url = String(req.originalUrl ?? req.url ?? '');
  const raw = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const keys = raw.split(/[&;]/).map((pair) => pair.split('=', 1)[0] ?? '');
  const query = req.query as Record<string, unknown> | undefined;
  return [...keys, ...Object.keys(query ?? {})].some(looksLikeSamlParameter);
}
