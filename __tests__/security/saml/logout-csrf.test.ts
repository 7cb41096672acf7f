/**
 * Logout CSRF: a page on another site must not sign people out by posting a form (or a fetch) to
 * `POST {basePath}/logout` — nor start their single logout at the IdP. The app's own form posts and
 * fetches, and clients that send no browser headers (curl), still log out.
 */
import { describe, expect, it } from '@jest/globals';
import type request from 'supertest';
import { login, samlApp } from '../../helpers/saml-app.js';
import { SLO } from '../../helpers/saml-logout.js';

type Agent = ReturnType<typeof request.agent>;
const APP = 'app.example.com';

async function signedIn(express: 4 | 5 = 5, trustProxy?: string) {
  const ctx = await samlApp({ express, provider: { logoutUrl: SLO } });
  if (trustProxy) ctx.app.set('trust proxy', trustProxy);
  const { agent } = await login(ctx, 'oid-alice');
  await agent.get('/me').set('Accept', 'application/json').expect(200);
  return { ...ctx, agent };
}

/** A cross-site refusal: 403 with its code, no redirect (to the IdP or anywhere), one logout/denied event, and the session intact. */
async function expectRefused(ctx: Awaited<ReturnType<typeof signedIn>>, res: request.Response, reason: RegExp, eventsBefore: number) {
  expect(res.status).toBe(403);
  expect(res.headers.location).toBeUndefined();
  expect(ctx.events).toHaveLength(eventsBefore + 1);
  expect(ctx.events.at(-1)).toMatchObject({ type: 'logout', subType: 'denied', provider: 'entra', code: 'ERR_JIT_SSO_CROSS_SITE_REQUEST', reason: expect.stringMatching(reason), userId: expect.any(String) });
  await ctx.agent.get('/me').set('Accept', 'application/json').expect(200);
}

function logout(agent: Agent, headers: Record<string, string>) {
  let req = agent.post('/auth/logout');
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req.type('form').send({ returnTo: '/bye' });
}

describe.each([4, 5] as const)('cross-site POST /auth/logout (Express %i)', (express) => {
  it('a cross-site form post (Sec-Fetch-Site: cross-site) does not sign the user out', async () => {
    const ctx = await signedIn(express);
    const before = ctx.events.length;
    const res = await logout(ctx.agent, { Host: APP, Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' });
    await expectRefused(ctx, res, /Sec-Fetch-Site is "cross-site"/, before);
  });

  it('a post from a sibling subdomain (Sec-Fetch-Site: same-site) does not sign the user out', async () => {
    const ctx = await signedIn(express);
    const before = ctx.events.length;
    const res = await logout(ctx.agent, { Host: APP, Origin: 'https://blog.example.com', 'Sec-Fetch-Site': 'same-site' });
    await expectRefused(ctx, res, /Sec-Fetch-Site is "same-site"/, before);
  });

  it('a cross-site post from a browser without Fetch Metadata (Origin of another site only) does not sign the user out', async () => {
    const ctx = await signedIn(express);
    const before = ctx.events.length;
    const res = await logout(ctx.agent, { Host: APP, Origin: 'http://evil.example' });
    await expectRefused(ctx, res, /Origin "http:\/\/evil.example" is not this app's origin/, before);
  });

  it('a post with an opaque origin (Origin: null, a sandboxed frame) does not sign the user out', async () => {
    const ctx = await signedIn(express);
    const before = ctx.events.length;
    const res = await logout(ctx.agent, { Host: APP, Origin: 'null' });
    await expectRefused(ctx, res, /Origin "null"/, before);
  });

  it("the app's own form post (same origin) signs the user out and goes on to the IdP", async () => {
    const ctx = await signedIn(express);
    const res = await logout(ctx.agent, { Host: APP, Origin: `http://${APP}`, 'Sec-Fetch-Site': 'same-origin' });
    expect(res.status).toBe(303);
    expect(new URL(res.headers.location as string).origin + new URL(res.headers.location as string).pathname).toBe(SLO);
    await ctx.agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it("the app's own fetch (Origin only, JSON) signs the user out", async () => {
    const ctx = await signedIn(express);
    const res = await logout(ctx.agent, { Host: APP, Origin: `http://${APP}`, Accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(res.body.loggedOut).toBe(true);
    await ctx.agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('a client that sends neither Origin nor Sec-Fetch-Site (curl, an old browser) still signs out', async () => {
    const ctx = await signedIn(express);
    const res = await logout(ctx.agent, {});
    expect(res.status).toBe(303);
    await ctx.agent.get('/me').set('Accept', 'application/json').expect(401);
  });
});

describe.each([4, 5] as const)('POST /auth/logout behind a reverse proxy (Express %i)', (express) => {
  const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': APP, Host: '127.0.0.1:3000' };

  it('with trust proxy, the public https origin the proxy reports is this app: an older browser\'s same-origin post signs out', async () => {
    const ctx = await signedIn(express, 'loopback');
    const res = await logout(ctx.agent, { ...forwarded, Origin: `https://${APP}` });
    expect(res.status).toBe(303);
    await ctx.agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('with trust proxy, a cross-site Origin is still refused', async () => {
    const ctx = await signedIn(express, 'loopback');
    const before = ctx.events.length;
    const res = await logout(ctx.agent, { ...forwarded, Origin: 'https://evil.example' });
    await expectRefused(ctx, res, /Origin "https:\/\/evil.example"/, before);
  });

  it('with trust proxy and a non-default port, the port is part of the origin', async () => {
    const ctx = await signedIn(express, 'loopback');
    const before = ctx.events.length;
    const withPort = { ...forwarded, 'X-Forwarded-Host': `${APP}:8443` };
    await expectRefused(ctx, await logout(ctx.agent, { ...withPort, Origin: `https://${APP}` }), /is not this app's origin/, before);
    const res = await logout(ctx.agent, { ...withPort, Origin: `https://${APP}:8443` });
    expect(res.status).toBe(303);
  });

  it('without trust proxy, X-Forwarded-Host cannot make an attacker\'s origin this app\'s', async () => {
    const ctx = await signedIn(express);
    const before = ctx.events.length;
    const res = await logout(ctx.agent, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example', Host: APP, Origin: 'https://evil.example' });
    await expectRefused(ctx, res, /Origin "https:\/\/evil.example"/, before);
  });

  it("without trust proxy, a current browser's same-origin post still signs out (Sec-Fetch-Site is the browser's word)", async () => {
    const ctx = await signedIn(express);
    const res = await logout(ctx.agent, { Host: '127.0.0.1:3000', Origin: `https://${APP}`, 'Sec-Fetch-Site': 'same-origin' });
    expect(res.status).toBe(303);
    await ctx.agent.get('/me').set('Accept', 'application/json').expect(401);
  });
});

describe('cross-site POST /auth/logout: the page', () => {
  it('answers a cross-site refusal with a coded JSON error to an API client', async () => {
    const ctx = await signedIn();
    const res = await logout(ctx.agent, { Origin: 'https://evil.example', Accept: 'application/json' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'ERR_JIT_SSO_CROSS_SITE_REQUEST', message: expect.any(String) } });
  });
});
