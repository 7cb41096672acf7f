/**
 * `azureAdProvider()`: Microsoft Entra ID through passport-azure-ad's `OIDCStrategy` (loaded lazily),
 * for apps that already use it, with secure settings and the checks it leaves out.
 * @module
 */
import { isJitSsoError, JitSsoError } from '../errors.js';
import type { JitProvisioner } from '../provisioning/jit-provision.js';
import type { ProviderMountContext, ProviderRuntime, SsoProvider } from '../providers/types.js';
import { azureAdStrategy, boundReturnTo, callbackParams, LOGIN_OPTION } from './azure-ad-flow.js';
import { resolveAzureAdOptions, type AzureAdProviderOptions, type ResolvedAzureAdOptions } from './azure-ad-options.js';
import { MAX_PENDING, strategySessionKey } from './azure-ad-session.js';
import { azureAdVerify } from './azure-ad-verify.js';
import { loadOidcStrategy, type OidcStrategyConfig, type OidcStrategyInstance } from './load-passport-azure-ad.js';

/** An azure-ad provider for `jitSso()`, with a way to load passport-azure-ad before the first login. */
export interface AzureAdSsoProvider extends SsoProvider {
  readonly protocol: 'oidc';
  readonly preset: 'entra-oidc';
  /**
   * Loads passport-azure-ad now rather than at the first login (e.g. at start-up or in a readiness
   * probe), so that a missing package fails early; once mounted by `jitSso()`, also builds the strategy.
   * A failure is not remembered: the next call or login tries again.
   * @throws JitSsoError `ERR_JIT_SSO_INVALID_OPTIONS` when passport-azure-ad is missing or refuses the options
   */
  ready(): Promise<void>;
}

/** Longest callback accepted (a code, a state, maybe an error description). */
const MAX_CALLBACK_BYTES = 8 * 1024;

/**
 * Microsoft Entra ID (Azure AD) sign-in through passport-azure-ad's `OIDCStrategy`, for apps that
 * already use it: authorization code flow with state, nonce and PKCE S256; ID-token signature, `iss`,
 * `aud`, `exp`, `nbf`, `nonce` checked by passport-azure-ad, and by jit-sso the pinned RS256
 * algorithm, `iat`, and the token's tenant (`tid`) against `allowedTenants` — required for the
 * multi-tenant `common` / `organizations` / `consumers` metadata. Users are keyed on tenant + object
 * id (`tid` / `oid`, the `entra-oidc` preset). passport-azure-ad (an optional peer dependency) is
 * imported when `jitSso()` mounts the provider, never by `import 'jit-sso/azure-ad'`.
 *
 * @deprecated passport-azure-ad is deprecated upstream (no fixes, unmaintained dependencies): move
 * to `oidcProvider` from `jit-sso` with the `entra-oidc` preset. Users stay the same people if the
 * new provider keeps the provider id (the identity key is the same `tid`/`oid`).
 *
 * @example
 * // Before: passport-azure-ad under jit-sso
 * import { azureAdProvider } from 'jit-sso/azure-ad';
 * azureAdProvider({
 *   id: 'entra',
 *   identityMetadata: 'https://login.microsoftonline.com/<tenant-id>/v2.0/.well-known/openid-configuration',
 *   clientID: process.env.ENTRA_CLIENT_ID!, clientSecret: process.env.ENTRA_CLIENT_SECRET!,
 *   redirectUrl: 'https://app.example.com/auth/entra/callback',
 * });
 * // After: openid-client, no passport-azure-ad (npm uninstall passport-azure-ad)
 * import { oidcProvider } from 'jit-sso';
 * oidcProvider({
 *   id: 'entra', preset: 'entra-oidc',
 *   issuer: 'https://login.microsoftonline.com/<tenant-id>/v2.0',
 *   clientId: process.env.ENTRA_CLIENT_ID!, clientSecret: process.env.ENTRA_CLIENT_SECRET!,
 *   callbackUrl: 'https://app.example.com/auth/entra/callback',
 * });
 * @example
 * // Work or school accounts of two tenants only (multi-tenant metadata needs allowedTenants)
 * azureAdProvider({
 *   id: 'entra',
 *   identityMetadata: 'https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration',
 *   allowedTenants: ['8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f', '5f1e2d3c-4b5a-4697-8899-aabbccddeeff'],
 *   clientID, clientSecret, redirectUrl: 'https://app.example.com/auth/entra/callback',
 * });
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth (3.1.3.7 ID Token validation)
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 * @see https://github.com/AzureAD/passport-azure-ad (deprecated)
 */
export function azureAdProvider(options: AzureAdProviderOptions): AzureAdSsoProvider {
  const o = resolveAzureAdOptions(options, `azureAdProvider(${typeof options?.id === 'string' ? options.id : '?'})`);
  let strategy: (() => Promise<OidcStrategyInstance>) | undefined;
  return {
    id: o.id,
    protocol: 'oidc',
    preset: 'entra-oidc',
    ...(o.claimMap ? { claimMap: o.claimMap } : {}),
    ...(o.provisioning ? { provisioning: o.provisioning } : {}),
    ...(o.multiTenant || (o.allowedTenants?.size ?? 0) > 1 ? { multiTenant: true } : {}),
    async ready() {
      await (strategy ? strategy() : loadOidcStrategy());
    },
    mount(context) {
      strategy = lazyStrategy(o, context.provisioner);
      // Start loading now, so that a missing package shows in the logs at start-up; the first login reports it too.
      strategy().catch((err: unknown) => {
        context.logger.error({ provider: o.id, code: isJitSsoError(err) ? err.code : undefined, reason: isJitSsoError(err) ? err.message : String(err) }, 'passport-azure-ad unavailable');
      });
      return mountAzureAd(o, strategy, context);
    },
  };
}

function mountAzureAd(o: ResolvedAzureAdOptions, strategy: () => Promise<OidcStrategyInstance>, { logger }: ProviderMountContext): ProviderRuntime {
  return {
    strategy: azureAdStrategy({ o, strategy, logger }),
    callbackMethods: [o.responseMode === 'query' ? 'get' : 'post'],
    maxMessageBytes: MAX_CALLBACK_BYTES,
    precheckCallback(req) {
      if ((req.originalUrl.split('?')[1] ?? '').length > MAX_CALLBACK_BYTES) throw new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { details: { reason: 'callback query over the size limit' } });
      callbackParams(req, o);
    },
    loginOptions: (returnTo) => ({ [LOGIN_OPTION]: { returnTo } }),
    callbackReturnTo: boundReturnTo,
  };
}

/** passport-azure-ad's strategy for these options, built once on first use (a failed load is retried). */
function lazyStrategy(o: ResolvedAzureAdOptions, provisioner: JitProvisioner): () => Promise<OidcStrategyInstance> {
  let building: Promise<OidcStrategyInstance> | undefined;
  return () => {
    building ??= loadOidcStrategy().then(
      (OIDCStrategy) => {
        try {
          return new OIDCStrategy(strategyConfig(o), azureAdVerify(o, provisioner));
        } catch (cause) {
          // jit-sso validated the options already; this is passport-azure-ad disagreeing.
          throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
            message: `azureAdProvider(${o.id}): passport-azure-ad refused the options: ${cause instanceof Error ? cause.message : String(cause)}`,
            details: { path: 'azureAdProvider', reason: 'OIDCStrategy constructor failed' },
            cause,
          });
        }
      },
      (err: unknown) => {
        building = undefined;
        throw err;
      },
    );
    return building;
  };
}

/** The `OIDCStrategy` settings: code flow, session-held state and nonce, issuer checked, no personal data logged. */
export function strategyConfig(o: ResolvedAzureAdOptions): OidcStrategyConfig {
  return {
    identityMetadata: o.identityMetadata,
    clientID: o.clientID,
    clientSecret: o.clientSecret,
    responseType: 'code',
    responseMode: o.responseMode,
    redirectUrl: o.redirectUrl,
    allowHttpForRedirectUrl: o.allowHttpForRedirectUrl,
    validateIssuer: o.validateIssuer,
    ...(o.issuers.length ? { issuer: [...o.issuers] } : {}),
    passReqToCallback: true,
    scope: o.scope.split(' ').filter(Boolean),
    useCookieInsteadOfSession: false,
    sessionKey: strategySessionKey(o.id),
    nonceLifetime: Math.ceil(o.loginTimeoutMs / 1000),
    nonceMaxAmount: MAX_PENDING,
    // passport-azure-ad wants a positive whole number of seconds.
    clockSkew: Math.max(1, Math.ceil(o.acceptedClockSkewMs / 1000)),
    isB2C: false,
    loggingNoPII: true,
    loggingLevel: 'error',
  };
}
