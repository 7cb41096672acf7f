/**
 * Test tools for apps using jit-sso: the `UserStore` contract suite and a local SAML IdP.
 * WARNING: for tests and local development only; never mount the test IdP in production.
 * @module
 */
export * from './conformance/index.js';
export * from './saml-idp.js';
export * from './oidc-provider.js';
