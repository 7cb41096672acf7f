/// <reference lib="dom" />
/**
 * Attacks on the XML itself rather than on SAML's rules: comments that split a signed value, DTDs
 * and entity expansion, oversized bodies, hostile attribute names and parameter pollution.
 */
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { tamperXml } from '../../../lib/testing/saml-idp.js';
import { samlApp } from '../../helpers/saml-app.js';
import { attributeValue, b64, legitLogin, NS, OBJECT_ID, postAcs, samlElements, solicit, watch } from '../../helpers/saml-attacks.js';

/** Puts an empty comment into `el`'s text after `prefix`: c14n drops it, so the signature still holds. */
function splitWithComment(doc: Document, el: Element, prefix: string): void {
  const text = el.firstChild as Text;
  expect(text.data.startsWith(prefix)).toBe(true);
  el.insertBefore(doc.createComment(''), text.splitText(prefix.length));
}

describe('XML comment truncation', () => {
  it("a comment inside the NameID (alice.johnson@contoso.com<!---->.evil.example) is refused and Alice's user is unchanged", async () => {
    const ctx = await samlApp();
    await legitLogin(ctx, 'oid-alice');
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { nameId: 'alice.johnson@contoso.com.evil.example' });
    const forged = tamperXml(response.xml, (doc) => splitWithComment(doc, samlElements(doc, 'NameID')[0]!, 'alice.johnson@contoso.com'));
    expect(forged).toContain('alice.johnson@contoso.com<!---->.evil.example');
    await w.expectRefused(await postAcs(agent, b64(forged)), agent, /comment/);
  });

  it('a comment inside the objectidentifier attribute (oid-bob<!---->.attacker) is refused', async () => {
    const ctx = await samlApp();
    await legitLogin(ctx, 'oid-bob');
    const w = await watch(ctx);
    const attacker = { id: 'oid-bob.attacker', username: 'mallory@contoso.com', displayName: 'Mallory' };
    const { agent, response } = await solicit(ctx, attacker, { nameId: 'bob@contoso.com.attacker' });
    const forged = tamperXml(response.xml, (doc) => {
      splitWithComment(doc, attributeValue(doc, OBJECT_ID), 'oid-bob');
      splitWithComment(doc, samlElements(doc, 'NameID')[0]!, 'bob@contoso.com');
    });
    expect(forged).toContain('oid-bob<!---->.attacker');
    await w.expectRefused(await postAcs(agent, b64(forged)), agent, /comment/);
  });
});

describe('DTDs and entity expansion', () => {
  const ENTITY_BOMB =
    '<!DOCTYPE samlp:Response [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">' +
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">' +
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>';

  it.each([
    ['an internal entity that rewrites the NameID', '<!DOCTYPE samlp:Response [<!ENTITY x "bob@contoso.com">]>', '&x;'],
    ['a nested entity expansion ("billion laughs")', ENTITY_BOMB, '&e;'],
    ['an external entity (XXE) reading a local file', '<!doctype samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', '&xxe;'],
  ])('a response with a DOCTYPE declaring %s is refused', async (_name, doctype, reference) => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice');
    expect(response.xml.startsWith('<samlp:Response')).toBe(true);
    const hostile = doctype + response.xml.replace('alice.johnson@contoso.com</saml:NameID>', `${reference}</saml:NameID>`);
    expect(hostile).toContain(`${reference}</saml:NameID>`);
    await w.expectRefused(await postAcs(agent, b64(hostile)), agent, /DOCTYPE/);
  });
});

describe('oversized and polluted bodies', () => {
  it('a SAMLResponse over 512 KiB is refused with 413 before it is parsed', async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const agent = request.agent(ctx.app);
    const res = await postAcs(agent, 'PHNhbWxwOlJlc3BvbnNl'.repeat(Math.ceil((513 * 1024) / 20)));
    await w.expectRefused(res, agent, /size/, { status: 413 });
    expect(res.text).not.toContain('PHNhbWxwOlJlc3BvbnNl');
  });

  it('a body carrying two SAMLResponse fields (parameter pollution) is refused', async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice');
    const other = ctx.idp.createResponse({ user: 'oid-bob', acsUrl: 'https://app.test/auth/entra/callback', audience: 'https://app.test/saml' });
    const body = `SAMLResponse=${encodeURIComponent(response.base64)}&SAMLResponse=${encodeURIComponent(other.base64)}`;
    const res = await agent.post('/auth/entra/callback').type('form').send(body);
    await w.expectRefused(res, agent, /base64/);
  });
});

describe('hostile attribute names', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('an IdP-signed attribute named %s is refused', async (name) => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { extraAttributes: [{ name, values: 'x' }] });
    expect(response.xml).toContain(`Name="${name}"`);
    await w.expectRefused(await postAcs(agent, b64(response.xml)), agent, new RegExp(`forbidden attribute name "${name}"`));
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('an attribute named __proto__ whose value holds an element (isAdmin) is refused and pollutes no prototype', async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', {
      extraAttributes: [{ name: '__proto__', values: '' }],
      beforeSign: (doc) => {
        const attribute = samlElements(doc, 'Attribute').find((a) => a.getAttribute('Name') === '__proto__')!;
        const isAdmin = doc.createElementNS(NS.assertion, 'saml:isAdmin');
        isAdmin.appendChild(doc.createTextNode('true'));
        samlElements(attribute, 'AttributeValue')[0]!.appendChild(isAdmin);
      },
    });
    expect(response.xml).toContain('<saml:isAdmin>true</saml:isAdmin>');
    await w.expectRefused(await postAcs(agent, b64(response.xml)), agent, /forbidden attribute name "__proto__"/);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('isAdmin');
  });
});
