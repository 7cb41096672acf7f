/**
 * Types of the local OpenID provider (`jit-sso/testing`).
 * @module
 */
import type { JsonWebKey } from 'node:crypto';
import type { TestUser } from './saml-idp-types.js';

/**
 * A person the test OpenID provider can sign in: a {@link TestUser} plus what OIDC adds.
 * @example
 * const alice: TestOidcUser = { id: 'oid-alice', username: 'alice@contoso.com', email: 'alice@contoso.com', emailVerified: true, tenant };
 */
export interface TestOidcUser extends TestUser {
  /** Sent as `email_verified` when set (Entra sends no such claim; leave it unset to imitate it). */
  emailVerified?: boolean;
  /** Entra shape: send the group overage (`_claim_names`/`_claim_sources`) whatever the number of groups. */
  overage?: boolean;
}

/** The claim shapes the test provider can imitate. */
export const TEST_OIDC_CLAIM_SHAPES = ['standard', 'entra'] as const;

/**
 * `'standard'`: `sub` = user id, `preferred_username`, `name`, `given_name`, `family_name`, `email`,
 * `groups`, `roles`. `'entra'`: Entra ID v2.0 tokens — `oid` and `tid`, `preferred_username` (the
 * UPN), `name`, `roles`, `groups` (the overage form above 200 groups), `ver: '2.0'`.
 */
export type TestOidcClaimShape = (typeof TEST_OIDC_CLAIM_SHAPES)[number];

/** Client authentication methods the test provider accepts at its token endpoint. */
export const TEST_OIDC_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type TestOidcAuthMethod = (typeof TEST_OIDC_AUTH_METHODS)[number];

/** A relying party registered at the test provider. */
export interface TestOidcClient {
  clientId: string;
  /** Needed for the `client_secret_*` methods. */
  clientSecret?: string;
  /** Exact redirect URIs (jit-sso's `callbackUrl`). */
  redirectUris: string[];
  /** @default 'client_secret_basic', or 'private_key_jwt' when `jwks` is given */
  tokenEndpointAuthMethod?: TestOidcAuthMethod;
  /** The client's public keys, for `private_key_jwt`. */
  jwks?: { keys: JsonWebKey[] };
}

/** Options of {@link createTestOidcProvider}. */
export interface TestOidcProviderOptions {
  /**
   * The people who can sign in. Their `attributes` become ID-token claims under the same names (the
   * names of users known at `start()`; oidc-provider only sends claims it was told about).
   */
  users: TestOidcUser[];
  /** The relying parties. */
  clients: TestOidcClient[];
  /**
   * The issuer's path on the local server, e.g. `'/contoso/v2.0'`; the issuer is
   * `http://127.0.0.1:{port}{issuer}`.
   * @default '' (the issuer is the origin)
   */
  issuer?: string;
  /** Whose claims to imitate. @default 'standard' */
  claimsShape?: TestOidcClaimShape;
  /** The RSA signing key as a private JWK (reuse one across tests: generating keys is slow). @default a fresh 2048-bit key */
  signingKey?: JsonWebKey;
}

/**
 * How {@link TestOidcProvider.tamperNextIdToken} re-signs the ID token:
 * - `'RS256'`: with the provider's own key (a genuine token with the changed claims);
 * - `'none'`: unsigned (`alg: none`, empty signature);
 * - `'HS256-with-public-key'`: HMAC-SHA256 keyed with the provider's public key PEM (the
 *   algorithm-confusion attack);
 * - `'other-key'`: RS256 with another key under the provider's `kid`.
 */
export const TAMPER_ALGS = ['RS256', 'none', 'HS256-with-public-key', 'other-key'] as const;
export type TamperAlg = (typeof TAMPER_ALGS)[number];

/** Changes an ID token's claims and says how to sign it; returning nothing re-signs it unchanged. */
export type IdTokenTamper = (
  claims: Record<string, unknown>,
  header: Record<string, unknown>,
) => { claims?: Record<string, unknown>; alg?: TamperAlg } | void;

/**
 * A local OpenID provider on oidc-provider, for tests and the example app; made by
 * {@link createTestOidcProvider}.
 *
 * WARNING: a test tool. Anyone who reaches it signs in as anyone, with no password, and it can forge
 * tokens on request. Never run it in production.
 * @example
 * const op = createTestOidcProvider({ users, clients: [{ clientId: 'app', clientSecret: 's3cret', redirectUris: [callbackUrl] }] });
 * await op.start();
 * const login = await agent.get('/auth/oidc/login');               // 302 to op.issuer/auth?…
 * const callback = await op.authorize(login.headers.location, 'oid-alice');
 * await agent.get(callback.pathname + callback.search);            // the app's callback
 * await op.close();
 */
export interface TestOidcProvider {
  /** `http://127.0.0.1:{port}{issuer}`; throws before `start()`. */
  readonly issuer: string;
  /** `{issuer}/.well-known/openid-configuration`. */
  readonly discoveryUrl: string;
  /** The public signing keys (as served at `jwks_uri`). */
  readonly jwks: { keys: JsonWebKey[] };
  /** Listens on 127.0.0.1 on a free port. */
  start(): Promise<void>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
  /** Copies of the registered users. */
  listUsers(): TestOidcUser[];
  /** A copy of the user with this id, or `undefined`. */
  getUser(id: string): TestOidcUser | undefined;
  /** Registers a user; throws when the id is taken. */
  addUser(user: TestOidcUser): TestOidcUser;
  /** Changes a user between logins; `id` cannot change. */
  updateUser(id: string, patch: Partial<Omit<TestOidcUser, 'id'>>): TestOidcUser;
  /** Makes the next authorization request sign in this user without showing the login page. */
  login(userId: string): void;
  /**
   * Plays the browser at the provider: follows the redirects of `authorizationUrl` with its own
   * cookie jar, signing in `userId` (or whoever `login()` armed), and returns the URL the provider
   * finally sends the browser to: the client's redirect URI with `code` and `state` (or `error`).
   */
  authorize(authorizationUrl: string, userId?: string): Promise<URL>;
  /** Replaces the ID token of the next successful token response (see {@link IdTokenTamper}). */
  tamperNextIdToken(tamper: IdTokenTamper): void;
}
