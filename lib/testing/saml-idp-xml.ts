/**
 * Builds the XML of the test SAML IdP's messages as strings, escaping every value.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { JitSsoError } from '../errors.js';
import { NAME_ID_FORMATS, SAML_CLAIM_NAMES, TEST_USER_FIELDS, type SamlPreset } from './claim-names.js';
import type { TestSamlAttribute, TestUser } from './saml-idp-types.js';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const BINDINGS = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
} as const;

export const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const PASSWORD_PROTECTED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

// XML 1.0 cannot carry these at all, escaped or not: fail loudly rather than emit a broken document.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function checkXmlChars(value: string): void {
  if (NOT_XML_CHAR.test(value)) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: 'Test SAML IdP: a value holds a character XML 1.0 cannot represent.',
      details: { value: JSON.stringify(value).slice(0, 80) },
    });
  }
}

/** Escapes text content; `\r` becomes a reference so the parser does not fold it into `\n`. */
export function escapeText(value: string): string {
  checkXmlChars(value);
  return value.replace(/[&<>\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' })[c] ?? c);
}

/** Escapes an attribute value, including the whitespace attribute normalisation would flatten. */
export function escapeAttr(value: string): string {
  checkXmlChars(value);
  return value.replace(
    /[&<>"\r\n\t]/g,
    (c) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' })[c] ??
      c,
  );
}

/** A SAML ID: an NCName (it must not start with a digit), 160 random bits. */
export function newSamlId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** `<tag a="…" …>children</tag>`, leaving out attributes whose value is undefined. */
function el(tag: string, attrs: Record<string, string | undefined>, children = ''): string {
  const rendered = Object.entries(attrs)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeAttr(value)}"`)
    .join('');
  return children === '' ? `<${tag}${rendered}/>` : `<${tag}${rendered}>${children}</${tag}>`;
}

/** The NameID value and format a preset gives this user. */
export function nameIdFor(user: TestUser, preset: SamlPreset): { value: string; format: string } {
  const names = SAML_CLAIM_NAMES[preset];
  return { value: names.nameIdSource === 'id' ? user.id : user.username, format: names.nameIdFormat };
}

/**
 * The attributes a preset sends for this user, in table order, then `user.attributes`.
 * Absent fields and empty lists are not sent, as a real IdP leaves out a claim with no value.
 */
export function attributesFor(user: TestUser, preset: SamlPreset): TestSamlAttribute[] {
  const names = SAML_CLAIM_NAMES[preset];
  const out: TestSamlAttribute[] = [];
  for (const field of TEST_USER_FIELDS) {
    let name = names.attributes[field];
    const value = user[field];
    if (field === 'username' && names.windowsAccountName && user.username.includes('\\')) {
      name = names.windowsAccountName;
    }
    if (name === undefined || value === undefined || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out.push({ name, values: value });
  }
  return [...out, ...toAttributeList(user.attributes ?? {})];
}

/** Accepts the array form or a record (whose own enumerable keys are read, `__proto__` included). */
export function toAttributeList(
  attributes: TestSamlAttribute[] | Record<string, string | string[]>,
): TestSamlAttribute[] {
  if (Array.isArray(attributes)) return attributes;
  return Object.keys(attributes).map((name) => ({ name, values: attributes[name] as string | string[] }));
}

/** Everything the Response template needs, already resolved. */
export interface ResponseParts {
  responseId: string;
  assertionId: string;
  issueInstant: Date;
  destination: string;
  inResponseTo: string | undefined;
  responseIssuer: string | null;
  assertionIssuer: string | null;
  statusCode: string;
  nameId: { value: string; format: string };
  subjectConfirmationMethod: string;
  recipient: string;
  notBefore: Date;
  notOnOrAfter: Date | undefined;
  audience: string | null;
  sessionIndex: string;
  attributeNameFormat: string | undefined;
  attributes: TestSamlAttribute[];
}

function issuer(value: string | null): string {
  return value === null ? '' : el('saml:Issuer', {}, escapeText(value));
}

function attributeStatement(parts: ResponseParts): string {
  if (parts.attributes.length === 0) return '';
  const attributes = parts.attributes.map((attribute) => {
    const values = Array.isArray(attribute.values) ? attribute.values : [attribute.values];
    const rendered = values.map((value) => `<saml:AttributeValue>${escapeText(value)}</saml:AttributeValue>`);
    return el('saml:Attribute', { Name: attribute.name, NameFormat: parts.attributeNameFormat }, rendered.join(''));
  });
  return `<saml:AttributeStatement>${attributes.join('')}</saml:AttributeStatement>`;
}

/** The unsigned `samlp:Response` with one `saml:Assertion`. */
export function buildResponseXml(parts: ResponseParts): string {
  const notOnOrAfter = parts.notOnOrAfter?.toISOString();
  const subject = el(
    'saml:Subject',
    {},
    el('saml:NameID', { Format: parts.nameId.format }, escapeText(parts.nameId.value)) +
      el(
        'saml:SubjectConfirmation',
        { Method: parts.subjectConfirmationMethod },
        el('saml:SubjectConfirmationData', {
          InResponseTo: parts.inResponseTo,
          NotOnOrAfter: notOnOrAfter,
          Recipient: parts.recipient,
        }),
      ),
  );
  const audience =
    parts.audience === null
      ? ''
      : `<saml:AudienceRestriction>${el('saml:Audience', {}, escapeText(parts.audience))}</saml:AudienceRestriction>`;
  const conditions = el('saml:Conditions', { NotBefore: parts.notBefore.toISOString(), NotOnOrAfter: notOnOrAfter }, audience);
  const authn = el(
    'saml:AuthnStatement',
    { AuthnInstant: parts.issueInstant.toISOString(), SessionIndex: parts.sessionIndex },
    `<saml:AuthnContext><saml:AuthnContextClassRef>${PASSWORD_PROTECTED}</saml:AuthnContextClassRef></saml:AuthnContext>`,
  );
  const assertion = el(
    'saml:Assertion',
    { 'xmlns:saml': NS.assertion, ID: parts.assertionId, Version: '2.0', IssueInstant: parts.issueInstant.toISOString() },
    issuer(parts.assertionIssuer) + subject + conditions + authn + attributeStatement(parts),
  );
  return el(
    'samlp:Response',
    {
      'xmlns:samlp': NS.protocol,
      'xmlns:saml': NS.assertion,
      ID: parts.responseId,
      Version: '2.0',
      IssueInstant: parts.issueInstant.toISOString(),
      Destination: parts.destination,
      InResponseTo: parts.inResponseTo,
    },
    issuer(parts.responseIssuer) +
      `<samlp:Status>${el('samlp:StatusCode', { Value: parts.statusCode })}</samlp:Status>` +
      assertion,
  );
}

/** The unsigned `samlp:LogoutRequest`. */
export function buildLogoutRequestXml(parts: {
  id: string;
  issuer: string;
  destination: string;
  nameId: { value: string; format: string };
  sessionIndex: string | undefined;
  issueInstant?: Date;
  notOnOrAfter?: Date | undefined;
}): string {
  const sessionIndex =
    parts.sessionIndex === undefined ? '' : el('samlp:SessionIndex', {}, escapeText(parts.sessionIndex));
  return el(
    'samlp:LogoutRequest',
    {
      'xmlns:samlp': NS.protocol,
      'xmlns:saml': NS.assertion,
      ID: parts.id,
      Version: '2.0',
      IssueInstant: (parts.issueInstant ?? new Date()).toISOString(),
      Destination: parts.destination,
      NotOnOrAfter: parts.notOnOrAfter?.toISOString(),
    },
    issuer(parts.issuer) +
      el('saml:NameID', { Format: parts.nameId.format }, escapeText(parts.nameId.value)) +
      sessionIndex,
  );
}

/** The unsigned `samlp:LogoutResponse`. */
export function buildLogoutResponseXml(parts: {
  id: string;
  issuer: string;
  destination: string | undefined;
  inResponseTo: string | undefined;
  statusCode: string;
  issueInstant?: Date;
}): string {
  return el(
    'samlp:LogoutResponse',
    {
      'xmlns:samlp': NS.protocol,
      'xmlns:saml': NS.assertion,
      ID: parts.id,
      Version: '2.0',
      IssueInstant: (parts.issueInstant ?? new Date()).toISOString(),
      Destination: parts.destination,
      InResponseTo: parts.inResponseTo,
    },
    issuer(parts.issuer) + `<samlp:Status>${el('samlp:StatusCode', { Value: parts.statusCode })}</samlp:Status>`,
  );
}

/** The IdP metadata: signing certificate, NameID formats, the SSO endpoint on both bindings. */
export function buildMetadataXml(parts: { issuer: string; certificate: string; entryPoint: string }): string {
  const certBody = parts.certificate.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  const keyDescriptor = el(
    'md:KeyDescriptor',
    { use: 'signing' },
    el(
      'ds:KeyInfo',
      { 'xmlns:ds': NS.dsig },
      `<ds:X509Data><ds:X509Certificate>${escapeText(certBody)}</ds:X509Certificate></ds:X509Data>`,
    ),
  );
  const formats = Object.values(NAME_ID_FORMATS).map((format) => `<md:NameIDFormat>${format}</md:NameIDFormat>`);
  const services = [BINDINGS.redirect, BINDINGS.post].map((binding) =>
    el('md:SingleSignOnService', { Binding: binding, Location: parts.entryPoint }),
  );
  const descriptor = el(
    'md:IDPSSODescriptor',
    { WantAuthnRequestsSigned: 'false', protocolSupportEnumeration: NS.protocol },
    keyDescriptor + formats.join('') + services.join(''),
  );
  return el('md:EntityDescriptor', { 'xmlns:md': NS.metadata, entityID: parts.issuer }, descriptor);
}
