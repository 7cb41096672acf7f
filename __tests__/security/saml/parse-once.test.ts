/// <reference lib="dom" />
/**
 * A login parses the posted Response once, in the checks after node-saml's validation; the prechecks
 * before it read the text only. These tests pin down when the assertion may be read from that one
 * document, so that the saving cannot turn into reading bytes no signature covers (signature wrapping).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { checkVerifiedAssertion, screenPostMessage, type AssertionCheckConfig } from '../../../lib/providers/saml/message-checks.js';
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
async function login(base64: string, wantAuthnResponseSigned: boolean) {
  screenPostMessage(base64);
  const { response, assertion } = await validate(base64, wantAuthnResponseSigned);
  return checkVerifiedAssertion(response, assertion, { ...CHECKS, responseSigned: wantAuthnResponseSigned }, Date.now());
}

describe('one parse of the Response per login', () => {
  it('reading the assertion from the Response document gives what parsing the verified assertion gives', async () => {
    const { base64 } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    const { response, assertion } = await validate(base64, true);
    const fromDocument = checkVerifiedAssertion(response, () => assertion, CHECKS, Date.now());
    const parsedApart = checkVerifiedAssertion(response, assertion, { ...CHECKS, responseSigned: false }, Date.now());
    expect(fromDocument).toEqual(parsedApart);
    expect(fromDocument.nameID).toBe('alice@contoso.com');
    expect(Object.keys(fromDocument.profile).length).toBeGreaterThan(4);
  });

  it('the Response node-saml verified is what is read when its own signature is required (no second parse)', async () => {
    const { base64 } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    const { response, assertion } = await validate(base64, true);
    // The Response text edited after the validation stands for "the bytes that were read": it shows in the result.
    const read = checkVerifiedAssertion(withNameId(response, 'mallory@evil.example'), assertion, CHECKS, Date.now());
    expect(read.nameID).toBe('mallory@evil.example');
  });

  it('asks for the verified assertion XML (node-saml serialises it on each call) only when it cannot read the Response document', async () => {
    const { base64 } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    const { response, assertion } = await validate(base64, true);
    let asked = 0;
    const lazy = () => (asked++, assertion);
    const fromDocument = checkVerifiedAssertion(response, lazy, CHECKS, Date.now());
    expect([fromDocument.nameID, asked]).toEqual(['alice@contoso.com', 0]);
    const unsigned = checkVerifiedAssertion(response, lazy, { ...CHECKS, responseSigned: false }, Date.now());
    expect([unsigned.nameID, asked]).toEqual(['alice@contoso.com', 1]);
  });

  it('signature wrapping with only the assertion signed: the assertion node-saml verified is read, never the Response document', async () => {
    const { xml } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE, sign: { assertion: true, response: false } });
    const { response: verified, assertion } = await validate(Buffer.from(xml).toString('base64'), false);
    const unsigned = { ...CHECKS, responseSigned: false };
    // The Response's unsigned text carrying another NameID stands for a forged assertion: the verified assertion XML wins.
    expect(checkVerifiedAssertion(withNameId(verified, 'mallory@evil.example'), assertion, unsigned, Date.now()).nameID).toBe('alice@contoso.com');
    // A wrapped forgery beside the signed assertion: still the assertion node-saml verified.
    const forged = tamperXml(xml, (doc) => {
      const { signed, forged: bob } = forgeAssertion(doc);
      signed.parentNode!.replaceChild(bob, signed);
    });
    expect(checkVerifiedAssertion(forged, assertion, unsigned, Date.now()).nameID).toBe('alice@contoso.com');
  });

  it('a Response with an EncryptedAssertion beside the Assertion is not read from its document: it is refused', async () => {
    const { xml, base64 } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    const validated = await validate(base64, true);
    // Two candidates under the root: neither is read; a Response carries exactly one assertion.
    const twoAssertions = tamperXml(xml, (doc) => {
      doc.documentElement.appendChild(doc.createElementNS('urn:oasis:names:tc:SAML:2.0:assertion', 'saml:EncryptedAssertion'));
      samlElements(doc, 'NameID')[0]!.textContent = 'mallory@evil.example';
    });
    expect(() => checkVerifiedAssertion(twoAssertions, validated.assertion, CHECKS, Date.now())).toThrow(expect.objectContaining({ details: { reason: 'Response does not carry exactly one Assertion' } }));
  });

  it('the prechecks before node-saml build no DOM (a streaming guard only); the algorithm allow-list runs on the one parse after it', async () => {
    const { xml } = idp.createResponse({ user: 'oid-alice', acsUrl: ACS, audience: AUDIENCE });
    // Not XML at all: the streaming guard refuses it as malformed (400) before node-saml sees it.
    expect(() => screenPostMessage(Buffer.from('<samlp:Response').toString('base64'))).toThrow(
      expect.objectContaining({ code: 'ERR_JIT_SSO_MALFORMED_MESSAGE', details: { reason: 'message is not well-formed XML' } }),
    );
    // SHA-1 spelt as a character reference: only a parser sees it, and the checks after node-saml refuse it.
    const sha1 = xml.replace('http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2000/09/xmldsig#sha&#49;');
    expect(sha1).not.toBe(xml);
    expect(screenPostMessage(Buffer.from(sha1).toString('base64'))).toBe(sha1);
    expect(() => checkVerifiedAssertion(sha1, '', CHECKS, Date.now())).toThrow(expect.objectContaining({ details: { reason: 'SHA-1 signature or digest, or an algorithm not allowed' } }));
  });
});

/** `xml` with its (first) NameID changed: what a reader of those bytes would see. */
function withNameId(xml: string, nameId: string): string {
  return tamperXml(xml, (doc) => {
    samlElements(doc, 'NameID')[0]!.textContent = nameId;
  });
}
