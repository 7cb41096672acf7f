/**
 * Login CSRF and session swap: an attacker starts a login at this SP in their own browser, has the
 * IdP sign a response for their own account, and auto-posts it to the ACS from the victim's browser
 * (a hidden form on any site). Without a binding, the victim is signed in as the attacker (and keeps
 * working, typing data into the attacker's account) or loses their own session to the attacker's,
 * landing on a path the attacker picked. A SAML login is bound to the browser that started it: an
 * opaque RelayState handle, kept server-side with the request id and returnTo, valid only with that
 * browser's HttpOnly cookie, once.
 */
import { describe, expect, it } from '@jest/globals';
import { createPublicKey, createVerify } from 'node:crypto';
import request from 'supertest';
import { generateTestKeys } from '../../../lib/testing/saml-idp.js';
import { CALLBACK_URL, samlApp, SP_ENTITY_ID, startLogin } from '../../helpers/saml-app.js';
import { expectNoSession, postAcs, solicit, watch, type Agent, type SamlCtx } from '../../helpers/saml-attacks.js';

const NOT_STARTED = /^login not started in this browser$/;

/** The attacker's side: a login started in the attacker's own browser and the IdP's response for the attacker (Bob). */
async function attackerLogin(ctx: SamlCtx, returnTo = '/attacker-picked') {
  const attacker = await solicit(ctx, 'oid-bob', {}, returnTo);
  return { handle: attacker.relayState!, samlResponse: attacker.response.base64, agent: attacker.agent };
}

/** Who `agent` is signed in as, or undefined. */
async function whoIs(agent: Agent): Promise<string | undefined> {
  const me = await agent.get('/me').set('Accept', 'application/json');
  return me.status === 200 ? (me.body as { username: string }).username : undefined;
}

/** Answers the login `agent` started with a response for `user`, posted with `relayState` (default: the handle the IdP echoes). */
async function answer(ctx: SamlCtx, agent: Agent, started: Awaited<ReturnType<typeof startLogin>>, user = 'oid-alice', relayState?: string | null) {
  const authn = ctx.idp.parseAuthnRequest(started.samlRequest);
  const response = ctx.idp.createResponse({ user, acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
  return postAcs(agent, response.base64, relayState === undefined ? started.relayState : relayState);
}

describe("SAML login CSRF: the attacker's own signed response posted from the victim's browser", () => {
  it("with the attacker's RelayState handle does not sign the victim in", async () => {
    const ctx = await samlApp();
    const attack = await attackerLogin(ctx);
    const w = await watch(ctx);
    const victim = request.agent(ctx.app);
    await w.expectRefused(await postAcs(victim, attack.samlResponse, attack.handle), victim, NOT_STARTED);
  });

  it('with no RelayState does not sign the victim in', async () => {
    const ctx = await samlApp();
    const attack = await attackerLogin(ctx);
    const w = await watch(ctx);
    const victim = request.agent(ctx.app);
    await w.expectRefused(await postAcs(victim, attack.samlResponse, null), victim, NOT_STARTED);
  });

  it("with the victim's own binding cookie (the victim has a login of their own pending) but the attacker's handle does not sign the victim in", async () => {
    const ctx = await samlApp();
    const attack = await attackerLogin(ctx);
    const victim = request.agent(ctx.app);
    const pending = await startLogin(victim);
    expect(pending.cookie).toMatch(/^jit-sso-saml=/);
    const w = await watch(ctx);
    await w.expectRefused(await postAcs(victim, attack.samlResponse, attack.handle), victim, NOT_STARTED);
    // The victim's own login is untouched by the attack and still completes.
    const own = await answer(ctx, victim, pending);
    expect(own.status).toBe(303);
    expect(await whoIs(victim)).toBe('alice.johnson');
  });

  it("with the victim's own pending handle but the attacker's response (answering the attacker's request) does not sign the victim in", async () => {
    const ctx = await samlApp();
    const attack = await attackerLogin(ctx);
    const victim = request.agent(ctx.app);
    const pending = await startLogin(victim);
    const w = await watch(ctx);
    // The attacker would have to know the handle; even then the response answers another request.
    await w.expectRefused(await postAcs(victim, attack.samlResponse, pending.relayState), victim, /InResponseTo does not answer the login started in this browser/);
  });

  it("does not replace the victim's existing session, and lands nowhere the attacker picked", async () => {
    const ctx = await samlApp();
    const victim = request.agent(ctx.app);
    expect((await answer(ctx, victim, await startLogin(victim))).status).toBe(303);
    expect(await whoIs(victim)).toBe('alice.johnson');
    const attack = await attackerLogin(ctx);
    const usersBefore = structuredClone(await ctx.store.listUsers());
    const w = await watch(ctx);

    for (const relayState of [attack.handle, null, '/attacker-picked']) {
      const res = await postAcs(victim, attack.samlResponse, relayState);
      expect(res.status).toBe(401);
      expect(res.headers.location).toBeUndefined();
      expect(await whoIs(victim)).toBe('alice.johnson');
    }
    expect(w.newEvents()).toEqual(Array(3).fill(expect.objectContaining({ subType: 'denied', reason: expect.stringMatching(NOT_STARTED) })));
    expect(await ctx.store.listUsers()).toEqual(usersBefore);
  });

  it("a leaked RelayState handle (Referer, IdP logs) is useless without the victim's browser cookie, and is spent by the try", async () => {
    const ctx = await samlApp();
    const victim = request.agent(ctx.app);
    const pending = await startLogin(victim);
    const authn = ctx.idp.parseAuthnRequest(pending.samlRequest);
    const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
    const w = await watch(ctx);
    const thief = request.agent(ctx.app);
    await w.expectRefused(await postAcs(thief, response.base64, pending.relayState), thief, NOT_STARTED);
    expect((await postAcs(victim, response.base64, pending.relayState)).status).toBe(401);
  });
});

describe('SAML login CSRF: the RelayState handle', () => {
  it('is single use: the same response and handle posted again from the same browser are refused', async () => {
    const ctx = await samlApp();
    const agent = request.agent(ctx.app);
    const started = await startLogin(agent);
    const authn = ctx.idp.parseAuthnRequest(started.samlRequest);
    const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
    expect((await postAcs(agent, response.base64, started.relayState)).status).toBe(303);
    await agent.post('/auth/logout').expect(303);

    const w = await watch(ctx);
    await w.expectRefused(await postAcs(agent, response.base64, started.relayState), agent, NOT_STARTED);
    // A second response the IdP signs for the same request does not reuse the handle either.
    const again = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
    const second = await postAcs(agent, again.base64, started.relayState);
    expect(second.status).toBe(401);
    await expectNoSession(agent);
  });

  it.each([
    ['a path (/admin) in place of the handle', (_handle: string) => '/admin'],
    ['the handle with one character changed', (handle: string) => `${handle.slice(0, -1)}${handle.endsWith('A') ? 'B' : 'A'}`],
    ['the handle with a path appended', (handle: string) => `${handle}/admin`],
  ])('a tampered RelayState (%s) cannot choose the landing path: refused', async (_name, tamper) => {
    const ctx = await samlApp();
    const agent = request.agent(ctx.app);
    const started = await startLogin(agent, '/me');
    const w = await watch(ctx);
    const res = await answer(ctx, agent, started, 'oid-alice', tamper(started.relayState!));
    await w.expectRefused(res, agent, NOT_STARTED);
  });

  it('RelayState posted twice (the handle and a path) is refused', async () => {
    const ctx = await samlApp();
    const agent = request.agent(ctx.app);
    const started = await startLogin(agent, '/me');
    const authn = ctx.idp.parseAuthnRequest(started.samlRequest);
    const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
    const w = await watch(ctx);
    const body = new URLSearchParams([['SAMLResponse', response.base64], ['RelayState', started.relayState!], ['RelayState', '/admin']]).toString();
    const res = await agent.post('/auth/entra/callback').type('form').send(body);
    await w.expectRefused(res, agent, NOT_STARTED);
  });

  it('lands on the returnTo kept server-side, which the IdP never sees', async () => {
    const ctx = await samlApp();
    const agent = request.agent(ctx.app);
    const started = await startLogin(agent, '/reports?id=3');
    expect(started.location.search).not.toContain('reports');
    const res = await answer(ctx, agent, started);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/reports?id=3');
  });
});

describe('SAML login CSRF: two logins of one browser', () => {
  it('a response to request A cannot complete login B of the same browser (InResponseTo mismatch)', async () => {
    const ctx = await samlApp();
    const agent = request.agent(ctx.app);
    const a = await startLogin(agent, '/a');
    const b = await startLogin(agent, '/b');
    const authnA = ctx.idp.parseAuthnRequest(a.samlRequest);
    const responseA = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authnA.id });
    const w = await watch(ctx);
    await w.expectRefused(await postAcs(agent, responseA.base64, b.relayState), agent, /InResponseTo does not answer the login started in this browser/);
  });

  it('two logins started in two tabs of one browser both complete, each landing on its own returnTo', async () => {
    const ctx = await samlApp();
    const agent = request.agent(ctx.app);
    const first = await startLogin(agent, '/first');
    const second = await startLogin(agent, '/second');
    expect(second.cookie).toBe(first.cookie);
    expect(second.relayState).not.toBe(first.relayState);

    const done2 = await answer(ctx, agent, second);
    expect(done2.status).toBe(303);
    expect(done2.headers.location).toBe('/second');
    const done1 = await answer(ctx, agent, first);
    expect(done1.status).toBe(303);
    expect(done1.headers.location).toBe('/first');
    expect(await whoIs(agent)).toBe('alice.johnson');
  });
});

describe('SAML login CSRF with allowUnsolicited (IdP-initiated login, the weaker mode)', () => {
  it("an attacker's solicited response (it has an InResponseTo) posted from the victim's browser is refused, with or without the attacker's handle", async () => {
    const ctx = await samlApp({ provider: { allowUnsolicited: true } });
    for (const relayState of ['handle', null, '/attacker-picked'] as const) {
      const attack = await attackerLogin(ctx);
      const w = await watch(ctx);
      const victim = request.agent(ctx.app);
      const res = await postAcs(victim, attack.samlResponse, relayState === 'handle' ? attack.handle : relayState);
      await w.expectRefused(res, victim, /InResponseTo names a login not started in this browser/);
    }
  });

  it('a login this browser started is still bound: another login\'s response with its handle is refused', async () => {
    const ctx = await samlApp({ provider: { allowUnsolicited: true } });
    const attack = await attackerLogin(ctx);
    const victim = request.agent(ctx.app);
    const pending = await startLogin(victim);
    const w = await watch(ctx);
    await w.expectRefused(await postAcs(victim, attack.samlResponse, pending.relayState), victim, /InResponseTo does not answer the login started in this browser/);
  });
});

describe('SAML login binding cookie', () => {
  /** The Set-Cookie header of the binding cookie on a login start. */
  function bindingCookie(setCookies: string[]): string {
    const cookie = setCookies.find((c) => /^(__Host-)?jit-sso-saml=/.test(c));
    expect(cookie).toBeDefined();
    return cookie!;
  }

  it('over HTTPS behind a proxy (trust proxy, X-Forwarded-Proto: https) is __Host-, Secure, SameSite=None, HttpOnly, Path=/, no Domain, and the login completes with it', async () => {
    const ctx = await samlApp();
    ctx.app.set('trust proxy', 1);
    const start = await request(ctx.app).get('/auth/entra/login?returnTo=/me').set('X-Forwarded-Proto', 'https').expect(302);
    const header = bindingCookie(([] as string[]).concat(start.headers['set-cookie'] ?? []));
    const attributes = header.split(';').map((a) => a.trim().toLowerCase());
    expect(header).toMatch(/^__Host-jit-sso-saml=[A-Za-z0-9_-]{43};/);
    expect(attributes).toEqual(expect.arrayContaining(['path=/', 'httponly', 'secure', 'samesite=none']));
    expect(attributes.some((a) => a.startsWith('domain='))).toBe(false);
    expect(attributes.some((a) => a.startsWith('max-age=') || a.startsWith('expires='))).toBe(true);

    const location = new URL(start.headers.location as string);
    const authn = ctx.idp.parseAuthnRequest(location.searchParams.get('SAMLRequest')!);
    const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
    const form = { SAMLResponse: response.base64, RelayState: location.searchParams.get('RelayState')! };
    // The same cookie under the plain-HTTP name does not count over HTTPS (it could be planted by a sibling subdomain).
    const plain = header.split(';')[0]!.replace('__Host-', '');
    const refused = await request(ctx.app).post('/auth/entra/callback').set('X-Forwarded-Proto', 'https').set('Cookie', plain).type('form').send(form);
    expect(refused.status).toBe(401);

    const start2 = await request(ctx.app).get('/auth/entra/login?returnTo=/me').set('X-Forwarded-Proto', 'https').expect(302);
    const cookie2 = bindingCookie(([] as string[]).concat(start2.headers['set-cookie'] ?? [])).split(';')[0]!;
    const location2 = new URL(start2.headers.location as string);
    const authn2 = ctx.idp.parseAuthnRequest(location2.searchParams.get('SAMLRequest')!);
    const response2 = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn2.id });
    const done = await request(ctx.app)
      .post('/auth/entra/callback')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', cookie2)
      .type('form')
      .send({ SAMLResponse: response2.base64, RelayState: location2.searchParams.get('RelayState')! });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/me');
  });

  it('over plain HTTP (development) is jit-sso-saml, HttpOnly, SameSite=Lax, not Secure', async () => {
    const ctx = await samlApp();
    const { setCookies } = await startLogin(request.agent(ctx.app));
    const attributes = bindingCookie(setCookies).split(';').map((a) => a.trim().toLowerCase());
    expect(attributes[0]).toMatch(/^jit-sso-saml=/);
    expect(attributes).toEqual(expect.arrayContaining(['path=/', 'httponly', 'samesite=lax']));
    expect(attributes).not.toContain('secure');
  });

  it('with signed AuthnRequests, the RelayState handle is covered by the redirect signature (not appended after it)', async () => {
    const sp = await generateTestKeys();
    const ctx = await samlApp({ provider: { privateKey: sp.privateKey, publicCert: sp.certificate } });
    const agent = request.agent(ctx.app);
    const started = await startLogin(agent);
    // Redirect binding (saml-bindings 3.4.4.1): the signature is over SAMLRequest, RelayState and SigAlg, in that order, as sent.
    const raw = started.location.search.slice(1).split('&');
    const part = (name: string) => raw.find((p) => p.startsWith(`${name}=`))!;
    const signed = [part('SAMLRequest'), part('RelayState'), part('SigAlg')].join('&');
    const signature = Buffer.from(decodeURIComponent(part('Signature').slice('Signature='.length)), 'base64');
    expect(createVerify('RSA-SHA256').update(signed).verify(createPublicKey(sp.certificate), signature)).toBe(true);
    expect(part('RelayState')).toBe(`RelayState=${started.relayState}`);
    expect((await answer(ctx, agent, started)).status).toBe(303);
  });

  it('the RelayState sent to the IdP is an opaque handle that says nothing of returnTo', async () => {
    const ctx = await samlApp();
    const { relayState, location } = await startLogin(request.agent(ctx.app), '/reports?id=3');
    expect(relayState).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeURIComponent(location.search)).not.toContain('/reports');
  });
});
