/**
 * jit-sso: single sign-on (SAML 2.0, OpenID Connect) for Express with just-in-time provisioning.
 * @module
 */
export * from './errors.js';
export * from './identity/index.js';
export * from './provisioning/index.js';
export * from './store/index.js';
export { memoryCache, type SsoCache, type MemoryCacheOptions } from './cache/sso-cache.js';
export { redisCache, type RedisCacheClient, type RedisCacheOptions } from './cache/redis-cache.js';
export { samlProvider, type SamlProviderOptions } from './providers/saml/saml-provider.js';
export { oidcProvider, ID_TOKEN_SIGNING_ALGS, CLIENT_ASSERTION_ALGS, type OidcProviderOptions, type OidcSsoProvider, type ResolveGroupsContext, type IdTokenSigningAlg, type ClientAssertionAlg } from './providers/oidc/oidc-provider.js';
export type { SsoProvider, SsoSessionInfo, ProviderRuntime, ProviderMountContext } from './providers/types.js';
export { jitSso, type JitSsoOptions, type JitSsoMiddleware } from './express/jit-sso.js';
export { requireAuth, requireRole, type RequireAuthOptions } from './express/guards.js';
export { currentUser } from './express/context.js';
export { safeReturnTo } from './express/safe-redirect.js';
export type { ErrorPage, JitSsoHooks } from './express/respond.js';
export { consoleLogger, silentLogger, type Logger } from './internal/logger.js';
