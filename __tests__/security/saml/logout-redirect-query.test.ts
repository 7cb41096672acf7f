/**
 * The redirect-binding logout link: what is verified must be what is acted on. jit-sso reads the
 * SAML parameters by their exact names from the raw query, verifies the signature over exactly those
 * octets, and inflates or parses nothing before that signature has verified.
 */
import { createSign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { generateTestKeys } from '../../../lib/testing/saml-idp.js';
import type { TestSamlKeys } from '../../../lib/testing/saml-idp-types.js';
import { ALICE_NAME_ID, expectLogoutRefused, expectSignedIn, expectSignedOut, LOGOUT_CALLBACK, logoutResponseStatus, RSA_SHA256, signedInApp, snapshot, type LogoutCtx } from '../../helpers/saml-logout.js';

let idpKeys: TestSamlKeys;
beforeAll(async () => {
  idpKeys = await generateTestKeys();
});

const CALLBACK_PATH = '/auth/entra/logout/callback';

/** A LogoutRequest naming Alice, as base64 of unsigned XML (for the redirect binding). */
function aliceLogoutRequest(ctx: LogoutCtx, overrides: { id?: string } = {}): string {
  return ctx.idp.createLogoutRequest({ nameId: ALICE_NAME_ID, destination: LOGOUT_CALLBACK, sign: false, ...overrides });
}

/** A genuinely IdP-signed redirect LogoutResponse, as an attacker can capture from any logout (theirs included). */
function capturedSignedResponse(ctx: LogoutCtx): string {
  return ctx.idp.redirectQuery(ctx.idp.createLogoutResponse({ inResponseTo: '_attackers_own_logout', destination: LOGOUT_CALLBACK, sign: false }));
}

/** The URL-encoded deflated message of an XML string, as it stands in a redirect query. */
function encodedMessage(xml: string): string {
  return encodeURIComponent(deflateRawSync(xml).toString('base64'));
}

/** Splits a query into its `key=value` parameters. */
function params(query: string): Map<string, string> {
  return new Map(query.split('&').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

describe('SAML logout link: parameter names', () => {
  // The reviewer's attack: Express decodes SAML%52equest into SAMLRequest, node-saml found the signed
  // SAMLResponse by a substring match and verified that one.
  it.each([
    ['SAML%52equest', 'percent-encoded letter'],
    ['%53AMLRequest', 'percent-encoded first letter'],
    ['samlrequest', 'lower case'],
    ['SAMLRequest%20', 'trailing encoded space'],
  ])("a forged LogoutRequest under the key %s (%s) next to a genuinely signed LogoutResponse does not log Alice out", async (key) => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const forged = `${key}=${encodedMessage(Buffer.from(aliceLogoutRequest(ctx), 'base64').toString('utf8'))}`;
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${forged}&${capturedSignedResponse(ctx)}`);
    await expectLogoutRefused(ctx, res, /encoded or spelt differently/, before);
  });

  it('a forged SAMLRequest next to a genuinely signed SAMLResponse (both message keys) does not log Alice out', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const forged = `SAMLRequest=${encodedMessage(Buffer.from(aliceLogoutRequest(ctx), 'base64').toString('utf8'))}`;
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${forged}&${capturedSignedResponse(ctx)}`);
    await expectLogoutRefused(ctx, res, /both SAMLRequest and SAMLResponse/, before);
  });

  it('a POSTed logout message with both SAMLRequest and SAMLResponse is refused and the session survives', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const signedRequest = ctx.idp.createLogoutRequest({ nameId: ALICE_NAME_ID, destination: LOGOUT_CALLBACK });
    const signedResponse = ctx.idp.createLogoutResponse({ inResponseTo: '_x', destination: LOGOUT_CALLBACK });
    const res = await ctx.alice.post(CALLBACK_PATH).type('form').send({ SAMLRequest: signedRequest, SAMLResponse: signedResponse });
    await expectLogoutRefused(ctx, res, /both SAMLRequest and SAMLResponse/, before);
  });

  it.each([
    ['SAMLart=AAQAA', 'an artifact-binding parameter jit-sso does not speak'],
    ['SAMLRequest%5B%5D=x', 'SAMLRequest[] (qs reads it as SAMLRequest)'],
    ['SAMLEncoding=urn%3Aexample%3Aother', 'an encoding other than DEFLATE'],
  ])('a genuinely signed LogoutRequest with %s (%s) added is refused and the session survives', async (extra) => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${ctx.idp.redirectQuery(aliceLogoutRequest(ctx))}&${extra}`);
    await expectLogoutRefused(ctx, res, /spelt differently \(or unknown\)|SAMLEncoding other than DEFLATE/, before);
  });

  it('a genuinely signed LogoutRequest with SAMLEncoding=DEFLATE spelt out (outside the signature, as the bindings say) is accepted', async () => {
    const ctx = await signedInApp(idpKeys);
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${ctx.idp.redirectQuery(aliceLogoutRequest(ctx))}&SAMLEncoding=${encodeURIComponent('urn:oasis:names:tc:SAML:2.0:bindings:URL-Encoding:DEFLATE')}`);
    expect(res.status).toBe(303);
    await expectSignedOut(ctx.alice);
  });

  it.each(['SAMLRequest', 'SigAlg', 'Signature', 'RelayState'])('a redirect query with %s given twice is refused and the session survives', async (name) => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const signed = ctx.idp.redirectQuery(aliceLogoutRequest(ctx), { relayState: '/x' });
    const second = name === 'SAMLRequest' ? encodedMessage('<x/>') : name === 'RelayState' ? '%2Fevil' : params(signed).get(name)!;
    // The duplicate first and last: whichever copy a reader picks, the query is refused.
    for (const query of [`${name}=${second}&${signed}`, `${signed}&${name}=${second}`]) {
      const res = await ctx.alice.get(`${CALLBACK_PATH}?${query}`);
      expect(res.status).toBe(401);
      expect(res.headers.location).toBeUndefined();
    }
    expect(ctx.events.slice(before.events)).toEqual(Array(2).fill(expect.objectContaining({ type: 'logout', subType: 'denied', reason: `duplicate ${name} in the redirect query` })));
    expect(await ctx.store.listUsers()).toEqual(before.users);
    await expectSignedIn(ctx.alice);
  });

  it('an over-long redirect query is refused before anything in it is read, even when its message is genuinely signed', async () => {
    // Under Node's default 16 KiB request-head limit, so that the app, not Node, answers.
    const ctx = await signedInApp(idpKeys, { maxMessageBytes: 12_288 });
    const before = await snapshot(ctx);
    const signed = ctx.idp.redirectQuery(aliceLogoutRequest(ctx));
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${signed}&pad=${'a'.repeat(12_288 - signed.length)}`);
    await expectLogoutRefused(ctx, res, /^redirect query over the size limit$/, before);
  });

  it('a genuinely signed redirect query just under the limit, with unrelated parameters, is still accepted (only SAML names are policed)', async () => {
    const ctx = await signedInApp(idpKeys, { maxMessageBytes: 12_288 });
    const signed = ctx.idp.redirectQuery(aliceLogoutRequest(ctx));
    const res = await ctx.alice.get(`${CALLBACK_PATH}?utm_source=mail&${signed}&pad=${'a'.repeat(12_288 - signed.length - 40)}`);
    expect(res.status).toBe(303);
    expect(logoutResponseStatus(res.headers.location as string)).toBe('urn:oasis:names:tc:SAML:2.0:status:Success');
    await expectSignedOut(ctx.alice);
  });
});

describe('SAML logout link: the signature covers exactly what is acted on', () => {
  it('a RelayState added to a query the IdP signed without one is refused and the session survives', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${ctx.idp.redirectQuery(aliceLogoutRequest(ctx))}&RelayState=%2Fevil`);
    await expectLogoutRefused(ctx, res, /does not verify/, before);
  });

  it('a RelayState changed in a query the IdP signed is refused and the session survives', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const signed = ctx.idp.redirectQuery(aliceLogoutRequest(ctx), { relayState: '/home' });
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${signed.replace('RelayState=%2Fhome', 'RelayState=%2Fevil')}`);
    await expectLogoutRefused(ctx, res, /does not verify/, before);
  });

  it("another message under the signature of a genuinely signed one (Alice's LogoutRequest with the signature of Bob's) is refused", async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const bobs = params(ctx.idp.redirectQuery(ctx.idp.createLogoutRequest({ nameId: 'bob@contoso.com', destination: LOGOUT_CALLBACK, sign: false })));
    const alices = params(ctx.idp.redirectQuery(aliceLogoutRequest(ctx), { sign: false }));
    const res = await ctx.alice.get(`${CALLBACK_PATH}?SAMLRequest=${alices.get('SAMLRequest')}&SigAlg=${bobs.get('SigAlg')}&Signature=${bobs.get('Signature')}`);
    await expectLogoutRefused(ctx, res, /does not verify/, before);
  });

  it('a signed query whose message is re-encoded (%2B written %2b) no longer verifies: the signature is checked over the octets received', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const signed = ctx.idp.redirectQuery(aliceLogoutRequest(ctx, { id: '_reencoded' }));
    // Deflated data nearly always holds a '+' or '/' in base64; make sure this one does.
    const reencoded = signed.replace(/%2B|%2F/, (m) => (m === '%2B' ? '%2b' : '%2f'));
    expect(reencoded).not.toBe(signed);
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${reencoded}`);
    await expectLogoutRefused(ctx, res, /does not verify/, before);
  });
});

describe('SAML logout link: nothing unsigned is inflated or parsed', () => {
  const dummySignature = (sigAlg = RSA_SHA256) => `SigAlg=${encodeURIComponent(sigAlg)}&Signature=${encodeURIComponent(Buffer.alloc(256, 7).toString('base64'))}`;

  it('a deflate bomb with a dummy signature is refused for its signature, not for its inflated size', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    // ~8 MB once inflated, far beyond maxMessageBytes: had it been inflated, the reason would name the inflate limit.
    const bomb = encodeURIComponent(deflateRawSync(Buffer.alloc(8 * 1024 * 1024, 0x3c), { level: 9 }).toString('base64'));
    expect(bomb.length).toBeLessThan(12_000);
    const res = await ctx.alice.get(`${CALLBACK_PATH}?SAMLRequest=${bomb}&${dummySignature()}`);
    await expectLogoutRefused(ctx, res, /^redirect signature does not verify with the IdP certificate$/, before);
  });

  it('hostile XML (thousands of unclosed elements) with a dummy signature is refused for its signature, quickly, without being parsed', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const hostile = encodedMessage(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${'<a>'.repeat(100_000)}`);
    const started = performance.now();
    const res = await ctx.alice.get(`${CALLBACK_PATH}?SAMLRequest=${hostile}&${dummySignature()}`);
    const elapsed = performance.now() - started;
    await expectLogoutRefused(ctx, res, /^redirect signature does not verify with the IdP certificate$/, before);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('a deflate bomb signed with SHA-1 is refused for its algorithm before it is inflated', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const bomb = encodeURIComponent(deflateRawSync(Buffer.alloc(4 * 1024 * 1024, 0x3c), { level: 9 }).toString('base64'));
    const query = `SAMLRequest=${bomb}&SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#rsa-sha1')}`;
    const signature = createSign('RSA-SHA1').update(query).sign(idpKeys.privateKey, 'base64');
    const res = await ctx.alice.get(`${CALLBACK_PATH}?${query}&Signature=${encodeURIComponent(signature)}`);
    await expectLogoutRefused(ctx, res, /SHA-1/, before);
  });
});
