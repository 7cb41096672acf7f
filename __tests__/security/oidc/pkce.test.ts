/**
 * PKCE: the code is only redeemed with the verifier of the login that asked for it. A session that
 * lost its verifier is refused before the code is sent anywhere; a wrong verifier is refused by the
 * provider (invalid_grant), so a stolen code is useless without the browser's session.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { closeOps, editSessions, oidcApp, pathOf, pendingLogins, startOidcLogin } from '../../helpers/oidc-app.js';
import { watch } from '../../helpers/oidc-attacks.js';

afterEach(closeOps);

describe('OIDC PKCE attacks', () => {
  it("a callback whose session lost the PKCE code_verifier is refused without redeeming the code", async () => {
    const requested: string[] = [];
    const ctx = await oidcApp({ provider: { fetch: (url, init) => (requested.push(url), fetch(url, init)) } });
    const agent = request.agent(ctx.app);
    const authorizationUrl = await startOidcLogin(agent);
    const callback = await ctx.op.authorize(authorizationUrl.href, 'oid-alice');
    await editSessions(ctx.sessions, (data) => pendingLogins(data).forEach((p) => delete p.codeVerifier));
    const w = await watch(ctx);
    await w.expectRefused(await agent.get(pathOf(callback)), agent, { reason: /code_verifier missing/ });
    expect(requested).not.toContain(`${ctx.op.issuer}/token`);
  });

  it('a code redeemed with a wrong PKCE code_verifier is refused by the provider (invalid_grant)', async () => {
    const ctx = await oidcApp();
    const agent = request.agent(ctx.app);
    const authorizationUrl = await startOidcLogin(agent);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    const callback = await ctx.op.authorize(authorizationUrl.href, 'oid-alice');
    await editSessions(ctx.sessions, (data) => pendingLogins(data).forEach((p) => (p.codeVerifier = 'a'.repeat(64))));
    const w = await watch(ctx);
    await w.expectRefused(await agent.get(pathOf(callback)), agent, { reason: /invalid_grant/ });
  });
});
