/**
 * DOM helpers of the test SAML IdP: strict parsing, AuthnRequest decoding, and {@link tamperXml}
 * for building attack variants of a signed message.
 * @module
 */
import { inflateRawSync } from 'node:zlib';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { JitSsoError } from '../errors.js';
import { NS } from './saml-idp-xml.js';
import type { ParsedAuthnRequest } from './saml-idp-types.js';

/** Bounds on an incoming AuthnRequest: base64 length, and XML size after inflating. */
const MAX_REQUEST_BASE64 = 64 * 1024;
const MAX_REQUEST_XML = 256 * 1024;

function malformed(reason: string, cause?: unknown): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', {
    message: `Test SAML IdP: ${reason}`,
    details: { reason },
    cause,
  });
}

/** Parses XML, throwing on any error instead of xmldom's default of logging and carrying on. */
export function parseXml(xml: string): Document {
  const fail = (message: string): never => {
    throw malformed(`the XML is malformed (${message.split('\n')[0]})`);
  };
  const parser = new DOMParser({ errorHandler: { warning: () => undefined, error: fail, fatalError: fail } });
  const doc = parser.parseFromString(xml, 'text/xml');
  if (!doc?.documentElement) throw malformed('the XML has no root element');
  return doc;
}

/**
 * Parses a signed message, lets `fn` change the DOM, and serialises it again, without re-signing.
 * For security tests: signature wrapping, a comment inside the NameID, a second Assertion, etc.
 * Nodes `fn` does not touch serialise to the same canonical form, so their signatures stay valid.
 *
 * WARNING: a test helper; its output is a forged message.
 *
 * @example
 * const { xml } = idp.createResponse({ user: 'alice', acsUrl, audience });
 * const forged = tamperXml(xml, (doc) => {
 *   const nameId = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'NameID')[0]!;
 *   const tail = (nameId.firstChild as Text).splitText(5);
 *   nameId.insertBefore(doc.createComment(''), tail); // still signed: c14n drops comments
 * });
 * const SAMLResponse = Buffer.from(forged).toString('base64');
 */
export function tamperXml(xml: string, fn: (doc: Document) => void): string {
  const doc = parseXml(xml);
  fn(doc);
  return new XMLSerializer().serializeToString(doc);
}

/**
 * Decodes an AuthnRequest: base64 of raw-deflated XML (HTTP-Redirect) or of plain XML (HTTP-POST).
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-bindings-2.0-os.pdf §3.4.4.1, §3.5.4
 */
export function decodeAuthnRequest(samlRequest: string): ParsedAuthnRequest {
  if (typeof samlRequest !== 'string' || samlRequest.length === 0) throw malformed('SAMLRequest is empty');
  if (samlRequest.length > MAX_REQUEST_BASE64) throw malformed('SAMLRequest is too large');
  const raw = Buffer.from(samlRequest, 'base64');
  let xml: string;
  try {
    xml = inflateRawSync(raw, { maxOutputLength: MAX_REQUEST_XML }).toString('utf8');
  } catch {
    // Not deflated: the HTTP-POST binding sends the XML itself.
    xml = raw.toString('utf8');
  }
  if (!xml.trimStart().startsWith('<')) throw malformed('SAMLRequest is not base64 XML');
  if (/<!DOCTYPE/i.test(xml)) throw malformed('SAMLRequest carries a DOCTYPE');
  const root = parseXml(xml).documentElement;
  if (root.localName !== 'AuthnRequest' || root.namespaceURI !== NS.protocol) {
    throw malformed('SAMLRequest is not a samlp:AuthnRequest');
  }
  const id = root.getAttribute('ID');
  if (!id) throw malformed('the AuthnRequest has no ID');
  let issuer: string | undefined;
  for (let node = root.firstChild; node; node = node.nextSibling) {
    const child = node as Element;
    if (child.localName === 'Issuer' && child.namespaceURI === NS.assertion) issuer = child.textContent?.trim();
  }
  return {
    id,
    acsUrl: root.getAttribute('AssertionConsumerServiceURL') || undefined,
    issuer: issuer || undefined,
    destination: root.getAttribute('Destination') || undefined,
  };
}
