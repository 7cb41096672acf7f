/**
 * A fail-fast, linear-time well-formedness guard run on every SAML message before any DOM is built.
 *
 * Why: @xmldom/xmldom (the parser node-saml, xml-crypto and jit-sso use) recovers from errors, and
 * its recovery from unclosed elements costs quadratic time — a few hundred bytes of `<a><a><a>…`
 * held the event loop for seconds, before any signature was looked at. The guard streams the message
 * once through saxes (the strict XML 1.0 + namespaces tokenizer jsdom uses), stops at the first
 * well-formedness error, and caps what makes a DOM expensive to build: elements, depth, attributes,
 * namespace declarations and name lengths. saxes itself resolves a prefix by walking the open
 * elements, so depth is capped before it can cost: every step below is bounded by a constant.
 * @module
 */
import { SaxesParser } from 'saxes';
import { JitSsoError } from '../../errors.js';

/**
 * The caps, chosen far above what real IdP messages carry and low enough that any message that
 * passes them is parsed by xmldom in a few milliseconds. Reference points: Entra sends at most 150
 * groups in SAML (an overage link above), Okta at most 100, Google 75; AD FS encrypted assertions
 * hold a few dozen elements; jit-sso refuses a claim list over 1000 values anyway
 * (`CLAIM_LIMITS.maxListLength`), and a response carrying such a list has about 1100 elements.
 */
export const XML_GUARD_LIMITS = {
  /**
   * Elements (and processing instructions) in one message: ~210 for Entra's largest group claim (150
   * groups, then an overage link), ~560 for a message with 500 group values. Not higher: node-saml looks
   * for the Signature with an XPath that costs ~25 µs per element (and more than linearly), once per
   * signed element, before it checks anything — 2,000 elements held the event loop ~55 ms. A single
   * attribute with more values than fit here would be one no IdP above sends.
   */
  maxElements: 700,
  /** Nesting depth. Real responses nest about 10 deep (15 with an assertion in `Advice`). */
  maxDepth: 64,
  /** Attributes (namespace declarations included) on one element. A Response root carries about 12. */
  maxAttributesPerElement: 64,
  /** Attributes in the whole message. Okta puts 3 (two `xmlns:`, `xsi:type`) on each AttributeValue. */
  maxAttributes: 2000,
  /** Namespace declarations in the whole message: each costs xmldom a namespace-map copy. Okta-style messages declare 2 per value. */
  maxNamespaceDeclarations: 1000,
  /**
   * Entity and character references (`&amp;`, `&#xD;`): each costs the parsers after the guard a
   * text node or a lookup (node-saml's xml2js pass spent ~45 ms on 5,000). .NET signers (AD FS) write
   * `&#xD;` every 76 base64 characters: ~270 in a 20 KB encrypted assertion, ~1,300 in a 100 KB one.
   */
  maxReferences: 1000,
  /** Length of an element or attribute name, prefix included. SAML's longest is ~30. */
  maxNameLength: 256,
  /** Length of one attribute value. SAML attribute values are URIs and IDs; claim names are capped at 512. */
  maxAttributeValueLength: 8192,
  /** Characters in one message: the largest `maxMessageBytes` jit-sso accepts (the body and inflate limits are lower by default). */
  maxChars: 16 * 1024 * 1024,
} as const;

/**
 * The caps for single-logout messages, which are small: a signed LogoutRequest or LogoutResponse has
 * about a dozen elements (Issuer, NameID, SessionIndex or Status, one Signature). jit-sso parses a
 * logout message itself as well as node-saml (twice, DOM and xml2js), so its budget is tighter.
 */
export const LOGOUT_GUARD_LIMITS: GuardLimits = {
  ...XML_GUARD_LIMITS,
  maxElements: 100,
  maxAttributes: 400,
  maxNamespaceDeclarations: 100,
  maxReferences: 500,
};

/** The refusal of a message the guard stops: 400, one generic message, the reason for the audit event. */
export function malformedMessage(reason: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_MALFORMED_MESSAGE', { details: { reason } });
}

/** A set of caps: {@link XML_GUARD_LIMITS} or {@link LOGOUT_GUARD_LIMITS}. */
export type GuardLimits = { readonly [K in keyof typeof XML_GUARD_LIMITS]: number };

/** What the guard refuses as a protocol refusal (401) rather than as malformed: kept as before the guard. */
type Refuse = (reason: string) => JitSsoError;

/**
 * Throws unless `xml` is one well-formed, namespace-well-formed XML document within
 * {@link XML_GUARD_LIMITS}; linear in the length of `xml`, and stops at the first problem.
 * A DOCTYPE and comments are refused with `refuse` (jit-sso's protocol refusal), as the text
 * screen did before; everything else with {@link malformedMessage}.
 *
 * @example
 * guardXml(Buffer.from(body.SAMLResponse, 'base64').toString('utf8'), samlRefusal);
 */
export function guardXml(xml: string, refuse: Refuse, limits: GuardLimits = XML_GUARD_LIMITS): void {
  if (xml.length > limits.maxChars) throw malformedMessage('message over the guard size limit');
  let references = 0;
  for (let at = xml.indexOf('&'); at !== -1; at = xml.indexOf('&', at + 1)) {
    if (++references > limits.maxReferences) throw malformedMessage('too many entity or character references');
  }
  const parser = new SaxesParser({ xmlns: true, position: false });
  let elements = 0;
  let depth = 0;
  let attributes = 0;
  let declarations = 0;
  let onElement = 0;
  parser.on('opentagstart', (tag) => {
    // Before saxes resolves the tag's prefix (a walk over the open elements): the depth is capped first.
    if (++elements > limits.maxElements) throw malformedMessage('too many elements');
    if (++depth > limits.maxDepth) throw malformedMessage('elements nested too deep');
    if (tag.name.length > limits.maxNameLength) throw malformedMessage('element name too long');
    onElement = 0;
  });
  parser.on('attribute', ({ name, value }) => {
    if (++onElement > limits.maxAttributesPerElement) throw malformedMessage('too many attributes on one element');
    if (++attributes > limits.maxAttributes) throw malformedMessage('too many attributes');
    if (name.length > limits.maxNameLength) throw malformedMessage('attribute name too long');
    if (value.length > limits.maxAttributeValueLength) throw malformedMessage('attribute value too long');
    if ((name === 'xmlns' || name.startsWith('xmlns:')) && ++declarations > limits.maxNamespaceDeclarations) {
      throw malformedMessage('too many namespace declarations');
    }
  });
  parser.on('closetag', () => void depth--);
  parser.on('processinginstruction', () => {
    if (++elements > limits.maxElements) throw malformedMessage('too many elements');
  });
  parser.on('doctype', () => {
    throw refuse('DOCTYPE or entity declaration in message');
  });
  parser.on('comment', () => {
    throw refuse('XML comment in message');
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    // saxes throws a plain Error at the first well-formedness error; its text names the attacker's input, so it stays out.
    if (err instanceof JitSsoError) throw err;
    throw malformedMessage('message is not well-formed XML');
  }
}
