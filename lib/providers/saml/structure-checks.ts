/**
 * The shape of a verified SAML login: a SAML 2.0 `samlp:Response` carrying exactly one assertion,
 * an Assertion with one Subject and no assertion nested in it, every child in its SAML namespace.
 * node-saml finds these elements by local name alone; jit-sso reads only what this shape allows.
 * @module
 */
import { JitSsoError } from '../../errors.js';

const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAML_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** The children of a Response (SAML core 3.2.2, 3.3.3), by namespace: anything else is refused. */
const RESPONSE_CHILDREN: Record<string, ReadonlySet<string>> = {
  [SAML_ASSERTION]: new Set(['Issuer', 'Assertion', 'EncryptedAssertion']),
  [SAML_PROTOCOL]: new Set(['Extensions', 'Status']),
  [XMLDSIG]: new Set(['Signature']),
};
/** The children of an Assertion (SAML core 2.3.3). */
const ASSERTION_CHILDREN: Record<string, ReadonlySet<string>> = {
  [SAML_ASSERTION]: new Set(['Issuer', 'Subject', 'Conditions', 'Advice', 'Statement', 'AuthnStatement', 'AuthzDecisionStatement', 'AttributeStatement']),
  [XMLDSIG]: new Set(['Signature']),
};

/** A protocol refusal (as `samlRefusal`): the generic message, the reason for the audit event. */
function refusal(reason: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { details: { reason } });
}

/**
 * A SAML 2.0 `samlp:Response` (`Version="2.0"`) with exactly one Assertion or EncryptedAssertion and
 * only the children its schema has.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-core-2.0-os.pdf (3.2.2, 3.3.3)
 */
export function checkResponseStructure(response: Element): void {
  if (response.localName !== 'Response' || response.namespaceURI !== SAML_PROTOCOL) throw refusal('not a SAML 2.0 Response');
  if (response.getAttribute('Version') !== '2.0') throw refusal('Response Version is not 2.0');
  let assertions = 0;
  for (const el of elementChildren(response)) {
    if (!RESPONSE_CHILDREN[el.namespaceURI ?? '']?.has(el.localName)) throw refusal(`unexpected element ${el.localName} in the Response`);
    if (el.localName === 'Assertion' || el.localName === 'EncryptedAssertion') assertions++;
  }
  if (assertions !== 1) throw refusal('Response does not carry exactly one Assertion');
}

/**
 * A SAML 2.0 Assertion (`Version="2.0"`) with exactly one Subject, only the children its schema has,
 * and no assertion anywhere inside it (an assertion in `Advice` is never read, nor accepted).
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-core-2.0-os.pdf (2.3.3, 2.6)
 */
export function checkAssertionStructure(assertion: Element): void {
  if (assertion.localName !== 'Assertion' || assertion.namespaceURI !== SAML_ASSERTION) throw refusal('not a SAML 2.0 Assertion');
  if (assertion.getAttribute('Version') !== '2.0') throw refusal('Assertion Version is not 2.0');
  let subjects = 0;
  for (const el of elementChildren(assertion)) {
    if (!ASSERTION_CHILDREN[el.namespaceURI ?? '']?.has(el.localName)) throw refusal(`unexpected element ${el.localName} in the Assertion`);
    if (el.localName === 'Subject') subjects++;
  }
  if (subjects !== 1) throw refusal('Assertion does not carry exactly one Subject');
  if (containsAssertion(assertion)) throw refusal('assertion nested in the Assertion (Advice)');
}

/** The direct children with this namespace and local name. */
export function children(parent: Element, namespace: string, localName: string): Element[] {
  return elementChildren(parent).filter((el) => el.localName === localName && el.namespaceURI === namespace);
}

function elementChildren(parent: Element): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) if (node.nodeType === 1) found.push(node as Element);
  return found;
}

/** Whether an (Encrypted)Assertion of any namespace lies anywhere below `root`: one walk of the tree. */
function containsAssertion(root: Element): boolean {
  const stack: Element[] = elementChildren(root);
  for (let el = stack.pop(); el; el = stack.pop()) {
    if (el.localName === 'Assertion' || el.localName === 'EncryptedAssertion') return true;
    stack.push(...elementChildren(el));
  }
  return false;
}
