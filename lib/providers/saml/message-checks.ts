/**
 * The checks jit-sso makes on a SAML message that node-saml leaves to its callers: before
 * node-saml sees it (size, DOCTYPE, comments, SHA-1, inflate limit) and after it has verified the
 * signatures (Destination, Recipient, assertion Issuer, bearer confirmation, age, replay id).
 * @module
 */
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { JitSsoError } from '../../errors.js';
import { checkAssertionStructure, checkResponseStructure, children } from './structure-checks.js';
import { guardXml, LOGOUT_GUARD_LIMITS, XML_GUARD_LIMITS, type GuardLimits } from './xml-guard.js';

const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAML_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** Attribute names that must never become object keys. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';
/** Signature and digest algorithms jit-sso accepts — an allow-list, checked on the parsed document. */
const SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
]);
const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

/** A protocol refusal: one generic message for the person, the reason in `details` for the audit. */
export function samlRefusal(reason: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { details: { reason } });
}

/** A decoded message that passed the prechecks and the algorithm allow-list, with its parsed root for the checks that read it. */
export interface PrecheckedMessage {
  xml: string;
  root: Element;
}

/**
 * Decodes a POST-binding message and refuses what no honest IdP sends, before any parser reads it:
 * a DOCTYPE or entity declaration (entity expansion), XML comments (the comment-in-NameID
 * truncation attack), and — through the streaming guard (xml-guard.ts) — anything not well-formed or
 * over the guard's caps (400), which would otherwise cost xmldom quadratic time before any signature
 * is checked. No DOM is built: a login's message is parsed once, by the checks after node-saml's
 * validation ({@link checkVerifiedAssertion}), which also apply the algorithm allow-list.
 */
export function screenPostMessage(base64: unknown): string {
  return screenXml(decodePostMessage(base64), XML_GUARD_LIMITS);
}

function decodePostMessage(base64: unknown): string {
  if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/=\r\n]+$/.test(base64)) throw samlRefusal('message is not base64');
  return Buffer.from(base64, 'base64').toString('utf8');
}

/** {@link screenPostMessage} with the logout caps, then the parse and the algorithm allow-list (SHA-1 refused): a logout message's prechecks. */
export function precheckPostMessage(base64: unknown): PrecheckedMessage {
  return parseAllowed(screenXml(decodePostMessage(base64), LOGOUT_GUARD_LIMITS));
}

/** Inflates a redirect-binding message with an output limit (a deflate bomb is refused), then prechecks it. */
export function precheckRedirectMessage(base64: unknown, maxBytes: number): PrecheckedMessage {
  if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/=]+$/.test(base64)) throw samlRefusal('message is not base64');
  let xml: string;
  try {
    xml = inflateRawSync(Buffer.from(base64, 'base64'), { maxOutputLength: maxBytes }).toString('utf8');
  } catch {
    throw samlRefusal('redirect message does not inflate within the limit');
  }
  return parseAllowed(screenXml(xml, LOGOUT_GUARD_LIMITS));
}

/** The text checks (their reasons kept from before the guard, which refuses the same on tokens), then the guard. */
function screenXml(xml: string, limits: GuardLimits | null): string {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw samlRefusal('DOCTYPE or entity declaration in message');
  if (xml.includes('<!--')) throw samlRefusal('XML comment in message');
  if (limits) guardXml(xml, samlRefusal, limits);
  return xml;
}

/** The text checks and the guard, then the parse and the algorithm allow-list. */
function precheckXml(xml: string): PrecheckedMessage {
  return parseAllowed(screenXml(xml, XML_GUARD_LIMITS));
}

/** Parses a screened message and applies the algorithm allow-list to it. */
function parseAllowed(xml: string): PrecheckedMessage {
  // On the parsed document, so that character references (sha&#49;) cannot hide an algorithm.
  const root = parse(xml);
  for (const [name, allowed] of [['SignatureMethod', SIGNATURE_ALGORITHMS], ['DigestMethod', DIGEST_ALGORITHMS]] as const) {
    for (const el of descendants(root, XMLDSIG, name)) {
      // A digest counts where it digests signed content: under a signature's Reference. The one in
      // an EncryptedKey's EncryptionMethod is RSA-OAEP's parameter (SHA-1 in the standard rsa-oaep-mgf1p).
      if (name === 'DigestMethod' && !isSignatureReference(el.parentNode)) continue;
      if (!allowed.has(el.getAttribute('Algorithm') ?? '')) throw samlRefusal('SHA-1 signature or digest, or an algorithm not allowed');
    }
  }
  return { xml, root };
}

/** A `ds:Reference`, whose `DigestMethod` xml-crypto uses (it reads any `Reference` child of `SignedInfo` by local name). */
function isSignatureReference(node: Node | null): boolean {
  return node?.nodeType === 1 && (node as Element).localName === 'Reference';
}

/** Checks a verified LogoutResponse (the prechecked message node-saml has just verified): its Issuer and status; returns its InResponseTo. */
export function checkLogoutResponse({ root }: PrecheckedMessage, idpIssuer: string): string {
  if (root.localName !== 'LogoutResponse' || root.namespaceURI !== SAML_PROTOCOL) throw samlRefusal('not a LogoutResponse');
  const issuer = first(root, 'Issuer');
  if (!issuer || text(issuer) !== idpIssuer) throw samlRefusal('LogoutResponse Issuer is not the IdP');
  const statusCode = firstIn(firstIn(root, SAML_PROTOCOL, 'Status') ?? root, SAML_PROTOCOL, 'StatusCode');
  if (statusCode?.getAttribute('Value') !== SUCCESS) throw samlRefusal('LogoutResponse status is not Success');
  const inResponseTo = root.getAttribute('InResponseTo');
  if (!inResponseTo) throw samlRefusal('LogoutResponse has no InResponseTo');
  return inResponseTo;
}

/** What the post-validation checks need to know about the provider. */
export interface AssertionCheckConfig {
  callbackUrl: string;
  idpIssuer: string;
  maxAssertionAgeMs: number;
  acceptedClockSkewMs: number;
  /** node-saml was told to require the Response's own signature (`wantAuthnResponseSigned`). */
  responseSigned?: boolean;
}

/** The facts of a verified assertion jit-sso needs further on. */
export interface CheckedAssertion {
  /** The assertion's ID, the replay-cache key. */
  id: string;
  /** When the assertion stops being acceptable (for the replay cache's TTL). */
  expiresAtMs: number;
  /** The node-saml-shaped profile, built from the verified assertion on a prototype-less object. */
  profile: Record<string, string | string[]>;
  /** For single logout. */
  nameID: string;
  nameIDFormat?: string;
  sessionIndex?: string;
}

/**
 * Checks a response node-saml has verified. `responseXml` is the whole response node-saml validated
 * (`profile.getSamlResponseXml()`); it is parsed here, once per login, and the algorithm allow-list
 * applied to it (on the parsed document, so that a character reference — `sha&#49;` — cannot hide an
 * algorithm). The parse comes after node-saml's validation rather than before it so that no document
 * is held through the validation's milliseconds, several logins at a time.
 *
 * The assertion is read from that document only when node-saml has verified the Response's own
 * signature (`responseSigned`): that signature is a child of the root, references the root's ID,
 * which no other element has, so everything under the root — the one Assertion included — is what
 * was signed, and no wrapped copy can stand in for it (node-saml itself takes the assertion from the
 * signed response then). Otherwise (an unsigned Response, an encrypted assertion) the verified
 * `assertionXml` node-saml returns is parsed on its own; it may be given as a function (node-saml
 * serialises it anew on each call, and it is only needed then).
 */
export function checkVerifiedAssertion(
  responseXml: string,
  assertionXml: string | (() => string),
  config: AssertionCheckConfig,
  nowMs: number,
): CheckedAssertion {
  // The response node-saml has validated is the posted message the ACS precheck guarded: not guarded twice.
  const response = parseAllowed(screenXml(responseXml, null)).root;
  checkResponseStructure(response);
  if (response.getAttribute('Destination') !== config.callbackUrl) throw samlRefusal('Destination is not the ACS URL');
  // node-saml ignores the top-level status when a signed assertion is present.
  const status = firstIn(response, SAML_PROTOCOL, 'Status');
  const statusCode = status && firstIn(status, SAML_PROTOCOL, 'StatusCode');
  if (statusCode?.getAttribute('Value') !== SUCCESS) throw samlRefusal('Response status is not Success');
  const responseIssuer = first(response, 'Issuer');
  if (responseIssuer && text(responseIssuer) !== config.idpIssuer) throw samlRefusal('Response Issuer is not the IdP');

  const assertion = (config.responseSigned && onlyAssertionOf(response)) || parse(typeof assertionXml === 'string' ? assertionXml : assertionXml());
  checkAssertionStructure(assertion);
  const issuer = first(assertion, 'Issuer');
  if (!issuer || text(issuer) !== config.idpIssuer) throw samlRefusal('Assertion Issuer is not the IdP');
  const id = assertion.getAttribute('ID');
  if (!id) throw samlRefusal('assertion has no ID');

  const subject = first(assertion, 'Subject');
  const nameIdEl = subject && first(subject, 'NameID');
  const nameID = nameIdEl ? text(nameIdEl) : '';
  if (!subject || !nameID) throw samlRefusal('assertion has no NameID');
  const confirmations = subject ? all(subject, 'SubjectConfirmation') : [];
  if (confirmations.length === 0) throw samlRefusal('no SubjectConfirmation');
  if (confirmations.some((c) => c.getAttribute('Method') !== BEARER)) throw samlRefusal('subject confirmation is not bearer');
  const data = confirmations.map((c) => first(c, 'SubjectConfirmationData'));
  if (!data.some((d) => d?.getAttribute('Recipient') === config.callbackUrl)) throw samlRefusal('Recipient is not the ACS URL');

  const expiresAtMs = expiry(assertion, data, config, nowMs);
  const authn = first(assertion, 'AuthnStatement');
  const sessionIndex = authn?.getAttribute('SessionIndex') || undefined;
  const nameIDFormat = nameIdEl?.getAttribute('Format') || undefined;

  const profile = assertionProfile(assertion, { issuer: text(issuer), nameID, nameIDFormat, sessionIndex });
  return { id, expiresAtMs, profile, nameID, ...(nameIDFormat ? { nameIDFormat } : {}), ...(sessionIndex ? { sessionIndex } : {}) };
}

/** The node-saml-shaped profile of an assertion, on a prototype-less object; forbidden attribute names are refused. */
function assertionProfile(
  assertion: Element,
  base: { issuer: string; nameID: string; nameIDFormat?: string | undefined; sessionIndex?: string | undefined },
): Record<string, string | string[]> {
  const profile: Record<string, string | string[]> = Object.create(null);
  profile.issuer = base.issuer;
  profile.nameID = base.nameID;
  if (base.nameIDFormat) profile.nameIDFormat = base.nameIDFormat;
  if (base.sessionIndex) profile.sessionIndex = base.sessionIndex;
  // Only the assertion's own statements: never an Attribute nested deeper (an assertion in Advice).
  for (const statement of children(assertion, SAML_ASSERTION, 'AttributeStatement')) {
    for (const attribute of children(statement, SAML_ASSERTION, 'Attribute')) {
      const name = attribute.getAttribute('Name') ?? '';
      if (FORBIDDEN_NAMES.has(name)) throw samlRefusal(`forbidden attribute name "${name}"`);
      if (!name || Object.hasOwn(profile, name)) continue;
      const values = children(attribute, SAML_ASSERTION, 'AttributeValue').map(attributeText);
      if (values.length) profile[name] = values.length === 1 ? (values[0] as string) : values;
    }
  }
  return profile;
}

/**
 * An AttributeValue's text. A value holding elements (or processing instructions) is refused rather
 * than flattened: `<x>Adm<b>in</b></x>` must not read as "Admin".
 */
function attributeText(value: Element): string {
  for (let node = value.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 3 && node.nodeType !== 4) throw samlRefusal('AttributeValue holds markup, not text');
  }
  return text(value);
}

/**
 * Reads the profile of a SAML Response **without verifying anything** — for `jit-sso explain`, which
 * shows what a login would do with a captured response. Never use it to sign anyone in.
 */
export function readUnverifiedProfile(xml: string): Record<string, string | string[]> {
  const { root } = precheckXml(xml);
  const assertion = root.localName === 'Assertion' ? root : all(root, 'Assertion')[0];
  if (!assertion) throw samlRefusal('no Assertion in the message (encrypted assertions cannot be explained)');
  const issuer = first(assertion, 'Issuer');
  const nameIdEl = first(assertion, 'Subject') && first(first(assertion, 'Subject')!, 'NameID');
  const authn = first(assertion, 'AuthnStatement');
  return assertionProfile(assertion, {
    issuer: issuer ? text(issuer) : '',
    nameID: nameIdEl ? text(nameIdEl) : '',
    nameIDFormat: nameIdEl?.getAttribute('Format') || undefined,
    sessionIndex: authn?.getAttribute('SessionIndex') || undefined,
  });
}

/** The latest time the assertion is acceptable; it must be in the future. Without NotOnOrAfter, IssueInstant + max age. */
function expiry(assertion: Element, data: Array<Element | undefined>, config: AssertionCheckConfig, nowMs: number): number {
  const issued = Date.parse(assertion.getAttribute('IssueInstant') ?? '');
  if (Number.isNaN(issued)) throw samlRefusal('assertion has no IssueInstant');
  const limits = [issued + config.maxAssertionAgeMs];
  const conditions = first(assertion, 'Conditions');
  for (const el of [conditions, ...data]) {
    const notOnOrAfter = el?.getAttribute('NotOnOrAfter');
    if (notOnOrAfter) limits.push(Date.parse(notOnOrAfter));
  }
  const expiresAtMs = Math.min(...limits);
  if (!(expiresAtMs + config.acceptedClockSkewMs > nowMs)) throw samlRefusal('assertion expired or older than maxAssertionAgeMs');
  return expiresAtMs + config.acceptedClockSkewMs;
}

/** Parses a message the guard has let through into its root element; a parse error is a refusal. */
export function parse(xml: string): Element {
  const errors: string[] = [];
  const onError = (msg: string) => void errors.push(msg);
  const doc = new DOMParser({ errorHandler: { error: onError, fatalError: onError } }).parseFromString(xml, 'text/xml');
  if (errors.length || !doc.documentElement) throw samlRefusal('message is not well-formed XML');
  return doc.documentElement as unknown as Element;
}

/** The root's one child Assertion (SAML namespace); `undefined` when there is none, another, or an EncryptedAssertion. */
function onlyAssertionOf(root: Element): Element | undefined {
  let found: Element | undefined;
  for (let node = root.firstChild; node; node = node.nextSibling) {
    const el = node as Element;
    if (el.nodeType !== 1 || (el.localName !== 'Assertion' && el.localName !== 'EncryptedAssertion')) continue;
    if (found || el.localName !== 'Assertion' || el.namespaceURI !== SAML_ASSERTION) return undefined;
    found = el;
  }
  return found;
}

function all(parent: Element, localName: string): Element[] {
  return descendants(parent, SAML_ASSERTION, localName);
}

/**
 * The elements under `root` with this namespace and local name, in document order: what
 * `getElementsByTagNameNS` finds, in one walk of the tree (xmldom's live list walks it again as it
 * is read, which cost more than the checks themselves).
 */
function descendants(root: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  let node: Node | null = root.firstChild;
  while (node) {
    if (node.nodeType === 1) {
      const el = node as Element;
      if (el.localName === localName && el.namespaceURI === namespace) found.push(el);
      if (el.firstChild) {
        node = el.firstChild;
        continue;
      }
    }
    while (!node.nextSibling) {
      node = node.parentNode;
      if (!node || node === root) return found;
    }
    node = node.nextSibling;
  }
  return found;
}

/** The first direct child with this name in the assertion namespace. */
function first(parent: Element, localName: string): Element | undefined {
  return firstIn(parent, SAML_ASSERTION, localName);
}

function firstIn(parent: Element, namespace: string, localName: string): Element | undefined {
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    const el = node as Element;
    if (el.nodeType === 1 && el.localName === localName && el.namespaceURI === namespace) return el;
  }
  return undefined;
}

/** The text as sent: not trimmed, so an identifier with surrounding whitespace is refused, not changed (toIdentity sanitises other values). */
function text(el: Element): string {
  return el.textContent ?? '';
}
