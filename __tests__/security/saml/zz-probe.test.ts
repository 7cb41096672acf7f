import { it } from '@jest/globals';
import request from 'supertest';
import { deflateRawSync } from 'node:zlib';
import { samlApp, CALLBACK_URL, SP_ENTITY_ID } from '../../helpers/saml-app.js';
import { b64, forgeAssertion, postAcs, solicit, samlElements, signaturesOf, NS, legitLogin } from '../../helpers/saml-attacks.js';
import { tamperXml, generateTestKeys } from '../../../lib/testing/saml-idp.js';

const bob = { id: 'oid-bob', username: 'bob@contoso.com', roles: ['Admin'] };
it('probe', async () => {
  const out: Record<string, unknown> = {};
  const run = async (name: string, provider: object, overrides: object, fn?: (xml: string) => string, relay?: string) => {
    const ctx = await samlApp({ provider });
    const { agent, response } = await solicit(ctx, 'oid-alice', overrides);
    const xml = fn ? fn(response.xml) : response.xml;
    const res = await postAcs(agent, b64(xml), relay);
    out[name] = [res.status, res.headers.location, ctx.events.map((e) => `${e.subType}:${e.reason ?? ''}`), (await ctx.store.listUsers()).map((u) => u.username)];
  };
  const only = { wantAuthnResponseSigned: false };
  for (const [cfg, provider, overrides] of [['both', {}, {}], ['assertionOnly', only, { sign: { response: false } }]] as const) {
    await run(`${cfg}:after`, provider, overrides, (x) => tamperXml(x, (doc) => { const { signed, forged } = forgeAssertion(doc, bob); signed.parentNode!.insertBefore(forged, signed.nextSibling); }));
    await run(`${cfg}:before`, provider, overrides, (x) => tamperXml(x, (doc) => { const { signed, forged } = forgeAssertion(doc, bob); signed.parentNode!.insertBefore(forged, signed); }));
    await run(`${cfg}:signedInsideForgedAdvice`, provider, overrides, (x) => tamperXml(x, (doc) => {
      const { signed, forged } = forgeAssertion(doc, bob);
      const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
      const cond = samlElements(forged, 'Conditions')[0]!;
      forged.insertBefore(advice, cond.nextSibling);
      signed.parentNode!.replaceChild(forged, signed);
      advice.appendChild(signed);
    }));
    await run(`${cfg}:forgedInsideSignedAdvice`, provider, overrides, (x) => tamperXml(x, (doc) => {
      const { signed, forged } = forgeAssertion(doc, bob);
      const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
      const cond = samlElements(signed, 'Conditions')[0]!;
      signed.insertBefore(advice, cond.nextSibling);
      advice.appendChild(forged);
    }));
    await run(`${cfg}:forgedInExtensions`, provider, overrides, (x) => tamperXml(x, (doc) => {
      const { forged } = forgeAssertion(doc, bob);
      const ext = doc.createElementNS(NS.protocol, 'samlp:Extensions');
      const root = doc.documentElement;
      const status = Array.from(root.childNodes).find((n) => (n as Element).localName === 'Status')!;
      root.insertBefore(ext, status);
      ext.appendChild(forged);
    }));
    await run(`${cfg}:forgedInSignatureObject`, provider, overrides, (x) => tamperXml(x, (doc) => {
      const { signed, forged } = forgeAssertion(doc, bob);
      const sig = signaturesOf(signed)[0]!;
      const obj = doc.createElementNS(NS.dsig, 'ds:Object');
      sig.appendChild(obj);
      obj.appendChild(forged);
    }));
  }
  await run('strip', {}, {}, (x) => tamperXml(x, (doc) => { for (const s of Array.from(doc.getElementsByTagNameNS(NS.dsig, 'Signature'))) s.parentNode!.removeChild(s); }));
  await run('noAssertionSig', {}, { sign: { assertion: false } });
  await run('noResponseSig', {}, { sign: { response: false } });
  const attacker = await generateTestKeys();
  await run('attackerKey', {}, { signingKey: attacker });
  await run('comment', {}, {}, (x) => tamperXml(x, (doc) => { const n = samlElements(doc, 'NameID')[0]!; const tail = (n.firstChild as Text).splitText(5); n.insertBefore(doc.createComment(''), tail); }));
  await run('audience', {}, { audience: 'https://other.test/saml' });
  await run('destination', {}, { destination: 'https://evil.test/acs' });
  await run('recipient', {}, { recipient: 'https://evil.test/acs' });
  await run('assertionIssuer', {}, { assertionIssuer: 'https://evil.test/idp' });
  await run('responseIssuer', {}, { responseIssuer: 'https://evil.test/idp' });
  const past = new Date(Date.now() - 3600_000);
  await run('expired', {}, { issueInstant: past, notOnOrAfter: new Date(past.getTime() + 60_000) });
  await run('expiredRecent', {}, { notOnOrAfter: new Date(Date.now() - 120_000) });
  await run('notBefore', {}, { notBefore: new Date(Date.now() + 600_000) });
  await run('tooOld', {}, { omitNotOnOrAfter: true, issueInstant: new Date(Date.now() - 600_000) });
  await run('unknownIRT', {}, { inResponseTo: '_never' });
  await run('unsolicited', {}, { inResponseTo: undefined });
  await run('sha1', {}, { signatureAlgorithm: 'rsa-sha1' });
  await run('doctype', {}, {}, (x) => x.replace('<samlp:Response', '<!DOCTYPE r [<!ENTITY x "boom">]><samlp:Response'));
  await run('proto', {}, { extraAttributes: [{ name: '__proto__', values: 'x' }] });
  await run('hok', {}, { subjectConfirmationMethod: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' });
  await run('status', {}, { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester' });
  for (const r of ['//evil.example', '/\\evil.example', '/\t/evil.example', 'javascript:alert(1)']) await run(`relay ${JSON.stringify(r)}`, {}, {}, undefined, r);
  // logout
  {
    const ctx = await samlApp({ provider: { logoutUrl: 'https://idp.test.local/saml/slo' } });
    const agent = await legitLogin(ctx, 'oid-alice');
    const dest = 'https://app.test/auth/entra/logout/callback';
    const u = await agent.post('/auth/entra/logout/callback').type('form').send({ SAMLRequest: ctx.idp.createLogoutRequest({ nameId: 'alice.johnson@contoso.com', destination: dest, sign: false }) });
    out.logoutUnsigned = [u.status, u.headers.location, (await agent.get('/me').set('Accept', 'application/json')).status];
    const o = await agent.post('/auth/entra/logout/callback').type('form').send({ SAMLRequest: ctx.idp.createLogoutRequest({ nameId: 'bob@contoso.com', destination: dest }) });
    out.logoutOther = [o.status, o.headers.location, (await agent.get('/me').set('Accept', 'application/json')).status];
    const xml = Buffer.from(ctx.idp.createLogoutRequest({ nameId: 'alice.johnson@contoso.com', destination: dest, sign: false }), 'base64').toString();
    const redir = deflateRawSync(xml).toString('base64');
    const g = await agent.get(`/auth/entra/logout/callback?SAMLRequest=${encodeURIComponent(redir)}`);
    out.logoutRedirect = [g.status, g.headers.location, (await agent.get('/me').set('Accept', 'application/json')).status];
    const s = await agent.post('/auth/entra/logout/callback').type('form').send({ SAMLRequest: ctx.idp.createLogoutRequest({ nameId: 'alice.johnson@contoso.com', destination: dest }) });
    out.logoutSelf = [s.status, s.headers.location, (await agent.get('/me').set('Accept', 'application/json')).status];
  }
  console.log(JSON.stringify(out, null, 1));
});
