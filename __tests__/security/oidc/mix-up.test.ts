/**
 * Mix-up: with two OpenID providers, a code or state one of them issued must never be accepted at
 * the other's callback. Each provider has its own callback URL and its own logins in the session;
 * the authorization response's `iss` (RFC 9207) is checked where the provider sends it.
 */
import { afterEach, describe, it } from '@jest/globals';
import request from 'supertest';
import { closeOps, oidcApp, providerFor, startOidcLogin, testOp } from '../../helpers/oidc-app.js';
import { watch } from '../../helpers/oidc-attacks.js';

afterEach(closeOps);

async function twoProviders() {
  const opA = await testOp();
  const opB = await testOp({ callbackIds: ['beta'] });
  const ctx = await oidcApp({ op: opA, extraProviders: [providerFor(opB, 'beta')] });
  return { ...ctx, opA, opB };
}

describe('OIDC mix-up attacks', () => {
  it("a code and state from provider A sent to provider B's callback are refused", async () => {
    const ctx = await twoProviders();
    const agent = request.agent(ctx.app);
    const callbackA = await ctx.opA.authorize((await startOidcLogin(agent, 'oidc')).href, 'oid-alice');
    const w = await watch(ctx);
    const res = await agent.get(`/auth/beta/callback${callbackA.search}`);
    await w.expectRefused(res, agent, { provider: 'beta', reason: /state does not match/ });
  });

  it("provider A's code with a state of a login at provider B, sent to B's callback, is refused (iss of the response)", async () => {
    const ctx = await twoProviders();
    const agent = request.agent(ctx.app);
    const callbackA = await ctx.opA.authorize((await startOidcLogin(agent, 'oidc')).href, 'oid-alice');
    const stateB = (await startOidcLogin(agent, 'beta')).searchParams.get('state')!;
    callbackA.searchParams.set('state', stateB);
    const w = await watch(ctx);
    const res = await agent.get(`/auth/beta/callback${callbackA.search}`);
    await w.expectRefused(res, agent, { provider: 'beta', reason: /"iss"/ });
  });

  it("provider A's code with B's state and no iss parameter is refused (B requires iss)", async () => {
    const ctx = await twoProviders();
    const agent = request.agent(ctx.app);
    const callbackA = await ctx.opA.authorize((await startOidcLogin(agent, 'oidc')).href, 'oid-alice');
    callbackA.searchParams.set('state', (await startOidcLogin(agent, 'beta')).searchParams.get('state')!);
    callbackA.searchParams.delete('iss');
    const w = await watch(ctx);
    await w.expectRefused(await agent.get(`/auth/beta/callback${callbackA.search}`), agent, { provider: 'beta', reason: /"iss"/ });
  });

  it("a state issued for provider B is not accepted at provider A's callback", async () => {
    const ctx = await twoProviders();
    const agent = request.agent(ctx.app);
    const callbackB = await ctx.opB.authorize((await startOidcLogin(agent, 'beta')).href, 'oid-alice');
    const w = await watch(ctx);
    await w.expectRefused(await agent.get(`/auth/oidc/callback${callbackB.search}`), agent, { reason: /state does not match/ });
  });
});
