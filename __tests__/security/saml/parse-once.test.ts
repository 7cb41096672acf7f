/// <reference lib="dom" />
/**
 * A login parses the posted Response once: the prechecks' document is reused by the checks after
 * node-saml's validation. These tests pin down when it may be, so that the saving cannot turn into
 * reading bytes no signature covers (signature wrapping).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { checkVerifiedAssertion, precheckPostMessage, type AssertionCheckConfig } from '../../../lib/providers/saml/message-checks.js';
import { createTestSamlIdp, tamperXml, type TestSamlIdp } from '../../../lib/testing/saml-idp.js';
import { forgeAssertion, samlElements } from '../../helpers/saml-attacks.js';

const ACS = 'https://app.test.local/auth/entra/callback';
const AUDIENCE = 'https://app.test.local/saml';
const ISSUER = 'https://idp.test.local/saml';
const CHECKS: AssertionCheckConfig = { callbackUrl: ACS, idpIssuer: ISSUER, maxAssertionAgeMs: 3_600_000, acceptedClockSkewMs: 30_000, responseSigned: true };

let idp: TestSamlIdp;
beforeAll(async () => {
  idp = await createTestSamlIdp({
    issuer: ISSUER,
    users: [{ id: 'oid-alice', username: 'alice@contoso.com', email: 'alice@contoso.com', displayName: 'Alice', roles: ['Employee'] }],
  });
});

/** node-saml as samlProvider() configures it; `wantAuthnResponseSigned` as given. */
function nodeSaml(wantAuthnResponseSigned: boolean): SAML {
  return new SAML({
    callbackUrl: ACS, issuer: AUDIENCE, audience: AUDIENCE, idpCert: idp.certificate, idpIssuer: ISSUER,
    wantAssertionsSigned: true, wantAuthnResponseSigned, validateInResponseTo: ValidateInResponseTo.never, maxAssertionAgeMs: 3_600_000,
  });
}

/** node-saml's validation of a posted message: the Response text and the verified assertion it hands on. */
async function validate(base64: string, wantAuthnResponseSigned: boolean): Promise<{ response: string; assertion: string }> {
  const { profile } = await nodeSaml(wantAuthnResponseSigned).validatePostResponseAsync({ SAMLResponse: base64 });
  if (!profile?.getSamlResponseXml || !profile.getAssertionXml) throw new Error('node-saml returned no profile');
  return { response: profile.getSamlResponseXml(), assertion: profile.getAssertionXml() };
}

/** Prechecks, validates with node-saml and runs the checks after it, as a login does. */
async function login(base64: string, wantAuthnResponseSigned: boolean, reuse = true) {
  const prechecked = precheckPostMessage(base64);
  const { response, assertion } = await validate(base64, wantAuthnResponseSigned);
  const config = { ...CHECKS, responseSigned: wantAuthnResponseSigned };
  return checkVerifiedAssertion(response, assertion, config, Date.now(), reuse ? prechecked : undefined);
}

describe('one parse of the Response per login', () => {
  it('reading the assertion from the prechecked document gives what parsing the verified assertion gives', async () => {
    const { base64 } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    const reused = await login(base64, true);
    const parsed = await login(base64, true, false);
    expect(reused).toEqual(parsed);
    expect(reused.nameID).toBe('alice@contoso.com');
    expect(Object.keys(reused.profile).length).toBeGreaterThan(4);
  });

  it('the prechecked document is what is read when the Response signature is verified (no second parse)', async () => {
    const { base64 } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    const { response: xml, assertion } = await validate(base64, true);
    // A document edited after the prechecks stands for "the bytes that were read": reuse shows in the result.
    const read = checkVerifiedAssertion(xml, assertion, CHECKS, Date.now(), { xml, root: withNameId(xml, 'mallory@evil.example') });
    expect(read.nameID).toBe('mallory@evil.example');
  });

  it('asks for the verified assertion XML (node-saml serialises it on each call) only when it cannot read the prechecked document', async () => {
    const { base64 } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    const { response, assertion } = await validate(base64, true);
    let asked = 0;
    const lazy = () => (asked++, assertion);
    const reused = checkVerifiedAssertion(response, lazy, CHECKS, Date.now(), precheckPostMessage(base64));
    expect([reused.nameID, asked]).toEqual(['alice@contoso.com', 0]);
    const unsigned = checkVerifiedAssertion(response, lazy, { ...CHECKS, responseSigned: false }, Date.now(), precheckPostMessage(base64));
    expect([unsigned.nameID, asked]).toEqual(['alice@contoso.com', 1]);
  });

  it('signature wrapping with only the assertion signed: the assertion node-saml verified is read, never the posted document', async () => {
    const { xml } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE, sign: { assertion: true, response: false } });
    const { response: verified, assertion } = await validate(Buffer.from(xml).toString('base64'), false);
    const unsigned = { ...CHECKS, responseSigned: false };
    // The same text, its unsigned part standing for a forged assertion: the verified assertion XML wins.
    const sameText = checkVerifiedAssertion(verified, assertion, unsigned, Date.now(), { xml: verified, root: withNameId(verified, 'mallory@evil.example') });
    expect(sameText.nameID).toBe('alice@contoso.com');
    // A posted text that is not the one node-saml validated is never reused.
    const forged = tamperXml(xml, (doc) => {
      const { signed, forged: bob } = forgeAssertion(doc);
      signed.parentNode!.replaceChild(bob, signed);
    });
    const other = checkVerifiedAssertion(verified, assertion, CHECKS, Date.now(), precheckPostMessage(Buffer.from(forged).toString('base64')));
    expect(other.nameID).toBe('alice@contoso.com');
  });

  it('a Response with an EncryptedAssertion beside the Assertion is not read from the prechecked document', async () => {
    const { xml } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    const prechecked = precheckPostMessage(Buffer.from(xml).toString('base64'));
    const root = prechecked.root;
    const doc = root.ownerDocument;
    const encrypted = doc.createElementNS('urn:oasis:names:tc:SAML:2.0:assertion', 'saml:EncryptedAssertion');
    root.appendChild(encrypted);
    // The prechecked root now has two candidates: the checks fall back to the verified XML they are given.
    const assertion = samlElements(doc, 'Assertion')[0]!;
    const nameId = samlElements(assertion, 'NameID')[0]!;
    nameId.textContent = 'mallory@evil.example';
    const validated = await validate(Buffer.from(xml).toString('base64'), true);
    const checked = checkVerifiedAssertion(validated.response, validated.assertion, CHECKS, Date.now(), prechecked);
    expect(checked.nameID).toBe('alice@contoso.com');
  });
});

/** The prechecked root of `xml` with its NameID changed: what a reader of those bytes would see. */
function withNameId(xml: string, nameId: string): Element {
  const { root } = precheckPostMessage(Buffer.from(xml).toString('base64'));
  samlElements(root, 'NameID')[0]!.textContent = nameId;
  return root;
}
