/**
 * A LogoutResponse ends the logout one browser started, once: it is accepted only from the browser
 * holding that logout's cookie, naming it by RelayState, answering its LogoutRequest's ID — over the
 * redirect binding and the POST binding alike. A captured logout link must not sign out whoever opens it.
 */
import { inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { generateTestKeys } from '../../../lib/testing/saml-idp.js';
import type { TestSamlKeys } from '../../../lib/testing/saml-idp-types.js';
import { memoryCache } from '../../../lib/cache/sso-cache.js';
import { samlApp } from '../../helpers/saml-app.js';
import { legitLogin } from '../../helpers/saml-attacks.js';
import { expectLogoutRefused, expectSignedIn, expectSignedOut, LOGOUT_CALLBACK, signedInApp, SLO, signInAgain, snapshot, startSpLogout, type LogoutCtx } from '../../helpers/saml-logout.js';

let idpKeys: TestSamlKeys;
beforeAll(async () => {
  idpKeys = await generateTestKeys();
});

const CALLBACK_PATH = '/auth/entra/logout/callback';
type Binding = 'redirect' | 'post';

/** Sends the IdP's signed LogoutResponse over `binding` from `agent`. */
function sendLogoutResponse(ctx: LogoutCtx, agent: ReturnType<typeof request.agent>, binding: Binding, o: { inResponseTo: string | undefined; relayState?: string | undefined; destination?: string }) {
  const destination = o.destination ?? LOGOUT_CALLBACK;
  if (binding === 'redirect') {
    const message = ctx.idp.createLogoutResponse({ inResponseTo: o.inResponseTo, destination, sign: false });
    return agent.get(`${CALLBACK_PATH}?${ctx.idp.redirectQuery(message, o.relayState === undefined ? {} : { relayState: o.relayState })}`);
  }
  const form: Record<string, string> = { SAMLResponse: ctx.idp.createLogoutResponse({ inResponseTo: o.inResponseTo, destination }) };
  if (o.relayState !== undefined) form.RelayState = o.relayState;
  return agent.post(CALLBACK_PATH).type('form').send(form);
}

describe.each<Binding>(['redirect', 'post'])('SAML LogoutResponse over the %s binding', (binding) => {
  it("the IdP's LogoutResponse to Alice's own logout completes it and lands on the returnTo she logged out with", async () => {
    const ctx = await signedInApp(idpKeys);
    const started = await startSpLogout(ctx.alice, '/goodbye');
    await expectSignedOut(ctx.alice);
    const res = await sendLogoutResponse(ctx, ctx.alice, binding, { inResponseTo: started.requestId, relayState: started.relayState });
    expect(ctx.warnings).toEqual([]);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/goodbye');
  });

  it("a captured LogoutResponse link opened by another browser (Bob's) does not end Bob's session", async () => {
    const ctx = await signedInApp(idpKeys);
    const bob = await legitLogin(ctx, 'oid-bob');
    const started = await startSpLogout(ctx.alice);
    const before = await snapshot(ctx);
    const res = await sendLogoutResponse(ctx, bob, binding, { inResponseTo: started.requestId, relayState: started.relayState });
    await expectLogoutRefused(ctx, res, /answers no logout started in this browser/, before, null);
    await expectSignedIn(bob, 'bob');
  });

  it('a captured LogoutResponse opened by a browser with no cookie at all ends nothing and is refused', async () => {
    const ctx = await signedInApp(idpKeys);
    const started = await startSpLogout(ctx.alice);
    const before = await snapshot(ctx);
    const res = await sendLogoutResponse(ctx, request.agent(ctx.app), binding, { inResponseTo: started.requestId, relayState: started.relayState });
    await expectLogoutRefused(ctx, res, /answers no logout started in this browser/, before, null);
  });

  it('a LogoutResponse reused by the same browser (after Alice signed in again) does not end her new session', async () => {
    const ctx = await signedInApp(idpKeys);
    const started = await startSpLogout(ctx.alice);
    const first = await sendLogoutResponse(ctx, ctx.alice, binding, { inResponseTo: started.requestId, relayState: started.relayState });
    expect(first.status).toBe(303);
    await signInAgain(ctx, ctx.alice);
    const before = await snapshot(ctx);
    const again = await sendLogoutResponse(ctx, ctx.alice, binding, { inResponseTo: started.requestId, relayState: started.relayState });
    await expectLogoutRefused(ctx, again, /answers no logout started in this browser/, before);
  });

  it('a signed LogoutResponse without InResponseTo does not end the session, even with the RelayState of a logout this browser started', async () => {
    const ctx = await signedInApp(idpKeys);
    const started = await startSpLogout(ctx.alice);
    await signInAgain(ctx, ctx.alice);
    const before = await snapshot(ctx);
    const res = await sendLogoutResponse(ctx, ctx.alice, binding, { inResponseTo: undefined, relayState: started.relayState });
    await expectLogoutRefused(ctx, res, /no InResponseTo/, before);
  });

  it('a signed LogoutResponse without RelayState (unsolicited, or with the handle stripped) does not end the session', async () => {
    const ctx = await signedInApp(idpKeys, { allowUnsolicited: true });
    const started = await startSpLogout(ctx.alice);
    await signInAgain(ctx, ctx.alice);
    const before = await snapshot(ctx);
    const res = await sendLogoutResponse(ctx, ctx.alice, binding, { inResponseTo: started.requestId });
    await expectLogoutRefused(ctx, res, /answers no logout started in this browser/, before);
  });

  it("a signed LogoutResponse answering another logout (someone else's request ID) under this browser's RelayState is refused", async () => {
    const ctx = await signedInApp(idpKeys);
    const bob = await legitLogin(ctx, 'oid-bob');
    const bobs = await startSpLogout(bob);
    const alices = await startSpLogout(ctx.alice);
    await signInAgain(ctx, ctx.alice);
    const before = await snapshot(ctx);
    const res = await sendLogoutResponse(ctx, ctx.alice, binding, { inResponseTo: bobs.requestId, relayState: alices.relayState });
    await expectLogoutRefused(ctx, res, /InResponseTo does not answer the logout started in this browser/, before);
  });

  it("a LogoutResponse the IdP addressed to another SP's logout endpoint is refused", async () => {
    const ctx = await signedInApp(idpKeys);
    const started = await startSpLogout(ctx.alice);
    await signInAgain(ctx, ctx.alice);
    const before = await snapshot(ctx);
    const res = await sendLogoutResponse(ctx, ctx.alice, binding, { inResponseTo: started.requestId, relayState: started.relayState, destination: 'https://other-sp.example/saml/slo' });
    await expectLogoutRefused(ctx, res, /Destination is not this logout endpoint/, before);
  });
});

describe('SAML LogoutResponse across app instances', () => {
  it('a logout started on one instance completes on another that shares the request cache, and only once', async () => {
    const requestCache = memoryCache();
    const a = await signedInApp(idpKeys, { requestCache });
    const b = await samlApp({ idp: a.idp, provider: { logoutUrl: SLO, requestCache } });
    const out = await a.alice.post('/auth/logout').expect(303);
    const cookie = (out.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('jit-sso-saml='))!.split(';')[0]!;
    const sent = new URL(out.headers.location as string);
    const requestId = /\sID="([^"]+)"/.exec(inflateRawSync(Buffer.from(sent.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8'))![1]!;
    const query = a.idp.redirectQuery(a.idp.createLogoutResponse({ inResponseTo: requestId, destination: LOGOUT_CALLBACK, sign: false }), { relayState: sent.searchParams.get('RelayState')! });
    const res = await request(b.app).get(`${CALLBACK_PATH}?${query}`).set('Cookie', cookie);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    await request(b.app).get(`${CALLBACK_PATH}?${query}`).set('Cookie', cookie).expect(401);
    await request(a.app).get(`${CALLBACK_PATH}?${query}`).set('Cookie', cookie).expect(401);
  });
});
