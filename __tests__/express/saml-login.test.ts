import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CALLBACK_URL, login, samlApp, SP_ENTITY_ID, startLogin } from '../helpers/saml-app.js';

describe.each([4, 5] as const)('SAML login on Express %i', (expressVersion) => {
  it('creates the user on the first SP-initiated login, signs them in and lands on returnTo', async () => {
    const ctx = await samlApp({ express: expressVersion });
    const { agent, res } = await login(ctx, 'oid-alice', { returnTo: '/me?tab=1' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me?tab=1');
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body).toMatchObject({
      username: 'alice.johnson',
      domain: 'contoso.com',
      email: 'alice.johnson@contoso.com',
      displayName: 'Alice Johnson',
      status: 'active',
      roles: [{ role: 'Invoice.Reader', source: 'idp', provider: 'entra' }],
    });
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'auto-provisioned-user', provider: 'entra', subject: expect.stringContaining('oid-alice') })]);
  });

  it('changes the session id at login (no session fixation)', async () => {
    const ctx = await samlApp({ express: expressVersion });
    const agent = request.agent(ctx.app);
    const before = await agent.get('/auth/entra/login?returnTo=/me');
    const cookieBefore = String(before.headers['set-cookie'] ?? '');
    const { res } = await login(ctx, 'oid-alice', { agent });
    const cookieAfter = String(res.headers['set-cookie'] ?? '');
    expect(cookieAfter).toMatch(/sid=/);
    expect(cookieAfter.split(';')[0]).not.toBe(cookieBefore.split(';')[0]);
  });

  it('every-login (Creatio) updates profile and roles at the next login; first-login (Bizagi) does not', async () => {
    for (const sync of ['every-login', 'first-login'] as const) {
      const ctx = await samlApp({ express: expressVersion, jitSso: { provisioning: { createUsers: true, sync } } });
      await login(ctx, 'oid-alice');
      ctx.idp.updateUser('oid-alice', { displayName: 'Alice Smith', roles: ['Invoice.Approver'] });
      const { agent } = await login(ctx, 'oid-alice');
      const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
      if (sync === 'every-login') {
        expect(me.body.displayName).toBe('Alice Smith');
        expect(me.body.roles).toEqual([{ role: 'Invoice.Approver', source: 'idp', provider: 'entra' }]);
      } else {
        expect(me.body.displayName).toBe('Alice Johnson');
        expect(me.body.roles).toEqual([{ role: 'Invoice.Reader', source: 'idp', provider: 'entra' }]);
      }
    }
  });

  it('refuses an unknown user with 403, a plain message and a denied audit event when createUsers is off', async () => {
    const ctx = await samlApp({ express: expressVersion, jitSso: { provisioning: { createUsers: false } } });
    const { res, agent } = await login(ctx, 'oid-alice');
    expect(res.status).toBe(403);
    expect(res.text).toContain('does not exist in this application');
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED' })]);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
    expect(await ctx.store.listUsers()).toEqual([]);
  });

  it('answers JSON for a refusal when the client accepts JSON', async () => {
    const ctx = await samlApp({ express: expressVersion, jitSso: { provisioning: { createUsers: true, newUserStatus: 'pending' } } });
    const agent = request.agent(ctx.app);
    const started = await startLogin(agent);
    const authn = ctx.idp.parseAuthnRequest(started.samlRequest);
    const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
    const res = await agent.post('/auth/entra/callback').set('Accept', 'application/json').type('form').send({ SAMLResponse: response.base64, RelayState: started.relayState }).expect(403);
    expect(res.body).toEqual({ error: { code: 'ERR_JIT_SSO_USER_PENDING', message: expect.stringContaining('approve') } });
  });

  it('accepts an IdP-initiated login only when allowUnsolicited is on', async () => {
    const refused = await samlApp({ express: expressVersion });
    const unsolicited = refused.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID });
    await request(refused.app).post('/auth/entra/callback').type('form').send({ SAMLResponse: unsolicited.base64 }).expect(401);
    expect(refused.events[0]).toMatchObject({ subType: 'denied', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED' });

    const allowed = await samlApp({ express: expressVersion, provider: { allowUnsolicited: true } });
    const response = allowed.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID });
    const agent = request.agent(allowed.app);
    const res = await agent.post('/auth/entra/callback').type('form').send({ SAMLResponse: response.base64, RelayState: '/me' }).expect(303);
    expect(res.headers.location).toBe('/me');
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });

  it('guards: requireAuth redirects pages to login and answers 401 JSON to APIs; requireRole answers 403', async () => {
    const ctx = await samlApp({ express: expressVersion });
    const page = await request(ctx.app).get('/me?x=1').set('Accept', 'text/html').expect(302);
    expect(page.headers.location).toBe('/auth/entra/login?returnTo=%2Fme%3Fx%3D1');
    const api = await request(ctx.app).get('/me').set('Accept', 'application/json').expect(401);
    expect(api.body.error.code).toBe('ERR_JIT_SSO_NOT_AUTHENTICATED');
    const { agent } = await login(ctx, 'oid-alice');
    await agent.get('/admin').set('Accept', 'application/json').expect(403);
    const [user] = await ctx.store.listUsers();
    await ctx.store.grantRole(user!.id, 'Admin');
    ctx.middleware.invalidateUser(user!.id);
    await agent.get('/admin').expect(200, 'admin area');
  });

  it('serves SP metadata with the entity id and ACS URL', async () => {
    const ctx = await samlApp({ express: expressVersion });
    const res = await request(ctx.app).get('/auth/entra/metadata').expect(200);
    expect(res.headers['content-type']).toContain('xml');
    expect(res.text).toContain(`entityID="${SP_ENTITY_ID}"`);
    expect(res.text).toContain(`Location="${CALLBACK_URL}"`);
  });

  it('logs out by POST: the session ends and /me answers 401', async () => {
    const ctx = await samlApp({ express: expressVersion });
    const { agent } = await login(ctx, 'oid-alice');
    await agent.get('/me').set('Accept', 'application/json').expect(200);
    const out = await agent.post('/auth/logout').expect(303);
    expect(out.headers.location).toBe('/');
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('answers 404 for an unknown provider', async () => {
    const ctx = await samlApp({ express: expressVersion });
    const res = await request(ctx.app).get('/auth/nope/login').set('Accept', 'application/json').expect(404);
    expect(res.body.error.code).toBe('ERR_JIT_SSO_UNKNOWN_PROVIDER');
  });

  it('names the fix when express-session is not mounted', async () => {
    const ctx = await samlApp({ express: expressVersion, session: false });
    const res = await request(ctx.app).get('/').set('Accept', 'application/json').expect(500);
    expect(res.body.error).toEqual({ code: 'ERR_JIT_SSO_SESSION_REQUIRED', message: expect.stringContaining('app.use(session(') });
  });
});
