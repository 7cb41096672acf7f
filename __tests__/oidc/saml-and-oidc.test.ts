/**
 * A SAML and an OIDC provider mounted together: one person signing in through both stays two
 * identities — two users — unless the app links them (`linkExisting`), and then only on an email the
 * OIDC provider vouches for.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { samlProvider } from '../../lib/providers/saml/saml-provider.js';
import { CALLBACK_URL, IDP_ENTRY, IDP_ISSUER, login as samlLogin, SP_ENTITY_ID, testIdp } from '../helpers/saml-app.js';
import { closeOps, oidcApp, oidcLogin, OIDC_USERS, testOp } from '../helpers/oidc-app.js';

afterEach(closeOps);

async function bothApp(expressVersion: 4 | 5, options: { oidcProvisioning?: Record<string, unknown>; emailVerified?: boolean } = {}) {
  const idp = await testIdp();
  const users = structuredClone(OIDC_USERS).map((u) => (u.id === 'oid-alice' ? { ...u, emailVerified: options.emailVerified ?? true } : u));
  const op = await testOp({ users });
  const saml = samlProvider({ id: 'entra', preset: 'entra-saml', entryPoint: IDP_ENTRY, idpIssuer: IDP_ISSUER, idpCert: idp.certificate, spEntityId: SP_ENTITY_ID, callbackUrl: CALLBACK_URL });
  const ctx = await oidcApp({ express: expressVersion, op, extraProviders: [saml], ...(options.oidcProvisioning ? { provider: { provisioning: options.oidcProvisioning } } : {}) });
  return { ...ctx, idp };
}

async function meId(agent: Awaited<ReturnType<typeof oidcLogin>>['agent']): Promise<string> {
  return ((await agent.get('/me').set('Accept', 'application/json').expect(200)).body as { id: string }).id;
}

describe.each([4, 5] as const)('SAML and OIDC together on Express %i', (expressVersion) => {
  it('one person through two identity providers stays two identities: two users', async () => {
    const ctx = await bothApp(expressVersion);
    const viaSaml = await samlLogin(ctx, 'oid-alice');
    expect(viaSaml.res.status).toBe(303);
    const viaOidc = await oidcLogin(ctx, 'oid-alice');
    expect(viaOidc.res.status).toBe(303);
    const [samlUser, oidcUser] = [await meId(viaSaml.agent), await meId(viaOidc.agent)];
    expect(samlUser).not.toBe(oidcUser);
    expect(await ctx.store.listUsers()).toHaveLength(2);
    expect(ctx.events.map((e) => [e.provider, e.subType])).toEqual([['entra', 'auto-provisioned-user'], ['oidc', 'auto-provisioned-user']]);
  });

  it("with linkExisting: 'verified-email', the OIDC login of the same verified email joins the SAML user", async () => {
    const ctx = await bothApp(expressVersion, { oidcProvisioning: { linkExisting: 'verified-email', emailAuthority: { 'contoso.com': true } } });
    const viaSaml = await samlLogin(ctx, 'oid-alice');
    const viaOidc = await oidcLogin(ctx, 'oid-alice');
    expect(viaOidc.res.status).toBe(303);
    expect(await meId(viaOidc.agent)).toBe(await meId(viaSaml.agent));
    expect(await ctx.store.listUsers()).toHaveLength(1);
    expect(ctx.events.at(-1)).toMatchObject({ provider: 'oidc', subType: 'linked-existing-user' });
    // Linked: the next OIDC login finds the user by its own identity.
    const again = await oidcLogin(ctx, 'oid-alice');
    expect(await meId(again.agent)).toBe(await meId(viaSaml.agent));
    expect(ctx.events.at(-1)).toMatchObject({ provider: 'oidc', subType: 'existing-user' });
  });

  it("with linkExisting: 'verified-email', an email the OIDC provider does not vouch for makes a new user", async () => {
    const ctx = await bothApp(expressVersion, { oidcProvisioning: { linkExisting: 'verified-email', emailAuthority: { 'contoso.com': true } }, emailVerified: false });
    const viaSaml = await samlLogin(ctx, 'oid-alice');
    const viaOidc = await oidcLogin(ctx, 'oid-alice');
    expect(await meId(viaOidc.agent)).not.toBe(await meId(viaSaml.agent));
    expect(await ctx.store.listUsers()).toHaveLength(2);
  });
});
