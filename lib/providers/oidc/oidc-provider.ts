/**
 * `oidcProvider()`: OpenID Connect (authorization code + PKCE) through openid-client, loaded lazily,
 * with secure defaults and the checks openid-client leaves to its callers (oidc-checks.ts).
 * @module
 */
import type { ProvisioningOptions } from '../../provisioning/policy.js';
import type { ProviderMountContext, ProviderRuntime, SsoProvider } from '../types.js';
import { discoverIdp, type DiscoveredIdp } from './oidc-client.js';
import { oidcRefusal } from './oidc-checks.js';
import { boundReturnTo, LOGIN_OPTION, oidcStrategy } from './oidc-flow.js';
import { resolveOidcOptions, type OidcProviderOptions, type ResolvedOidcOptions } from './oidc-options.js';

export type { OidcProviderOptions, ResolveGroupsContext, IdTokenSigningAlg, ClientAssertionAlg } from './oidc-options.js';
export { ID_TOKEN_SIGNING_ALGS, CLIENT_ASSERTION_ALGS } from './oidc-options.js';

/** An OIDC provider for `jitSso()`, with a way to discover the IdP before the first login. */
export interface OidcSsoProvider extends SsoProvider {
  readonly protocol: 'oidc';
  /**
   * Loads openid-client and fetches the IdP's discovery document now rather than at the first login
   * (e.g. in a readiness probe). A failure is not remembered: the next call or login tries again.
   * @throws JitSsoError `ERR_JIT_SSO_IDP_UNAVAILABLE` or `ERR_JIT_SSO_INVALID_OPTIONS`
   */
  ready(): Promise<void>;
}

/** Longest callback query accepted (a code, a state, an `iss`, maybe an error description). */
const MAX_CALLBACK_QUERY = 8 * 1024;

/**
 * An OpenID Connect identity provider for `jitSso()`: authorization code flow with PKCE S256, state
 * and nonce on every login; ID-token signature checked against the IdP's keys with the algorithms
 * pinned (never `none` or `HS*`); `iss`, `aud`, `azp`, `exp`, `iat` and `nonce` checked; one
 * callback URL per provider. Discovery and openid-client itself load on first use.
 *
 * @example
 * oidcProvider({
 *   id: 'entra', preset: 'entra-oidc',
 *   issuer: 'https://login.microsoftonline.com/<tenant-id>/v2.0',
 *   clientId: process.env.ENTRA_CLIENT_ID!, clientSecret: process.env.ENTRA_CLIENT_SECRET!,
 *   callbackUrl: 'https://app.example.com/auth/entra/callback',
 * })
 * @example
 * // Any work or school account, from two tenants only
 * oidcProvider({
 *   id: 'entra', preset: 'entra-oidc',
 *   issuer: 'https://login.microsoftonline.com/organizations/v2.0',
 *   allowedTenants: ['8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f', '1b2c3d4e-…'],
 *   clientId, clientSecret, callbackUrl: 'https://app.example.com/auth/entra/callback',
 * })
 * @see https://openid.net/specs/openid-connect-core-1_0.html#CodeFlowAuth (3.1.3.7 ID Token validation)
 * @see https://www.rfc-editor.org/rfc/rfc9700 (OAuth 2.0 Security Best Current Practice)
 */
export function oidcProvider(options: OidcProviderOptions): OidcSsoProvider {
  const o = resolveOidcOptions(options, `oidcProvider(${typeof options?.id === 'string' ? options.id : '?'})`);
  let discovering: Promise<DiscoveredIdp> | undefined;
  const ready = (): Promise<DiscoveredIdp> => {
    discovering ??= discoverIdp(o).catch((err: unknown) => {
      discovering = undefined;
      throw err;
    });
    return discovering;
  };
  return {
    id: o.id,
    protocol: 'oidc',
    preset: o.preset,
    ...(o.claimMap ? { claimMap: o.claimMap } : {}),
    ...(o.provisioning ? { provisioning: o.provisioning as ProvisioningOptions } : {}),
    ...(o.multiTenant || (o.allowedTenants?.size ?? 0) > 1 ? { multiTenant: true } : {}),
    ready: async () => void (await ready()),
    mount: (context) => mountOidc(o, ready, context),
  };
}

function mountOidc(o: ResolvedOidcOptions, ready: () => Promise<DiscoveredIdp>, { provisioner, logger }: ProviderMountContext): ProviderRuntime {
  return {
    strategy: oidcStrategy({ o, ready, provisioner, logger }),
    callbackMethods: ['get'],
    maxMessageBytes: MAX_CALLBACK_QUERY,
    precheckCallback(req) {
      // The code comes back in the query (response_mode=query); a POST is not a response to our request.
      if (req.method !== 'GET') throw oidcRefusal(`callback by ${req.method}, expected GET`);
      const query = req.originalUrl.split('?')[1] ?? '';
      if (query.length > MAX_CALLBACK_QUERY) throw oidcRefusal('callback query over the size limit');
    },
    loginOptions: (returnTo) => ({ [LOGIN_OPTION]: { returnTo } }),
    callbackReturnTo: boundReturnTo,
  };
}
