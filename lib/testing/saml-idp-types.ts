/// <reference lib="dom" />
// `beforeSign` and `tamperXml` hand the caller a DOM `Document` (as @xmldom/xmldom's own types do).
/**
 * Types of the test SAML IdP (`jit-sso/testing`).
 * @module
 */
import type { Router } from 'express';
import type { SamlPreset } from './claim-names.js';

/**
 * A person the test IdP can sign in.
 * @example
 * const alice: TestUser = { id: '5e1b7c3a-…', username: 'alice@contoso.com', groups: ['Staff'] };
 */
export interface TestUser {
  /** Stable object id: Entra `objectidentifier`, AD FS persistent NameID, Okta `oktaUserId`. */
  id: string;
  /** The login: a UPN (`alice@contoso.com`) or `CONTOSO\bob`. */
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  displayName?: string;
  groups?: string[];
  roles?: string[];
  /** Entra tenant id; only the `entra-saml` preset sends it. */
  tenant?: string;
  /** Extra attributes sent verbatim under these names, whatever the preset. */
  attributes?: Record<string, string | string[]>;
}

/** An RSA key pair in PEM, used to sign. */
export interface TestSamlKeys {
  /** PKCS#8 or PKCS#1 PEM. */
  privateKey: string;
  /** X.509 certificate PEM; put in `KeyInfo` and in the metadata. */
  certificate: string;
}

/** Options of {@link createTestSamlIdp}. */
export interface TestSamlIdpOptions {
  /** The people who can sign in. */
  users: TestUser[];
  /** The IdP entity id, used as `Issuer`. @default 'https://idp.test.local/saml' */
  issuer?: string;
  /** The signing key. @default a fresh 2048-bit RSA self-signed certificate (needs `selfsigned`) */
  keys?: TestSamlKeys;
  /** Whose claim names to imitate. @default 'entra-saml' */
  preset?: SamlPreset;
  /**
   * The public URL the router is mounted at, e.g. `'http://localhost:3000/idp'`. Gives
   * `idp.entryPoint` and the metadata's locations. Can also be given to `idp.router()`.
   */
  baseUrl?: string;
}

/** The signature algorithms the test IdP can sign with (the digest follows: SHA-256 or SHA-1). */
export const TEST_SIGNATURE_ALGORITHMS = ['rsa-sha256', 'rsa-sha1'] as const;

/** One of {@link TEST_SIGNATURE_ALGORITHMS}. */
export type TestSignatureAlgorithm = (typeof TEST_SIGNATURE_ALGORITHMS)[number];

/** Content encryption algorithms the test IdP can encrypt assertions with. */
export const TEST_ENCRYPTION_ALGORITHMS = ['aes128-gcm', 'aes256-gcm', 'aes128-cbc', 'aes256-cbc', 'tripledes-cbc'] as const;
/** One of {@link TEST_ENCRYPTION_ALGORITHMS}. */
export type TestEncryptionAlgorithm = (typeof TEST_ENCRYPTION_ALGORITHMS)[number];
/** Key transport algorithms the test IdP can wrap the content key with. */
export const TEST_KEY_TRANSPORTS = ['rsa-oaep-mgf1p', 'rsa-1_5'] as const;
/** One of {@link TEST_KEY_TRANSPORTS}. */
export type TestKeyTransport = (typeof TEST_KEY_TRANSPORTS)[number];

/** How the test IdP encrypts the assertion (`createResponse({ encrypt })`). */
export interface TestEncryptOptions {
  /** The SP's encryption certificate (PEM): its `decryptionCert`. */
  certificate: string;
  /** @default 'aes256-gcm' */
  algorithm?: TestEncryptionAlgorithm;
  /** @default 'rsa-oaep-mgf1p' (with SHA-1, its standard digest) */
  keyTransport?: TestKeyTransport;
}

/**
 * One extra `saml:Attribute`. Use this array form for hostile names such as `__proto__`, which an
 * object literal would turn into a prototype instead of a key.
 */
export interface TestSamlAttribute {
  name: string;
  values: string | string[];
}

/**
 * Options of {@link TestSamlIdp.createResponse}. Everything after `sessionIndex` is a tampering knob
 * for security tests: the result is still properly signed unless `sign` says otherwise.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-profiles-2.0-os.pdf §4.1.4.2 (what an SP must check)
 * @example
 * // Signed by the real IdP key, but for another ACS: the SP must refuse it.
 * idp.createResponse({ user: 'u1', acsUrl, audience: 'urn:app', recipient: 'https://evil.test/acs' });
 */
export interface CreateSamlResponseOptions {
  /** The user, by id or as a full object (which need not be registered). */
  user: string | TestUser;
  /** The SP's Assertion Consumer Service URL: `Destination` and the bearer `Recipient`. */
  acsUrl: string;
  /** The SP entity id for `AudienceRestriction`; `null` leaves `Conditions` without one. */
  audience: string | null;
  /** The AuthnRequest ID; omit for an IdP-initiated (unsolicited) response. */
  inResponseTo?: string;
  /** @default the IdP's preset */
  preset?: SamlPreset;
  /** @default a random id */
  sessionIndex?: string;
  /** @default issueInstant minus 5 minutes */
  notBefore?: Date;
  /** Conditions and SubjectConfirmationData `NotOnOrAfter`. @default issueInstant plus 5 minutes */
  notOnOrAfter?: Date;
  /** Leaves out every `NotOnOrAfter` (an assertion that never expires). */
  omitNotOnOrAfter?: boolean;
  /** @default now */
  issueInstant?: Date;
  /** @default a random `_…` id */
  assertionId?: string;
  /** @default a random `_…` id */
  responseId?: string;
  /** Overrides the Response `Destination` (default `acsUrl`). */
  destination?: string;
  /** Overrides the SubjectConfirmationData `Recipient` (default `acsUrl`). */
  recipient?: string;
  /** Overrides the Assertion `Issuer`; `null` leaves it out. */
  assertionIssuer?: string | null;
  /** Overrides the Response `Issuer`; `null` leaves it out. */
  responseIssuer?: string | null;
  /** @default 'urn:oasis:names:tc:SAML:2.0:cm:bearer' */
  subjectConfirmationMethod?: string;
  /** Overrides the top-level `StatusCode`. @default 'urn:oasis:names:tc:SAML:2.0:status:Success' */
  statusCode?: string;
  /** Attributes added after the user's. */
  extraAttributes?: TestSamlAttribute[] | Record<string, string | string[]>;
  /** @default 'rsa-sha256' */
  signatureAlgorithm?: TestSignatureAlgorithm;
  /** Which elements to sign. @default { assertion: true, response: true } */
  sign?: { assertion?: boolean; response?: boolean };
  /** Sign with this key instead (an attacker's); its certificate goes in `KeyInfo`. */
  signingKey?: TestSamlKeys;
  /** Overrides the NameID value. */
  nameId?: string;
  /** Overrides the NameID `Format`. */
  nameIdFormat?: string;
  /**
   * Encrypts the signed assertion for the SP (`EncryptedAssertion`), before the Response is signed,
   * as Entra ID and AD FS do when token encryption is on.
   */
  encrypt?: TestEncryptOptions;
  /**
   * Changes the DOM before signing, for hostile content the IdP itself signs (nested
   * `AttributeValue` elements, duplicate `Subject`s…). To break a signature instead, use `tamperXml`.
   */
  beforeSign?: (doc: Document) => void;
}

/** What {@link TestSamlIdp.createResponse} returns. */
export interface CreatedSamlResponse {
  /** The signed `samlp:Response`. */
  xml: string;
  /** `xml` in base64, the `SAMLResponse` form field of the HTTP-POST binding. */
  base64: string;
  responseId: string;
  assertionId: string;
  sessionIndex: string;
}

/** What {@link TestSamlIdp.parseAuthnRequest} reads from an AuthnRequest. */
export interface ParsedAuthnRequest {
  /** The request `ID`: the Response's `InResponseTo`. */
  id: string;
  acsUrl?: string;
  /** The SP entity id. */
  issuer?: string;
  destination?: string;
}

/** Options of {@link TestSamlIdp.createLogoutRequest}. */
export interface CreateLogoutRequestOptions {
  nameId: string;
  /** @default the IdP preset's NameID format */
  nameIdFormat?: string;
  sessionIndex?: string;
  /** The SP's single-logout URL. */
  destination: string;
  /** @default a fresh random ID */
  id?: string;
  /** @default now */
  issueInstant?: Date;
  /** Left out by default. */
  notOnOrAfter?: Date;
  /** An enveloped XML signature (HTTP-POST binding); leave it off for {@link TestSamlIdp.redirectQuery}. @default true */
  sign?: boolean;
}

/** Options of {@link TestSamlIdp.createLogoutResponse}. */
export interface CreateLogoutResponseOptions {
  /** The ID of the SP's LogoutRequest this answers; left out when `undefined`. */
  inResponseTo: string | undefined;
  /** The SP's single-logout URL; left out when `undefined`. */
  destination: string | undefined;
  /** @default 'urn:oasis:names:tc:SAML:2.0:status:Success' */
  statusCode?: string;
  /** An enveloped XML signature (HTTP-POST binding); leave it off for {@link TestSamlIdp.redirectQuery}. @default true */
  sign?: boolean;
}

/** Options of {@link TestSamlIdp.redirectQuery}. */
export interface RedirectQueryOptions {
  relayState?: string;
  /** Sign the query with the IdP key, RSA-SHA256 (bindings 3.4.4.1). @default true */
  sign?: boolean;
}

/** Options of {@link TestSamlIdp.router}. */
export interface TestSamlIdpRouterOptions {
  /** The public URL the router is mounted at. @default the `baseUrl` given on creation, else taken from each request */
  baseUrl?: string;
}

/**
 * A local SAML 2.0 identity provider for tests and the example app; made by {@link createTestSamlIdp}.
 *
 * WARNING: a test tool. Anyone who can reach its router signs in as anyone, with no password.
 * Never mount it in production.
 * @example
 * const { base64 } = idp.createResponse({ user: 'u1', acsUrl, audience: 'urn:app', inResponseTo: request.id });
 * await request(app).post('/sso/saml/acs').type('form').send({ SAMLResponse: base64 });
 */
export interface TestSamlIdp {
  /** The IdP entity id. */
  readonly issuer: string;
  /** The signing certificate (PEM): the SP's `idpCert`. */
  readonly certificate: string;
  /** The default preset. */
  readonly preset: SamlPreset;
  /** `{baseUrl}/sso` once a base URL is known (on creation, from `router()`, or from the first request). */
  readonly entryPoint: string | undefined;
  /** Copies of the registered users. */
  listUsers(): TestUser[];
  /** A copy of the user with this id, or `undefined`. */
  getUser(id: string): TestUser | undefined;
  /** Registers a user; throws when the id is taken. */
  addUser(user: TestUser): TestUser;
  /** Changes a user between logins (groups, roles, names…); `id` cannot change. */
  updateUser(id: string, patch: Partial<Omit<TestUser, 'id'>>): TestUser;
  /** Forgets a user; true when there was one. */
  removeUser(id: string): boolean;
  /** Builds and signs a `samlp:Response`. */
  createResponse(options: CreateSamlResponseOptions): CreatedSamlResponse;
  /** Reads an AuthnRequest: base64 of deflated XML (HTTP-Redirect) or of plain XML (HTTP-POST). */
  parseAuthnRequest(samlRequest: string): ParsedAuthnRequest;
  /** A `samlp:LogoutRequest` in base64 for the HTTP-POST binding. */
  createLogoutRequest(options: CreateLogoutRequestOptions): string;
  /** A `samlp:LogoutResponse` in base64 for the HTTP-POST binding. */
  createLogoutResponse(options: CreateLogoutResponseOptions): string;
  /**
   * The HTTP-Redirect binding query (`SAMLRequest=…&RelayState=…&SigAlg=…&Signature=…`) for a
   * message from {@link createLogoutRequest} / {@link createLogoutResponse} made with `sign: false`.
   */
  redirectQuery(message: string, options?: RedirectQueryOptions): string;
  /** The IdP metadata XML. */
  metadata(baseUrl?: string): string;
  /** The login pages (see {@link createTestSamlIdp}). */
  router(options?: TestSamlIdpRouterOptions): Router;
}
