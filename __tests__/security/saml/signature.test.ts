/// <reference lib="dom" />
/**
 * Attacks on the XML signature of a SAML Response: tampering after signing, stripping the
 * signatures, signing with another key, and weak (SHA-1) algorithms.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { generateTestKeys, tamperXml } from '../../../lib/testing/saml-idp.js';
import type { TestSamlKeys } from '../../../lib/testing/saml-idp-types.js';
import { samlApp } from '../../helpers/saml-app.js';
import { attributeValue, b64, DISPLAY_NAME, legitLogin, NS, postAcs, ROLE, samlElements, setText, solicit, watch } from '../../helpers/saml-attacks.js';

const SIGNATURE = /signature/i;

function certBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
}

let attacker: TestSamlKeys;
beforeAll(async () => {
  attacker = await generateTestKeys();
});

describe('SAML signature attacks', () => {
  it('an attribute changed after signing (role raised to Admin) is refused and leaves the existing user unchanged', async () => {
    const ctx = await samlApp();
    await legitLogin(ctx, 'oid-alice');
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice');
    const forged = tamperXml(response.xml, (doc) => {
      setText(attributeValue(doc, ROLE), 'Admin');
      setText(attributeValue(doc, DISPLAY_NAME), 'Alice Admin');
    });
    expect(forged).toContain('>Admin<');
    await w.expectRefused(await postAcs(agent, b64(forged)), agent, SIGNATURE);
  });

  it('a response with every ds:Signature stripped is refused', async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice');
    const stripped = tamperXml(response.xml, (doc) => {
      for (const sig of Array.from(doc.getElementsByTagNameNS(NS.dsig, 'Signature'))) sig.parentNode!.removeChild(sig);
    });
    expect(stripped).not.toContain('Signature');
    await w.expectRefused(await postAcs(agent, b64(stripped)), agent, SIGNATURE);
  });

  it.each([
    ['the assertion unsigned (only the Response signed)', { assertion: false, response: true }],
    ['the Response unsigned (only the assertion signed)', { assertion: true, response: false }],
    ['neither signed', { assertion: false, response: false }],
  ])('a response with %s is refused by the secure default', async (_name, sign) => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { sign });
    await w.expectRefused(await postAcs(agent, b64(response.xml)), agent, SIGNATURE);
  });

  it("a response signed by another key, with the IdP's own certificate pasted into KeyInfo, is refused", async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { signingKey: attacker });
    const disguised = tamperXml(response.xml, (doc) => {
      for (const cert of Array.from(doc.getElementsByTagNameNS(NS.dsig, 'X509Certificate'))) setText(cert, certBody(ctx.idp.certificate));
    });
    expect(disguised).toContain(certBody(ctx.idp.certificate));
    expect(disguised).not.toContain(certBody(attacker.certificate));
    await w.expectRefused(await postAcs(agent, b64(disguised)), agent, SIGNATURE);
  });

  it("a response signed by an attacker's key carrying the attacker's certificate in KeyInfo is refused: only the configured idpCert is trusted", async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { signingKey: attacker });
    expect(response.xml).toContain(certBody(attacker.certificate));
    await w.expectRefused(await postAcs(agent, b64(response.xml)), agent, SIGNATURE);
  });

  it("an attacker-signed response is refused even where the outer Response need not be signed (wantAuthnResponseSigned: false)", async () => {
    const ctx = await samlApp({ provider: { wantAuthnResponseSigned: false } });
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { signingKey: attacker, sign: { assertion: true, response: false } });
    await w.expectRefused(await postAcs(agent, b64(response.xml)), agent, SIGNATURE);
  });

  it('a response validly signed by the IdP with RSA-SHA1 / SHA-1 digests is refused', async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { signatureAlgorithm: 'rsa-sha1' });
    expect(response.xml).toContain('xmldsig#rsa-sha1');
    await w.expectRefused(await postAcs(agent, b64(response.xml)), agent, /SHA-1/);
  });

  // The SHA-1 precheck reads the raw text; a character reference in the Algorithm attribute hides
  // "sha1" from it, yet canonicalisation turns it back into the same signed bytes.
  it('a SHA-1-signed response whose Algorithm attributes spell sha1 as a character reference (sha&#49;) is refused', async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { signatureAlgorithm: 'rsa-sha1' });
    const disguised = response.xml.replace(/(xmldsig#(?:rsa-)?sha)1"/g, '$1&#49;"');
    expect(disguised).not.toMatch(/sha1"/);
    tamperXml(disguised, (doc) => expect(samlElements(doc, 'Assertion')).toHaveLength(1));
    await w.expectRefused(await postAcs(agent, b64(disguised)), agent, /SHA-1/);
  });
});

