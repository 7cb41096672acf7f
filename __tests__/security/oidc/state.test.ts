/**
 * The `state` parameter binds a callback to the browser that started the login: a callback without
 * it, with one this session never issued, or replayed in another browser is refused.
 */
import { afterEach, describe, it } from '@jest/globals';
import request from 'supertest';
import { closeOps, oidcApp, oidcLogin, pathOf, startOidcLogin } from '../../helpers/oidc-app.js';
import { watch } from '../../helpers/oidc-attacks.js';

afterEach(closeOps);

describe('OIDC state attacks', () => {
  it('a callback without state is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { editCallback: (url) => void url.searchParams.delete('state') });
    await w.expectRefused(res, agent, { reason: /state missing/ });
  });

  it('a callback with a state this session never issued is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { editCallback: (url) => void url.searchParams.set('state', 'forged-state-0123456789') });
    await w.expectRefused(res, agent, { reason: /state does not match/ });
  });

  it('a callback with two state parameters is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { editCallback: (url) => void url.searchParams.append('state', 'second') });
    await w.expectRefused(res, agent, { reason: /more than one state/ });
  });

  it("a victim's callback URL replayed in the attacker's browser (login CSRF / stolen code) is refused", async () => {
    const ctx = await oidcApp();
    const victim = request.agent(ctx.app);
    const authorizationUrl = await startOidcLogin(victim);
    const callback = await ctx.op.authorize(authorizationUrl.href, 'oid-alice');
    const w = await watch(ctx);
    const attacker = request.agent(ctx.app);
    await w.expectRefused(await attacker.get(pathOf(callback)), attacker, { reason: /state does not match/ });
  });

  it('a callback used once cannot be used again (the state is single-use)', async () => {
    const ctx = await oidcApp();
    const first = await oidcLogin(ctx, 'oid-alice');
    await first.agent.post('/auth/logout').expect(303);
    const w = await watch(ctx);
    await w.expectRefused(await first.agent.get(pathOf(first.callback)), first.agent, { reason: /state does not match/ });
  });
});
