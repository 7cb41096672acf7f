/**
 * `jit-sso/azure-ad`: Microsoft Entra ID sign-in through passport-azure-ad's `OIDCStrategy`, for apps
 * that already use it. passport-azure-ad is an optional peer dependency, deprecated upstream:
 * new apps use `oidcProvider({ preset: 'entra-oidc', … })` from `jit-sso`.
 * @module
 */
export { azureAdProvider, type AzureAdSsoProvider } from './azure-ad-provider.js';
export { AZURE_AD_RESPONSE_MODES, type AzureAdProviderOptions, type AzureAdResponseMode } from './azure-ad-options.js';
