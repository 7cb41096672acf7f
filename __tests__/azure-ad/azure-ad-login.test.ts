/**
 * Logins through the real passport-azure-ad `OIDCStrategy` (under `azureAdProvider`) against the
 * local OpenID provider issuing Entra-shaped tokens, behind an https front (passport-azure-ad
 * fetches metadata, keys and tokens over https only; see helpers/azure-ad-tls-front.ts).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { authorizeAt, AZ_CLIENT_ID, azureApp, azureLogin, closeEntra, CONTOSO, deliver, REDIRECT_URL, startAzureLogin, storedLogins } from '../helpers/azure-ad-app.js';

afterEach(closeEntra);

describe.each([4, 5] as const)('azureAdProvider on Express %i', (expressVersion) => {
  it('creates the user keyed on tenant + object id at the first code-flow login and lands on returnTo', async () => {
    const ctx = await azureApp({ express: expressVersion });
    const { agent, res } = await azureLogin(ctx, 'oid-alice', { returnTo: '/me?tab=1' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/me?tab=1');
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body).toMatchObject({
      username: 'alice.johnson',
      domain: 'contoso.com',
      email: 'alice.johnson@contoso.com',
      displayName: 'Alice Johnson',
      roles: [{ role: 'Invoice.Reader', source: 'idp', provider: 'azure' }],
    });
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'auto-provisioned-user', provider: 'azure', subject: `${CONTOSO}/oid-alice` })]);
    // The ID token passport-azure-ad verified came from the token endpoint, through the https front.
    expect(ctx.front.reSigned).toBe(1);
  });

  it('asks for the code flow with state, nonce and an S256 PKCE challenge whose verifier stays in the session', async () => {
    const ctx = await azureApp({ express: expressVersion });
    const agent = request.agent(ctx.app);
    const url = await startAzureLogin(agent);
    expect(url.origin).toBe(ctx.front.origin);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: AZ_CLIENT_ID,
      response_type: 'code',
      response_mode: 'query',
      redirect_uri: REDIRECT_URL,
      scope: 'openid profile email',
      code_challenge_method: 'S256',
    });
    const { pending, tuples } = await storedLogins(ctx.sessions);
    expect(pending).toEqual([expect.objectContaining({ returnTo: '/me' })]);
    expect(createHash('sha256').update(pending[0]!.codeVerifier as string).digest('base64url')).toBe(url.searchParams.get('code_challenge'));
    // passport-azure-ad's own tuple: the state it sent (ending in jit-sso's key) and the nonce.
    expect(tuples).toEqual([expect.objectContaining({ state: url.searchParams.get('state'), nonce: url.searchParams.get('nonce') })]);
    expect(url.searchParams.get('state')!.endsWith(pending[0]!.key as string)).toBe(true);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{32}$/);
  });

  it('every-login (Creatio) updates profile and roles at the next login; first-login (Bizagi) does not', async () => {
    for (const sync of ['every-login', 'first-login'] as const) {
      const ctx = await azureApp({ express: expressVersion, jitSso: { provisioning: { createUsers: true, sync } } });
      await azureLogin(ctx, 'oid-alice');
      ctx.op.updateUser('oid-alice', { displayName: 'Alice Smith', roles: ['Invoice.Approver'] });
      const { agent, res } = await azureLogin(ctx, 'oid-alice');
      expect(res.status).toBe(303);
      const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
      if (sync === 'every-login') {
        expect(me.body.displayName).toBe('Alice Smith');
        expect(me.body.roles).toEqual([{ role: 'Invoice.Approver', source: 'idp', provider: 'azure' }]);
      } else {
        expect(me.body.displayName).toBe('Alice Johnson');
        expect(me.body.roles).toEqual([{ role: 'Invoice.Reader', source: 'idp', provider: 'azure' }]);
      }
      expect(await ctx.store.listUsers()).toHaveLength(1);
      expect(ctx.events.map((e) => e.subType)).toEqual(['auto-provisioned-user', 'existing-user']);
      await closeEntra();
    }
  });

  it('changes the session id at login (no session fixation)', async () => {
    const ctx = await azureApp({ express: expressVersion });
    const agent = request.agent(ctx.app);
    const before = await agent.get('/auth/azure/login?returnTo=/me').expect(302);
    const cookieBefore = String(before.headers['set-cookie'] ?? '').split(';')[0];
    const { res } = await azureLogin(ctx, 'oid-alice', { agent });
    expect(cookieBefore).toMatch(/^sid=/);
    expect(String(res.headers['set-cookie'] ?? '').split(';')[0]).not.toBe(cookieBefore);
  });

  it('refuses to start a login without express-session (passport-azure-ad would quietly invent a throw-away session)', async () => {
    const ctx = await azureApp({ express: expressVersion, session: false });
    const res = await request(ctx.app).get('/auth/azure/login').set('Accept', 'application/json');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: expect.objectContaining({ code: 'ERR_JIT_SSO_SESSION_REQUIRED' }) });
  });

  it("responseMode 'form_post': the code comes back in a posted form, and a GET callback is refused", async () => {
    const ctx = await azureApp({ express: expressVersion, provider: { responseMode: 'form_post' } });
    const agent = request.agent(ctx.app);
    const url = await startAzureLogin(agent);
    expect(url.searchParams.get('response_mode')).toBe('form_post');
    const response = await authorizeAt(ctx, url, 'oid-bob');
    expect(response).toMatchObject({ method: 'POST', url: new URL(REDIRECT_URL), form: { code: expect.any(String), state: url.searchParams.get('state') } });
    const asQuery = new URL(response.url);
    if (response.method === 'POST') for (const [k, v] of Object.entries(response.form)) asQuery.searchParams.set(k, v);
    expect((await deliver(agent, { method: 'GET', url: asQuery })).status).toBe(404);
    const res = await deliver(agent, response);
    expect(res.status).toBe(303);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body).toMatchObject({ username: 'bob', roles: [{ role: 'Invoice.Approver', source: 'idp', provider: 'azure' }] });
  });
});
