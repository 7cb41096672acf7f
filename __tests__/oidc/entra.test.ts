import { afterEach, describe, expect, it } from '@jest/globals';
import type { Identity } from '../../lib/identity/types.js';
import type { ResolveGroupsContext } from '../../lib/providers/oidc/oidc-provider.js';
import { closeOps, entraLogin, entraMultiTenant, oidcApp, oidcLogin, OIDC_USERS, OTHER_TENANT, TENANT, testOp } from '../helpers/oidc-app.js';

afterEach(closeOps);

const SALES_GROUP = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f';
/** Carol is in 201 groups: Entra leaves them out of the token and sends the overage pointer. */
const CAROL = {
  id: 'oid-carol',
  username: 'carol.white@contoso.com',
  displayName: 'Carol White',
  tenant: TENANT,
  groups: [SALES_GROUP, ...Array.from({ length: 200 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)],
};

async function entraApp(options: { multiTenant?: boolean; provider?: Record<string, unknown>; provisioning?: Record<string, unknown> } = {}) {
  const op = await testOp({ claimsShape: 'entra', users: [...structuredClone(OIDC_USERS), CAROL, { id: 'oid-dave', username: 'dave@fabrikam.com', tenant: OTHER_TENANT }] });
  const provider = { preset: 'entra-oidc' as const, ...(options.multiTenant ? entraMultiTenant(op, [TENANT, OTHER_TENANT]) : {}), ...options.provider };
  return oidcApp({ op, provider, jitSso: { provisioning: { createUsers: true, unmappedRoles: 'as-is', ...options.provisioning } } });
}

describe('Microsoft Entra ID (entra-oidc)', () => {
  it('keys the user on tenant + object id, reads the UPN as the login and the app roles', async () => {
    const ctx = await entraApp();
    const { agent, res } = await oidcLogin(ctx, 'oid-alice');
    expect(res.status).toBe(303);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body).toMatchObject({ username: 'alice.johnson', domain: 'contoso.com', displayName: 'Alice Johnson' });
    expect(me.body.roles).toEqual(expect.arrayContaining([{ role: 'Invoice.Reader', source: 'idp', provider: 'oidc' }]));
    expect(ctx.events.at(-1)).toMatchObject({ subType: 'auto-provisioned-user', subject: `${TENANT}/oid-alice` });
  });

  it("signs in people of every allowed tenant on the organizations endpoint, each token's iss being its own tenant's", async () => {
    const ctx = await entraApp({ multiTenant: true });
    expect((await entraLogin(ctx, 'oid-alice')).res.status).toBe(303);
    expect((await entraLogin(ctx, 'oid-dave')).res.status).toBe(303);
    expect(ctx.events.map((e) => e.subject)).toEqual([`${TENANT}/oid-alice`, `${OTHER_TENANT}/oid-dave`]);
  });

  it('group overage: resolveGroups gets the identity and a working access token, and its groups become roles', async () => {
    const calls: Array<{ identity: Identity; context: ResolveGroupsContext; userinfo: unknown }> = [];
    const ctx = await entraApp({
      provisioning: { roleClaims: ['groups'], roleMap: { [SALES_GROUP]: 'Sales' }, unmappedRoles: 'ignore' },
      provider: {
        resolveGroups: async (identity: Identity, context: ResolveGroupsContext) => {
          // Stands in for Microsoft Graph: the token is good for the provider's userinfo endpoint.
          const userinfo = await (await fetch(`${ctx.op.issuer}/me`, { headers: { authorization: `Bearer ${context.accessToken}` } })).json();
          calls.push({ identity, context, userinfo });
          return ctx.op.getUser(identity.subject)?.groups;
        },
      },
    });
    const { agent, res } = await oidcLogin(ctx, 'oid-carol');
    expect(res.status).toBe(303);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.identity).toMatchObject({ key: `${TENANT}/oid-carol`, groupsOverage: true, groups: undefined });
    expect(calls[0]!.userinfo).toMatchObject({ sub: 'oid-carol' });
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.roles).toEqual([{ role: 'Sales', source: 'idp', provider: 'oidc' }]);
  });

  it("group overage without resolveGroups counts as an absent claim: missingClaim 'deny' refuses with 403", async () => {
    const ctx = await entraApp({ provisioning: { roleClaims: ['groups'], missingClaim: 'deny' } });
    const { agent, res } = await oidcLogin(ctx, 'oid-carol');
    expect(res.status).toBe(403);
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_ROLES_CLAIM_MISSING', reason: 'groups overage, no groups resolved' })]);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
    expect(await ctx.store.listUsers()).toEqual([]);
  });

  it("group overage without resolveGroups, missingClaim 'keep': the roles from an earlier login stay", async () => {
    const ctx = await entraApp({ provisioning: { roleClaims: ['groups'], roleMap: { [SALES_GROUP]: 'Sales' }, unmappedRoles: 'ignore', sync: 'every-login' } });
    ctx.op.updateUser('oid-carol', { groups: [SALES_GROUP] });
    await oidcLogin(ctx, 'oid-carol');
    ctx.op.updateUser('oid-carol', { groups: CAROL.groups });
    const { agent, res } = await oidcLogin(ctx, 'oid-carol');
    expect(res.status).toBe(303);
    expect((await agent.get('/me').set('Accept', 'application/json')).body.roles).toEqual([{ role: 'Sales', source: 'idp', provider: 'oidc' }]);
  });

  it('a resolveGroups that throws (Graph down) fails the login with 503 and changes nothing', async () => {
    const ctx = await entraApp({
      provider: {
        resolveGroups: async () => {
          throw new TypeError('graph unreachable');
        },
      },
    });
    const { agent, res } = await oidcLogin(ctx, 'oid-carol');
    expect(res.status).toBe(503);
    expect(await ctx.store.listUsers()).toEqual([]);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });
});
