/// <reference lib="dom" />
/**
 * Responses the IdP genuinely signs but whose shape is not a plain SAML 2.0 login: attribute values
 * holding markup, assertions nested in Advice, a second Subject, another SAML version or namespace.
 * Identity and attributes come only from the top-level assertion's own statements, read as text.
 */
import { describe, expect, it } from '@jest/globals';
import type { CreateSamlResponseOptions } from '../../../lib/testing/saml-idp-types.js';
import { samlApp } from '../../helpers/saml-app.js';
import { attributeValue, forgeAssertion, NS, postAcs, ROLE, samlElements, setText, solicit, watch } from '../../helpers/saml-attacks.js';

const ALICE = 'oid-alice';

/** The IdP signs what `beforeSign` made; the login must be refused with `reason`. */
async function expectSignedRefused(beforeSign: (doc: Document) => void, reason: RegExp, overrides: Partial<CreateSamlResponseOptions> = {}) {
  const ctx = await samlApp();
  const w = await watch(ctx);
  const { agent, response } = await solicit(ctx, ALICE, { beforeSign, ...overrides });
  await w.expectRefused(await postAcs(agent, response.base64), agent, reason);
  return response.xml;
}

/** `el` moved into namespace `ns` as `qname`, attributes and children kept. */
function renameNs(el: Element, ns: string, qname: string): Element {
  const doc = el.ownerDocument;
  const renamed = doc.createElementNS(ns, qname);
  for (const attr of Array.from(el.attributes)) renamed.setAttributeNS(attr.namespaceURI, attr.name, attr.value);
  while (el.firstChild) renamed.appendChild(el.firstChild);
  el.parentNode!.replaceChild(renamed, el);
  return renamed;
}

/** A saml:Advice after the assertion's Conditions, as the schema places it. */
function adviceIn(assertion: Element): Element {
  const doc = assertion.ownerDocument;
  const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
  assertion.insertBefore(advice, samlElements(assertion, 'Conditions')[0]!.nextSibling);
  return advice;
}

describe('attribute values that are not text', () => {
  it('an IdP-signed role value holding markup (<AttributeValue>Adm<b>in</b></AttributeValue>) is refused, not read as "Admin"', async () => {
    const xml = await expectSignedRefused((doc) => {
      const value = attributeValue(doc, ROLE);
      setText(value, 'Adm');
      const b = doc.createElementNS('urn:x', 'x:b');
      b.appendChild(doc.createTextNode('in'));
      value.appendChild(b);
    }, /AttributeValue holds markup/);
    expect(xml).toMatch(/>Adm<x:b [^>]*>in<\/x:b><\/saml:AttributeValue>/);
  });
});

describe('assertions nested in Advice', () => {
  it("a forged assertion for Bob as Admin inside the Advice of Alice's IdP-signed assertion is refused", async () => {
    const xml = await expectSignedRefused((doc) => {
      const { signed, forged } = forgeAssertion(doc);
      adviceIn(signed).appendChild(forged);
    }, /nested in the Assertion/);
    expect(xml).toContain('bob@contoso.com');
  });

  it("an Admin role attribute inside the Advice, outside the assertion's own AttributeStatement, is not read", async () => {
    const ctx = await samlApp();
    const { agent, response } = await solicit(ctx, ALICE, {
      beforeSign: (doc) => {
        const assertion = samlElements(doc, 'Assertion')[0]!;
        const statement = doc.createElementNS(NS.assertion, 'saml:AttributeStatement');
        const attribute = doc.createElementNS(NS.assertion, 'saml:Attribute');
        attribute.setAttribute('Name', ROLE);
        const value = doc.createElementNS(NS.assertion, 'saml:AttributeValue');
        value.appendChild(doc.createTextNode('Admin'));
        attribute.appendChild(value);
        statement.appendChild(attribute);
        adviceIn(assertion).appendChild(statement);
      },
    });
    expect(response.xml).toContain('<saml:AttributeValue>Admin</saml:AttributeValue>');
    expect((await postAcs(agent, response.base64)).status).toBe(303);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.roles.map((r: { role: string }) => r.role)).toEqual(['Invoice.Reader']);
    expect((await agent.get('/admin')).status).toBe(403);
  });
});

describe('responses that are not one plain SAML 2.0 assertion', () => {
  it("a second Subject naming Bob in Alice's IdP-signed assertion is refused", () =>
    expectSignedRefused((doc) => {
      const subject = samlElements(doc, 'Subject')[0]!;
      const bob = subject.cloneNode(true) as Element;
      setText(samlElements(bob, 'NameID')[0]!, 'bob@contoso.com');
      subject.parentNode!.insertBefore(bob, subject);
    }, /exactly one Subject/));

  it('a Response with Version="1.1" is refused', () => expectSignedRefused((doc) => doc.documentElement.setAttribute('Version', '1.1'), /Response Version/));

  it('an Assertion with Version="3.0" is refused', () => expectSignedRefused((doc) => samlElements(doc, 'Assertion')[0]!.setAttribute('Version', '3.0'), /Assertion Version/));

  it('a Response root in the SAML 1.1 protocol namespace (read by local name alone) is refused', () =>
    expectSignedRefused((doc) => void renameNs(doc.documentElement, 'urn:oasis:names:tc:SAML:1.0:protocol', 'samlp1:Response'), /not a SAML 2.0 Response/));

  it('an Assertion in a foreign namespace (read by local name alone) is refused', () =>
    expectSignedRefused((doc) => void renameNs(samlElements(doc, 'Assertion')[0]!, 'urn:evil:assertion', 'evil:Assertion'), /Assertion/));

  it('an Issuer in the protocol namespace beside the assertion (an element the Response schema does not have) is refused', () =>
    expectSignedRefused((doc) => {
      const extra = doc.createElementNS(NS.protocol, 'samlp:Issuer');
      extra.appendChild(doc.createTextNode('https://evil.example'));
      doc.documentElement.insertBefore(extra, doc.documentElement.firstChild);
    }, /unexpected element Issuer in the Response/));
});
