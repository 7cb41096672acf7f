/**
 * A local SAML 2.0 identity provider for tests and the example app (`jit-sso/testing`).
 *
 * WARNING: a test tool. It signs anyone in as anyone, with no password. Never run it in production.
 * @module
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { JitSsoError } from '../errors.js';
import { SAML_CLAIM_NAMES, SAML_PRESETS, type SamlPreset } from './claim-names.js';
import { decodeAuthnRequest, tamperXml } from './saml-idp-dom.js';
import { withEncryptedAssertion } from './saml-idp-encrypt.js';
import { logoutMessages } from './saml-idp-logout.js';
import { createIdpRouter } from './saml-idp-pages.js';
import { assertionTarget, rootTarget, signElement } from './saml-idp-sign.js';
import {
  BEARER,
  STATUS_SUCCESS,
  attributesFor,
  buildMetadataXml,
  buildResponseXml,
  nameIdFor,
  newSamlId,
  toAttributeList,
} from './saml-idp-xml.js';
import {
  TEST_SIGNATURE_ALGORITHMS,
  type CreateLogoutRequestOptions,
  type CreateSamlResponseOptions,
  type CreatedSamlResponse,
  type TestSamlIdp,
  type TestSamlIdpOptions,
  type TestSamlKeys,
  type TestUser,
} from './saml-idp-types.js';

export { SAML_CLAIM_NAMES, SAML_PRESETS, NAME_ID_FORMATS, TEST_USER_FIELDS } from './claim-names.js';
export type { SamlClaimNames, SamlPreset, NameIdSource, TestUserField } from './claim-names.js';
export { tamperXml } from './saml-idp-dom.js';
export * from './saml-idp-types.js';

const DEFAULT_ISSUER = 'https://idp.test.local/saml';
const FIVE_MINUTES_MS = 5 * 60 * 1000;

function invalid(path: string, message: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: `Test SAML IdP: ${message}`, details: { path } });
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function checkUser(user: TestUser, path: string): TestUser {
  if (!user || typeof user !== 'object') throw invalid(path, 'a user must be an object.');
  if (!isNonEmptyString(user.id)) throw invalid(`${path}.id`, 'a user needs a non-empty id.');
  if (!isNonEmptyString(user.username)) throw invalid(`${path}.username`, 'a user needs a non-empty username.');
  for (const key of ['groups', 'roles'] as const) {
    if (user[key] !== undefined && !isStringList(user[key])) {
      throw invalid(`${path}.${key}`, `${key} must be a list of strings.`);
    }
  }
  return structuredClone(user);
}

function checkPreset(preset: unknown, path: string): SamlPreset {
  if (!(SAML_PRESETS as readonly unknown[]).includes(preset)) {
    throw invalid(path, `preset must be one of ${SAML_PRESETS.join(', ')}.`);
  }
  return preset as SamlPreset;
}

function checkKeys(keys: TestSamlKeys, path: string): TestSamlKeys {
  try {
    if (!new X509Certificate(keys.certificate).checkPrivateKey(createPrivateKey(keys.privateKey))) {
      throw invalid(path, 'the private key does not match the certificate.');
    }
  } catch (err) {
    if (err instanceof JitSsoError) throw err;
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: 'Test SAML IdP: keys must be a PEM private key and a PEM X.509 certificate.',
      details: { path },
      cause: err,
    });
  }
  return keys;
}

/**
 * A fresh 2048-bit RSA key and self-signed certificate, for a test IdP or an "attacker" key in
 * security tests. Needs the optional peer dependency `selfsigned`.
 * @example
 * const attacker = await generateTestKeys();
 * idp.createResponse({ ..., signingKey: attacker });
 */
export async function generateTestKeys(): Promise<TestSamlKeys> {
  let generate: typeof import('selfsigned').generate;
  try {
    const mod = await import('selfsigned');
    generate = mod.generate ?? (mod as unknown as { default: typeof mod }).default.generate;
  } catch (err) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: 'Test SAML IdP: pass `keys`, or install the optional peer dependency `selfsigned`.',
      details: { path: 'keys' },
      cause: err,
    });
  }
  const pems = await generate([{ name: 'commonName', value: 'jit-sso test SAML IdP' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
  });
  return { privateKey: pems.private, certificate: pems.cert };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Starts a local SAML IdP for tests and the example app: it signs Responses that node-saml accepts
 * with `wantAssertionsSigned` and `wantAuthnResponseSigned`, shaped like Entra ID, AD FS or Okta.
 *
 * WARNING: a test tool. Anyone who reaches its router signs in as any user, with no password, and
 * its tampering options forge messages. Never mount it, or ship its keys, in production.
 *
 * The router is mounted by the app at a path of its choice; pass the public URL of that path as
 * `baseUrl` (here or to `idp.router()`), else it is taken from each request. With base URL `B`:
 * - `GET B/sso?SAMLRequest=…&RelayState=…` (HTTP-Redirect; `POST B/sso` for HTTP-POST): login page
 *   listing the users, with a box to type a username. Request signatures are not checked.
 * - `POST B/sso/login` (`SAMLRequest`, `RelayState`, `user` id or `username`): an HTML form that
 *   posts `SAMLResponse` and `RelayState` to the request's ACS URL, by script or by its button.
 * - `GET B/initiate?user=…&acs=…&audience=…[&RelayState=…&preset=…]`: IdP-initiated (unsolicited).
 * - `GET B/metadata`: IdP metadata; `idp.entryPoint` is `B/sso`.
 *
 * @default issuer `'https://idp.test.local/saml'`, preset `'entra-saml'`, a fresh RSA-2048 key
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-profiles-2.0-os.pdf §4.1 (Web Browser SSO)
 * @example
 * const idp = await createTestSamlIdp({ users: [{ id: 'u1', username: 'alice@contoso.com', groups: ['Staff'] }] });
 * app.use('/idp', idp.router({ baseUrl: 'http://localhost:3000/idp' }));
 * // SP: new SAML({ entryPoint: idp.entryPoint, idpCert: idp.certificate, … })
 * const { base64 } = idp.createResponse({ user: 'u1', acsUrl: 'http://localhost:3000/sso/saml/acs', audience: 'urn:app' });
 * idp.updateUser('u1', { groups: ['Staff', 'Admins'] }); // seen at the next login
 */
export async function createTestSamlIdp(options: TestSamlIdpOptions): Promise<TestSamlIdp> {
  if (!options || !Array.isArray(options.users)) throw invalid('users', 'users must be a list.');
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  if (!isNonEmptyString(issuer)) throw invalid('issuer', 'issuer must be a non-empty string.');
  const preset = checkPreset(options.preset ?? 'entra-saml', 'preset');
  const keys = checkKeys(options.keys ?? (await generateTestKeys()), 'keys');
  const users = new Map<string, TestUser>();
  let fixedBaseUrl = options.baseUrl === undefined ? undefined : trimSlash(options.baseUrl);
  let seenBaseUrl = fixedBaseUrl;

  const addUser = (user: TestUser, path: string): TestUser => {
    const copy = checkUser(user, path);
    if (users.has(copy.id)) throw invalid(`${path}.id`, `a user with id "${copy.id}" already exists.`);
    users.set(copy.id, copy);
    return structuredClone(copy);
  };
  options.users.forEach((user, i) => addUser(user, `users[${i}]`));

  const requireUser = (id: string): TestUser => {
    const user = users.get(id);
    if (!user) throw invalid('user', `there is no user with id "${id}".`);
    return user;
  };

  const createResponse = (o: CreateSamlResponseOptions): CreatedSamlResponse => {
    const user = typeof o.user === 'string' ? requireUser(o.user) : checkUser(o.user, 'user');
    if (!isNonEmptyString(o.acsUrl)) throw invalid('acsUrl', 'acsUrl is required.');
    if (o.audience !== null && !isNonEmptyString(o.audience)) throw invalid('audience', 'audience is required (or null).');
    const responsePreset = checkPreset(o.preset ?? preset, 'preset');
    const algorithm = o.signatureAlgorithm ?? 'rsa-sha256';
    if (!TEST_SIGNATURE_ALGORITHMS.includes(algorithm)) throw invalid('signatureAlgorithm', 'unknown signature algorithm.');
    const issueInstant = o.issueInstant ?? new Date();
    const defaultNameId = nameIdFor(user, responsePreset);
    const parts = {
      responseId: o.responseId ?? newSamlId(),
      assertionId: o.assertionId ?? newSamlId(),
      issueInstant,
      destination: o.destination ?? o.acsUrl,
      inResponseTo: o.inResponseTo,
      responseIssuer: o.responseIssuer === undefined ? issuer : o.responseIssuer,
      assertionIssuer: o.assertionIssuer === undefined ? issuer : o.assertionIssuer,
      statusCode: o.statusCode ?? STATUS_SUCCESS,
      nameId: { value: o.nameId ?? defaultNameId.value, format: o.nameIdFormat ?? defaultNameId.format },
      subjectConfirmationMethod: o.subjectConfirmationMethod ?? BEARER,
      recipient: o.recipient ?? o.acsUrl,
      notBefore: o.notBefore ?? new Date(issueInstant.getTime() - FIVE_MINUTES_MS),
      notOnOrAfter: o.omitNotOnOrAfter ? undefined : (o.notOnOrAfter ?? new Date(issueInstant.getTime() + FIVE_MINUTES_MS)),
      audience: o.audience,
      sessionIndex: o.sessionIndex ?? newSamlId(),
      attributeNameFormat: SAML_CLAIM_NAMES[responsePreset].attributeNameFormat,
      attributes: [...attributesFor(user, responsePreset), ...toAttributeList(o.extraAttributes ?? [])],
    };
    const signingKeys = o.signingKey ? checkKeys(o.signingKey, 'signingKey') : keys;
    let xml = buildResponseXml(parts);
    if (o.beforeSign) xml = tamperXml(xml, o.beforeSign);
    // Assertion first: the Response signature then covers the signed Assertion, as real IdPs do.
    if (o.sign?.assertion ?? true) {
      xml = signElement(xml, assertionTarget(parts.assertionIssuer !== null), signingKeys, algorithm);
    }
    if (o.encrypt) xml = withEncryptedAssertion(xml, o.encrypt);
    if (o.sign?.response ?? true) {
      xml = signElement(xml, rootTarget('Response', parts.responseIssuer !== null), signingKeys, algorithm);
    }
    return {
      xml,
      base64: Buffer.from(xml, 'utf8').toString('base64'),
      responseId: parts.responseId,
      assertionId: parts.assertionId,
      sessionIndex: parts.sessionIndex,
    };
  };

  const logout = logoutMessages(issuer, keys, SAML_CLAIM_NAMES[preset].nameIdFormat);
  const createLogoutRequest = (o: CreateLogoutRequestOptions): string => {
    if (!isNonEmptyString(o.nameId)) throw invalid('nameId', 'nameId is required.');
    if (!isNonEmptyString(o.destination)) throw invalid('destination', 'destination is required.');
    return logout.createLogoutRequest(o);
  };

  const idp: TestSamlIdp = {
    issuer,
    certificate: keys.certificate,
    preset,
    get entryPoint() {
      return seenBaseUrl === undefined ? undefined : `${seenBaseUrl}/sso`;
    },
    listUsers: () => [...users.values()].map((user) => structuredClone(user)),
    getUser: (id) => {
      const user = users.get(id);
      return user && structuredClone(user);
    },
    addUser: (user) => addUser(user, 'user'),
    updateUser: (id, patch) => {
      const updated = checkUser({ ...requireUser(id), ...patch, id }, 'patch');
      users.set(id, updated);
      return structuredClone(updated);
    },
    removeUser: (id) => users.delete(id),
    createResponse,
    parseAuthnRequest: decodeAuthnRequest,
    createLogoutRequest,
    createLogoutResponse: logout.createLogoutResponse,
    redirectQuery: logout.redirectQuery,
    metadata: (baseUrl) => {
      const base = baseUrl === undefined ? seenBaseUrl : trimSlash(baseUrl);
      if (base === undefined) throw invalid('baseUrl', 'metadata needs the base URL the router is mounted at.');
      return buildMetadataXml({ issuer, certificate: keys.certificate, entryPoint: `${base}/sso` });
    },
    router: (routerOptions = {}) => {
      if (routerOptions.baseUrl !== undefined) fixedBaseUrl = seenBaseUrl = trimSlash(routerOptions.baseUrl);
      const baseUrl = fixedBaseUrl;
      return createIdpRouter({
        idp,
        baseUrl,
        noteBaseUrl: (url) => {
          seenBaseUrl ??= url;
        },
      });
    },
  };
  return idp;
}
