/**
 * nOAuth: in Entra an administrator of any tenant can set any `mail` on their own accounts, so a
 * multi-tenant app that keys or links users on the email lets that tenant sign in as someone else.
 * jit-sso keys Entra users on tenant + object id; an email links accounts only when the IdP says it
 * is verified (and Entra never does).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { closeOps, entraLogin, entraMultiTenant, oidcApp, OIDC_USERS, OTHER_TENANT, TENANT, testOp } from '../../helpers/oidc-app.js';
import { expectNoSession, watch } from '../../helpers/oidc-attacks.js';

afterEach(closeOps);

/** An account in the attacker's own tenant whose mail is the victim's address. */
const ATTACKER = { id: 'oid-mallory', username: 'mallory@fabrikam.onmicrosoft.com', email: 'alice.johnson@contoso.com', displayName: 'Alice Johnson', tenant: OTHER_TENANT };

async function entraApp(provisioning: Record<string, unknown> = {}) {
  const op = await testOp({ claimsShape: 'entra', users: [...structuredClone(OIDC_USERS), ATTACKER] });
  return oidcApp({ op, provider: { ...entraMultiTenant(op, [TENANT, OTHER_TENANT]), provisioning } });
}

/** The victim signs in legitimately first; returns their user id. */
async function victimId(ctx: Awaited<ReturnType<typeof entraApp>>): Promise<string> {
  const { agent, res } = await entraLogin(ctx, 'oid-alice');
  expect(res.status).toBe(303);
  return ((await agent.get('/me').set('Accept', 'application/json').expect(200)).body as { id: string }).id;
}

describe('nOAuth: an email from another tenant', () => {
  it.each([
    ['the default policy', {}],
    ["linkExisting: 'verified-email' (Entra does not vouch for the email)", { linkExisting: 'verified-email', emailAuthority: { 'contoso.com': true } }],
  ])("with %s, another tenant's account carrying the victim's email becomes a separate user, never the victim", async (_name, provisioning) => {
    const ctx = await entraApp(provisioning);
    const victim = await victimId(ctx);
    const victimBefore = await ctx.store.findUserById(victim);
    const { agent, res } = await entraLogin(ctx, 'oid-mallory');
    expect(res.status).toBe(303);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.id).not.toBe(victim);
    expect(await ctx.store.findUserById(victim)).toEqual(victimBefore);
    expect(await ctx.store.listUsers()).toHaveLength(2);
    expect(ctx.events.at(-1)).toMatchObject({ subType: 'auto-provisioned-user', subject: `${OTHER_TENANT}/oid-mallory` });
  });

  it("with createUsers off, another tenant's account carrying the victim's email is refused, not signed in as the victim", async () => {
    const seeded = await entraApp();
    await victimId(seeded);
    const ctx = await oidcApp({ op: seeded.op, store: seeded.store, provider: { ...entraMultiTenant(seeded.op, [TENANT, OTHER_TENANT]), provisioning: { createUsers: false, linkExisting: 'verified-email', emailAuthority: { 'contoso.com': true } } } });
    const w = await watch(ctx);
    const { agent, res } = await entraLogin(ctx, 'oid-mallory');
    await w.expectRefused(res, agent, { status: 403, code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED', reason: /createUsers is off/ });
    await expectNoSession(agent);
  });
});
