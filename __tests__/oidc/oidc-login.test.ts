import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { callbackUrl, CLIENT_ID, closeOps, editSessions, oidcApp, oidcLogin, pathOf, pendingLogins, startOidcLogin } from '../helpers/oidc-app.js';

afterEach(closeOps);

describe.each([4, 5] as const)('OIDC login on Express %i', (expressVersion) => {
  it('creates the user on the first authorization-code login, signs them in and lands on returnTo', async () => {
    const ctx = await oidcApp({ express: expressVersion });
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { returnTo: '/me?tab=1' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me?tab=1');
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body).toMatchObject({
      username: 'alice.johnson',
      domain: 'contoso.com',
      email: 'alice.johnson@contoso.com',
      emailVerified: true,
      displayName: 'Alice Johnson',
      status: 'active',
      roles: expect.arrayContaining([{ role: 'Invoice.Reader', source: 'idp', provider: 'oidc' }]),
    });
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'auto-provisioned-user', provider: 'oidc', subject: 'oid-alice' })]);
  });

  it('sends state, nonce and an S256 PKCE challenge on every authorization request, though the provider advertises PKCE', async () => {
    const ctx = await oidcApp({ express: expressVersion });
    const discovery = (await (await fetch(ctx.op.discoveryUrl)).json()) as { code_challenge_methods_supported?: string[] };
    expect(discovery.code_challenge_methods_supported).toContain('S256');
    const agent = request.agent(ctx.app);
    const url = await startOidcLogin(agent);
    expect(url.origin + url.pathname).toBe(`${ctx.op.issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: callbackUrl('oidc'),
      scope: 'openid profile email',
      code_challenge_method: 'S256',
    });
    let stored: Array<Record<string, unknown>> = [];
    await editSessions(ctx.sessions, (data) => void (stored = pendingLogins(data)));
    expect(stored).toEqual([expect.objectContaining({ state: url.searchParams.get('state'), nonce: url.searchParams.get('nonce'), returnTo: '/me' })]);
    const verifier = stored[0]!.codeVerifier as string;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(url.searchParams.get('code_challenge'));
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{32,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{32,}$/);
  });

  it('changes the session id at login (no session fixation)', async () => {
    const ctx = await oidcApp({ express: expressVersion });
    const agent = request.agent(ctx.app);
    const before = await agent.get('/auth/oidc/login?returnTo=/me').expect(302);
    const cookieBefore = String(before.headers['set-cookie'] ?? '');
    const { res } = await oidcLogin(ctx, 'oid-alice', { agent });
    expect(cookieBefore).toMatch(/sid=/);
    expect(String(res.headers['set-cookie'] ?? '').split(';')[0]).not.toBe(cookieBefore.split(';')[0]);
  });

  it('every-login (Creatio) updates profile and roles at the next login; first-login (Bizagi) does not', async () => {
    for (const sync of ['every-login', 'first-login'] as const) {
      const ctx = await oidcApp({ express: expressVersion, jitSso: { provisioning: { createUsers: true, sync } } });
      await oidcLogin(ctx, 'oid-alice');
      ctx.op.updateUser('oid-alice', { displayName: 'Alice Smith', roles: ['Invoice.Approver'], groups: [] });
      const { agent } = await oidcLogin(ctx, 'oid-alice');
      const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
      if (sync === 'every-login') {
        expect(me.body.displayName).toBe('Alice Smith');
        expect(me.body.roles).toEqual([{ role: 'Invoice.Approver', source: 'idp', provider: 'oidc' }]);
      } else {
        expect(me.body.displayName).toBe('Alice Johnson');
        expect(me.body.roles).toEqual(expect.arrayContaining([{ role: 'Invoice.Reader', source: 'idp', provider: 'oidc' }]));
      }
      expect(await ctx.store.listUsers()).toHaveLength(1);
    }
  });

  it('refuses an unknown user with 403, a plain message and a denied audit event when createUsers is off', async () => {
    const ctx = await oidcApp({ express: expressVersion, jitSso: { provisioning: { createUsers: false } } });
    const { res, agent } = await oidcLogin(ctx, 'oid-alice');
    expect(res.status).toBe(403);
    expect(res.text).toContain('does not exist in this application');
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED' })]);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
    expect(await ctx.store.listUsers()).toEqual([]);
  });

  it('lands on the landing path when returnTo leads off-site', async () => {
    const ctx = await oidcApp({ express: expressVersion });
    const { res } = await oidcLogin(ctx, 'oid-alice', { returnTo: 'https://evil.example/x' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
  });

  it('logs out by POST: the session ends and /me answers 401', async () => {
    const ctx = await oidcApp({ express: expressVersion });
    const { agent } = await oidcLogin(ctx, 'oid-alice');
    await agent.post('/auth/logout').expect(303);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });
});

describe('OIDC login', () => {
  it('keeps two logins in progress in one session (two tabs), each landing on its own returnTo', async () => {
    const ctx = await oidcApp();
    const agent = request.agent(ctx.app);
    const first = await startOidcLogin(agent, 'oidc', '/first');
    const second = await startOidcLogin(agent, 'oidc', '/second');
    const secondCallback = await ctx.op.authorize(second.href, 'oid-alice');
    const firstCallback = await ctx.op.authorize(first.href, 'oid-alice');
    expect((await agent.get(pathOf(firstCallback))).headers.location).toBe('/first');
    // The first login regenerated the session: the second tab's login is gone with it.
    expect((await request.agent(ctx.app).get(pathOf(secondCallback))).status).toBe(401);
  });

  it('refuses an error answer of the provider (access_denied) with 401, the error in the audit reason', async () => {
    const ctx = await oidcApp();
    const agent = request.agent(ctx.app);
    const url = await startOidcLogin(agent);
    const res = await agent.get(`/auth/oidc/callback?error=access_denied&error_description=User+cancelled&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ctx.op.issuer)}`);
    expect(res.status).toBe(401);
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: expect.stringContaining('access_denied') })]);
  });

  it('refuses a callback by POST (the code comes back in the query)', async () => {
    const ctx = await oidcApp();
    const res = await request(ctx.app).post('/auth/oidc/callback').type('form').send({ code: 'x', state: 'y' });
    expect(res.status).toBe(401);
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', reason: 'callback by POST, expected GET' })]);
  });

  it('authenticates to the token endpoint with private_key_jwt', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'app-key-1', alg: 'RS256', use: 'sig' };
    const { testOp } = await import('../helpers/oidc-app.js');
    const op = await testOp({ clients: [{ clientId: CLIENT_ID, redirectUris: [callbackUrl('oidc')], jwks: { keys: [jwk] } }] });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const ctx = await oidcApp({ op, provider: { clientSecret: undefined, privateKey: { key: pem, kid: 'app-key-1' } } });
    const { res } = await oidcLogin(ctx, 'oid-alice');
    expect(res.status).toBe(303);
    expect(await ctx.store.listUsers()).toHaveLength(1);
  });

  it('fills in claims from userinfo when userinfo is on; the signed ID token wins where both have a claim', async () => {
    const ctx = await oidcApp({ provider: { userinfo: true } });
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: ({ name: _name, ...claims }) => ({ claims: { ...claims, given_name: 'Alicia' } }) });
    expect(res.status).toBe(303);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body).toMatchObject({ displayName: 'Alice Johnson', firstName: 'Alicia' });
  });

  it('accepts the discovery document URL as issuer', async () => {
    const ctx0 = await oidcApp();
    const ctx = await oidcApp({ op: ctx0.op, provider: { issuer: ctx0.op.discoveryUrl } });
    expect((await oidcLogin(ctx, 'oid-alice')).res.status).toBe(303);
  });
});

describe('OIDC discovery', () => {
  it('fetches nothing before the first login; ready() discovers early and reports an unreachable provider', async () => {
    const { oidcProvider } = await import('../../lib/providers/oidc/oidc-provider.js');
    const seen: string[] = [];
    const ctx0 = await oidcApp();
    const provider = oidcProvider({
      id: 'oidc', issuer: ctx0.op.issuer, clientId: CLIENT_ID, clientSecret: 'x', callbackUrl: callbackUrl('oidc'), allowInsecureRequests: true,
      fetch: (url, init) => (seen.push(url), fetch(url, init)),
    });
    expect(seen).toEqual([]);
    await provider.ready();
    expect(seen).toEqual([ctx0.op.discoveryUrl]);

    let reachable = false;
    const flaky = oidcProvider({
      id: 'flaky', issuer: ctx0.op.issuer, clientId: CLIENT_ID, clientSecret: 'x', callbackUrl: callbackUrl('flaky'), allowInsecureRequests: true,
      fetch: (url, init) => (reachable ? fetch(url, init) : Promise.reject(new TypeError('fetch failed'))),
    });
    await expect(flaky.ready()).rejects.toMatchObject({ code: 'ERR_JIT_SSO_IDP_UNAVAILABLE', status: 503 });
    reachable = true;
    await expect(flaky.ready()).resolves.toBeUndefined();
  });

  it('answers 503 without an audit event when the provider cannot be reached', async () => {
    const ctx = await oidcApp();
    await ctx.op.close();
    const res = await request(ctx.app).get('/auth/oidc/login').set('Accept', 'application/json');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('ERR_JIT_SSO_IDP_UNAVAILABLE');
    expect(ctx.events).toEqual([]);
  });
});
