/// <reference lib="dom" />
/**
 * Encrypted assertions: AES-GCM and the standard RSA-OAEP key transport (`rsa-oaep-mgf1p`, whose
 * OAEP digest is SHA-1) sign in; AES-CBC and 3DES, which have no integrity of their own (padding
 * oracles), only with `allowLegacyEncryption`; RSA PKCS#1 v1.5 key transport (Bleichenbacher) never.
 * The test IdP encrypts for the SP's certificate for real, and node-saml decrypts.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { samlProvider } from '../../../lib/providers/saml/saml-provider.js';
import { generateTestKeys, tamperXml } from '../../../lib/testing/saml-idp.js';
import type { TestEncryptionAlgorithm, TestSamlKeys } from '../../../lib/testing/saml-idp-types.js';
import { CALLBACK_URL, IDP_ENTRY, IDP_ISSUER, samlApp, SP_ENTITY_ID, type SamlAppOptions } from '../../helpers/saml-app.js';
import { b64, forgeAssertion, NS, postAcs, samlElements, solicit, watch } from '../../helpers/saml-attacks.js';

let sp: TestSamlKeys;
beforeAll(async () => {
  sp = await generateTestKeys();
});

/** An app whose SP decrypts with `sp`'s key. */
function encryptingApp(provider: SamlAppOptions['provider'] = {}) {
  return samlApp({ provider: { decryptionKey: sp.privateKey, decryptionCert: sp.certificate, ...provider } });
}

/** A real login of Alice with her assertion encrypted with `algorithm`; returns the ACS answer and the signed-in agent. */
async function encryptedLogin(ctx: Awaited<ReturnType<typeof encryptingApp>>, algorithm: TestEncryptionAlgorithm) {
  const { agent, response } = await solicit(ctx, 'oid-alice', { encrypt: { certificate: sp.certificate, algorithm } });
  expect(response.xml).toContain('<saml:EncryptedAssertion>');
  expect(response.xml).not.toContain('alice.johnson@contoso.com');
  return { agent, response, res: await postAcs(agent, response.base64) };
}

async function expectSignedIn(agent: Awaited<ReturnType<typeof encryptedLogin>>['agent']) {
  const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
  expect(me.body).toMatchObject({ username: 'alice.johnson', roles: [expect.objectContaining({ role: 'Invoice.Reader' })] });
}

describe('encrypted assertions accepted by default', () => {
  it.each(['aes256-gcm', 'aes128-gcm'] as const)('an assertion encrypted with %s under rsa-oaep-mgf1p (SHA-1 OAEP digest) signs in', async (algorithm) => {
    const ctx = await encryptingApp();
    const { agent, response, res } = await encryptedLogin(ctx, algorithm);
    expect(response.xml).toContain('rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>');
    expect(res.status).toBe(303);
    await expectSignedIn(agent);
  });

  it('an encrypted assertion in an unsigned Response (decrypted and parsed before any signature is checked, by anyone who has the public certificate) stops the app at start-up', () => {
    const make = () =>
      samlProvider({ id: 'entra', entryPoint: IDP_ENTRY, idpIssuer: IDP_ISSUER, idpCert: sp.certificate, spEntityId: SP_ENTITY_ID, callbackUrl: CALLBACK_URL, decryptionKey: sp.privateKey, wantAuthnResponseSigned: false });
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: expect.objectContaining({ path: 'samlProvider(entra).decryptionKey' }) }));
  });
});

describe('legacy encryption (AES-CBC, 3DES)', () => {
  it.each(['aes256-cbc', 'aes128-cbc', 'tripledes-cbc'] as const)('an assertion encrypted with %s is refused by default, before it is decrypted', async (algorithm) => {
    const ctx = await encryptingApp();
    const w = await watch(ctx);
    const { agent, res } = await encryptedLogin(ctx, algorithm);
    await w.expectRefused(res, agent, /CBC or 3DES encryption without allowLegacyEncryption/);
  });

  it.each(['aes256-cbc', 'aes128-cbc', 'tripledes-cbc'] as const)('an assertion encrypted with %s signs in with allowLegacyEncryption', async (algorithm) => {
    const ctx = await encryptingApp({ allowLegacyEncryption: true });
    const { agent, res } = await encryptedLogin(ctx, algorithm);
    expect(res.status).toBe(303);
    await expectSignedIn(agent);
  });

  it('AES-CBC spelled with a character reference (aes256-cb&#99;) is refused by default', async () => {
    const ctx = await encryptingApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { encrypt: { certificate: sp.certificate, algorithm: 'aes256-cbc' } });
    const hidden = response.xml.replace('xmlenc#aes256-cbc"', 'xmlenc#aes256-cb&#99;"');
    expect(hidden).not.toBe(response.xml);
    await w.expectRefused(await postAcs(agent, b64(hidden)), agent, /CBC or 3DES/);
  });

  it('allowLegacyEncryption without a signed Response (a CBC padding oracle) stops the app at start-up', () => {
    const make = () =>
      samlProvider({ id: 'entra', entryPoint: IDP_ENTRY, idpIssuer: IDP_ISSUER, idpCert: sp.certificate, spEntityId: SP_ENTITY_ID, callbackUrl: CALLBACK_URL, allowLegacyEncryption: true, wantAuthnResponseSigned: false });
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: expect.objectContaining({ path: 'samlProvider(entra).allowLegacyEncryption' }) }));
  });
});

describe('key transport', () => {
  it('a content key wrapped with RSA PKCS#1 v1.5 (rsa-1_5, Bleichenbacher) is refused, even with allowLegacyEncryption', async () => {
    const ctx = await encryptingApp({ allowLegacyEncryption: true });
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { encrypt: { certificate: sp.certificate, keyTransport: 'rsa-1_5' } });
    expect(response.xml).toContain('xmlenc#rsa-1_5');
    await w.expectRefused(await postAcs(agent, response.base64), agent, /key transport algorithm not allowed/);
  });
});

describe('encrypted assertions carrying more than one assertion', () => {
  it("a forged assertion for Bob in the Advice of Alice's signed, encrypted assertion is refused after decryption", async () => {
    const ctx = await encryptingApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', {
      encrypt: { certificate: sp.certificate },
      beforeSign: (doc) => {
        const { signed, forged } = forgeAssertion(doc);
        const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
        signed.insertBefore(advice, samlElements(signed, 'Conditions')[0]!.nextSibling);
        advice.appendChild(forged);
      },
    });
    await w.expectRefused(await postAcs(agent, response.base64), agent, /nested in the Assertion/);
  });

  it('an EncryptedAssertion beside a plain Assertion (two assertions, both IdP-signed) is refused', async () => {
    const ctx = await encryptingApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { encrypt: { certificate: sp.certificate } });
    const plain = (await solicit(ctx, 'oid-bob')).response.xml;
    const both = tamperXml(response.xml, (doc) => {
      doc.documentElement.appendChild(doc.importNode(samlElements(parseDoc(plain), 'Assertion')[0]!, true));
    });
    await w.expectRefused(await postAcs(agent, b64(both)), agent, /assertion|signature/i);
  });
});

/** The DOM of `xml` (tamperXml's parser, which throws on malformed XML). */
function parseDoc(xml: string): Document {
  let doc: Document | undefined;
  tamperXml(xml, (d) => {
    doc = d;
  });
  return doc!;
}
