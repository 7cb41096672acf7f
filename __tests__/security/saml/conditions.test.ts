/// <reference lib="dom" />
/**
 * Genuinely signed responses that are not meant for this SP, not meant for now, or not meant as a
 * login: the checks of SAML profiles §4.1.4.2–4.1.4.3 that the signature alone does not make.
 */
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { tamperXml } from '../../../lib/testing/saml-idp.js';
import type { CreateSamlResponseOptions } from '../../../lib/testing/saml-idp-types.js';
import { CALLBACK_URL, samlApp, SP_ENTITY_ID } from '../../helpers/saml-app.js';
import { b64, legitLogin, NS, postAcs, samlElements, solicit, watch } from '../../helpers/saml-attacks.js';

const MINUTE = 60_000;
const ago = (ms: number) => new Date(Date.now() - ms);
const ahead = (ms: number) => new Date(Date.now() + ms);

/** A solicited login whose IdP answer carries `overrides`; asserts the refusal. */
async function expectSolicitedRefused(overrides: Partial<CreateSamlResponseOptions>, reason: RegExp) {
  const ctx = await samlApp();
  const w = await watch(ctx);
  const { agent, response } = await solicit(ctx, 'oid-alice', overrides);
  await w.expectRefused(await postAcs(agent, response.base64), agent, reason);
}

/** An IdP-initiated response (allowUnsolicited on), so node-saml's Conditions checks speak for themselves. */
async function expectUnsolicitedRefused(overrides: Partial<CreateSamlResponseOptions>, reason: RegExp) {
  const ctx = await samlApp({ provider: { allowUnsolicited: true } });
  const w = await watch(ctx);
  const agent = request.agent(ctx.app);
  const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, ...overrides });
  await w.expectRefused(await postAcs(agent, response.base64, '/me'), agent, reason);
}

describe('SAML responses meant for another SP', () => {
  it('a response for another Audience (another SP of the same IdP) is refused', () =>
    expectSolicitedRefused({ audience: 'https://other-app.test/saml' }, /audience/i));

  it('a response with no AudienceRestriction at all is refused', () => expectSolicitedRefused({ audience: null }, /audience/i));

  it('a response whose Destination is another ACS URL is refused', () =>
    expectSolicitedRefused({ destination: 'https://evil.example/auth/entra/callback' }, /Destination/));

  it('a response whose bearer Recipient is another ACS URL is refused', () =>
    expectSolicitedRefused({ recipient: 'https://evil.example/auth/entra/callback' }, /Recipient/));

  it('an assertion whose Issuer is a foreign IdP (signed with the trusted key) is refused', () =>
    expectSolicitedRefused({ assertionIssuer: 'https://evil-idp.example/saml' }, /Assertion Issuer/));

  it('an assertion with no Issuer is refused', () => expectSolicitedRefused({ assertionIssuer: null }, /Assertion Issuer/));

  it('a Response whose Issuer is a foreign IdP is refused', () =>
    expectSolicitedRefused({ responseIssuer: 'https://evil-idp.example/saml' }, /Response Issuer/));
});

describe('SAML responses outside their validity window', () => {
  // node-saml checks the bearer SubjectConfirmationData window first and words an expired one as
  // "no valid subject confirmation".
  it('an expired assertion (NotOnOrAfter an hour ago) is refused', () =>
    expectSolicitedRefused({ issueInstant: ago(65 * MINUTE), notOnOrAfter: ago(60 * MINUTE) }, /No valid subject confirmation/));

  it('an expired IdP-initiated assertion (NotOnOrAfter an hour ago) is refused as expired', () =>
    expectUnsolicitedRefused({ issueInstant: ago(65 * MINUTE), notOnOrAfter: ago(60 * MINUTE) }, /expired/));

  it('an assertion whose NotBefore is 10 minutes in the future is refused', () =>
    expectSolicitedRefused({ notBefore: ahead(10 * MINUTE) }, /not yet valid/));

  it('an assertion with no NotOnOrAfter, issued 10 minutes ago (over the 5-minute maxAssertionAgeMs), is refused', () =>
    expectSolicitedRefused({ omitNotOnOrAfter: true, issueInstant: ago(10 * MINUTE) }, /NotOnOrAfter/));

  it('an IdP-initiated assertion issued 10 minutes ago but valid for an hour is refused as older than maxAssertionAgeMs', () =>
    expectUnsolicitedRefused({ issueInstant: ago(10 * MINUTE), notOnOrAfter: ahead(50 * MINUTE) }, /too old/));

  // node-saml reads the SubjectConfirmationData window only for InResponseTo; jit-sso's own check catches it.
  it('an IdP-initiated assertion whose bearer confirmation expired while its Conditions are still valid is refused', () =>
    expectUnsolicitedRefused(
      {
        beforeSign: (doc) => {
          samlElements(doc, 'SubjectConfirmationData')[0]!.setAttribute('NotOnOrAfter', ago(2 * MINUTE).toISOString());
        },
      },
      /expired or older than maxAssertionAgeMs/,
    ));
});

describe('SAML responses that do not answer a login this SP started', () => {
  it('a response to an AuthnRequest this SP never sent (unknown InResponseTo) is refused', () =>
    expectSolicitedRefused({ inResponseTo: '_a0b1c2d3e4f5061728394a5b6c7d8e9f00112233' }, /InResponseTo/));

  it('an unsolicited (IdP-initiated) response is refused when allowUnsolicited is off', async () => {
    const ctx = await samlApp();
    const w = await watch(ctx);
    const agent = request.agent(ctx.app);
    const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID });
    expect(response.xml).not.toContain('InResponseTo');
    await w.expectRefused(await postAcs(agent, response.base64, '/me'), agent, /login not started in this browser/);
  });

  it("a response to Alice's AuthnRequest whose Response InResponseTo is removed after signing is refused", async () => {
    const ctx = await samlApp({ provider: { wantAuthnResponseSigned: false } });
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { sign: { assertion: true, response: false } });
    const stripped = tamperXml(response.xml, (doc) => doc.documentElement.removeAttribute('InResponseTo'));
    tamperXml(stripped, (doc) => expect(doc.documentElement.hasAttribute('InResponseTo')).toBe(false));
    await w.expectRefused(await postAcs(agent, b64(stripped)), agent, /InResponseTo/);
  });
});

describe('SAML responses that are not a bearer login', () => {
  it('a holder-of-key subject confirmation (not bearer) is refused', () =>
    expectSolicitedRefused({ subjectConfirmationMethod: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' }, /bearer/));

  it('a Response whose top-level status is Requester (not Success) around a validly signed assertion is refused', () =>
    expectSolicitedRefused({ statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester' }, /status/i));

  it("a refused Response status leaves an existing user's profile and roles unchanged", async () => {
    const ctx = await samlApp();
    await legitLogin(ctx, 'oid-alice');
    ctx.idp.updateUser('oid-alice', { displayName: 'Alice Changed', roles: ['Invoice.Approver'] });
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', { statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Responder' });
    expect(response.xml).toContain('Alice Changed');
    await w.expectRefused(await postAcs(agent, response.base64), agent, /status/i);
  });

  it('a second SubjectConfirmation with the holder-of-key method beside a good bearer one is refused', () =>
    expectSolicitedRefused(
      {
        beforeSign: (doc) => {
          const bearer = samlElements(doc, 'SubjectConfirmation')[0]!;
          const hok = bearer.cloneNode(true) as Element;
          hok.setAttribute('Method', 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key');
          bearer.parentNode!.insertBefore(hok, bearer.nextSibling);
          expect(hok.namespaceURI).toBe(NS.assertion);
        },
      },
      /bearer/,
    ));
});
