/**
 * A LogoutRequest from the IdP ends a session once, soon after the IdP sent it, and only at the SP it
 * was sent to: a captured, stale or misdirected signed LogoutRequest must not sign anyone out.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { resolveSamlOptions } from '../../../lib/providers/saml/saml-options.js';
import { generateTestKeys } from '../../../lib/testing/saml-idp.js';
import type { CreateLogoutRequestOptions, TestSamlKeys } from '../../../lib/testing/saml-idp-types.js';
import { CALLBACK_URL, IDP_ENTRY, IDP_ISSUER, SP_ENTITY_ID } from '../../helpers/saml-app.js';
import {
  ALICE_NAME_ID,
  expectLogoutRefused,
  expectSignedOut,
  LOGOUT_CALLBACK,
  logoutResponseStatus,
  signedInApp,
  signInAgain,
  snapshot,
  type LogoutCtx,
} from '../../helpers/saml-logout.js';

let idpKeys: TestSamlKeys;
beforeAll(async () => {
  idpKeys = await generateTestKeys();
});

const CALLBACK_PATH = '/auth/entra/logout/callback';
const MINUTE = 60_000;
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
type Binding = 'redirect' | 'post';

/** Sends the IdP's signed LogoutRequest naming Alice over `binding` from `ctx.alice`. */
function sendLogoutRequest(ctx: LogoutCtx, binding: Binding, o: Partial<CreateLogoutRequestOptions> = {}) {
  const options: CreateLogoutRequestOptions = { nameId: ALICE_NAME_ID, destination: LOGOUT_CALLBACK, ...o };
  if (binding === 'redirect') return ctx.alice.get(`${CALLBACK_PATH}?${ctx.idp.redirectQuery(ctx.idp.createLogoutRequest({ ...options, sign: false }))}`);
  return ctx.alice.post(CALLBACK_PATH).type('form').send({ SAMLRequest: ctx.idp.createLogoutRequest(options) });
}

describe.each<Binding>(['redirect', 'post'])('SAML LogoutRequest over the %s binding', (binding) => {
  it('a fresh LogoutRequest naming Alice, addressed here, ends her session', async () => {
    const ctx = await signedInApp(idpKeys);
    const res = await sendLogoutRequest(ctx, binding, { issueInstant: new Date(Date.now() - MINUTE) });
    expect(ctx.warnings).toEqual([]);
    expect(res.status).toBe(303);
    expect(logoutResponseStatus(res.headers.location as string)).toBe(SUCCESS);
    await expectSignedOut(ctx.alice);
  });

  it('a stale LogoutRequest (issued two days ago, the reviewer\'s capture) does not end the session', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const res = await sendLogoutRequest(ctx, binding, { issueInstant: new Date(Date.now() - 2 * 24 * 60 * MINUTE) });
    await expectLogoutRefused(ctx, res, /older than maxLogoutRequestAgeMs/, before);
  });

  it('a LogoutRequest just past the default age limit (5 min + 30 s skew) does not end the session', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const res = await sendLogoutRequest(ctx, binding, { issueInstant: new Date(Date.now() - 5.5 * MINUTE - 1_000) });
    await expectLogoutRefused(ctx, res, /older than maxLogoutRequestAgeMs/, before);
  });

  it('a LogoutRequest dated in the future (beyond the clock skew) does not end the session', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const res = await sendLogoutRequest(ctx, binding, { issueInstant: new Date(Date.now() + 10 * MINUTE) });
    await expectLogoutRefused(ctx, res, /IssueInstant is in the future/, before);
  });

  it('a LogoutRequest past its own NotOnOrAfter does not end the session', async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const res = await sendLogoutRequest(ctx, binding, { issueInstant: new Date(Date.now() - 2 * MINUTE), notOnOrAfter: new Date(Date.now() - MINUTE) });
    // node-saml checks NotOnOrAfter too; whichever refuses, the session survives.
    await expectLogoutRefused(ctx, res, /expired|NotOnOrAfter/i, before);
  });

  it('a replayed LogoutRequest ID (the same signed request sent again after Alice signed back in) does not end her new session', async () => {
    const ctx = await signedInApp(idpKeys);
    const first = await sendLogoutRequest(ctx, binding, { id: '_replayed_logout_request' });
    expect(first.status).toBe(303);
    await expectSignedOut(ctx.alice);
    await signInAgain(ctx, ctx.alice);
    const before = await snapshot(ctx);
    const again = await sendLogoutRequest(ctx, binding, { id: '_replayed_logout_request' });
    await expectLogoutRefused(ctx, again, /LogoutRequest replayed/, before);
  });

  it("a LogoutRequest the IdP addressed to another SP's logout endpoint does not end the session here", async () => {
    const ctx = await signedInApp(idpKeys);
    const before = await snapshot(ctx);
    const res = await sendLogoutRequest(ctx, binding, { destination: 'https://other-sp.example/saml/slo' });
    await expectLogoutRefused(ctx, res, /Destination is not this logout endpoint/, before);
  });
});

describe('SAML LogoutRequest: replay across bindings and the age option', () => {
  it('a LogoutRequest ID seen over POST is refused when replayed over the redirect binding', async () => {
    const ctx = await signedInApp(idpKeys);
    expect((await sendLogoutRequest(ctx, 'post', { id: '_cross_binding' })).status).toBe(303);
    await signInAgain(ctx, ctx.alice);
    const before = await snapshot(ctx);
    const res = await sendLogoutRequest(ctx, 'redirect', { id: '_cross_binding' });
    await expectLogoutRefused(ctx, res, /LogoutRequest replayed/, before);
  });

  it('maxLogoutRequestAgeMs: 60000 refuses a LogoutRequest issued two minutes ago', async () => {
    const ctx = await signedInApp(idpKeys, { maxLogoutRequestAgeMs: MINUTE });
    const before = await snapshot(ctx);
    const res = await sendLogoutRequest(ctx, 'redirect', { issueInstant: new Date(Date.now() - 2 * MINUTE) });
    await expectLogoutRefused(ctx, res, /older than maxLogoutRequestAgeMs/, before);
  });

  it('maxLogoutRequestAgeMs is validated at start-up', () => {
    const base = { id: 'entra', entryPoint: IDP_ENTRY, idpIssuer: IDP_ISSUER, idpCert: 'x', spEntityId: SP_ENTITY_ID, callbackUrl: CALLBACK_URL };
    expect(resolveSamlOptions(base).maxLogoutRequestAgeMs).toBe(300_000);
    expect(() => resolveSamlOptions({ ...base, maxLogoutRequestAgeMs: 10 })).toThrow(/maxLogoutRequestAgeMs/);
    expect(() => resolveSamlOptions({ ...base, maxLogoutRequestAgeMs: '5m' as unknown as number })).toThrow(/maxLogoutRequestAgeMs/);
  });
});
