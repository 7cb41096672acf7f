/**
 * Role names an IdP sends as-is: with the default `unmappedRoles: 'as-is'`, an IdP (or a tenant admin
 * of a multi-tenant app) that sends `roles: ["Admin"]` made anyone Admin. `protectedRoles` are given
 * only through an explicit `roleMap` entry; a provider trusting several tenants must choose
 * `unmappedRoles` explicitly.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { azureAdProvider } from '../../../lib/azure-ad/index.js';
import { JitSsoError } from '../../../lib/errors.js';
import { jitSso } from '../../../lib/express/jit-sso.js';
import { silentLogger } from '../../../lib/internal/logger.js';
import { oidcProvider, type OidcProviderOptions } from '../../../lib/providers/oidc/oidc-provider.js';
import type { ProvisioningOptions } from '../../../lib/provisioning/policy.js';
import { MemoryUserStore } from '../../../lib/store/memory-store.js';
import type { TestUser } from '../../../lib/testing/saml-idp-types.js';
import { closeOps, entraLogin, entraMultiTenant, OTHER_TENANT, oidcApp, TENANT, testOp } from '../../helpers/oidc-app.js';
import { samlApp } from '../../helpers/saml-app.js';
import { postAcs, solicit } from '../../helpers/saml-attacks.js';

afterEach(closeOps);

const MALLORY: TestUser = { id: 'oid-mallory', username: 'mallory@contoso.com', displayName: 'Mallory', roles: ['Admin', 'Invoice.Reader'] };

/** A SAML login of `user` with this policy; returns the signed-in agent, the stored user and the audit event. */
async function samlLogin(user: TestUser, provisioning: ProvisioningOptions) {
  const ctx = await samlApp({ jitSso: { provisioning: { createUsers: true, ...provisioning } } });
  const { agent, response } = await solicit(ctx, user);
  const res = await postAcs(agent, response.base64);
  expect(res.status).toBe(303);
  const [stored] = await ctx.store.listUsers();
  return { ctx, agent, roles: stored!.roles.map((r) => r.role).sort(), event: ctx.events.at(-1)! };
}

describe('protected roles sent as-is by the IdP', () => {
  it('an IdP that sends the role "Admin" does not make the user a protected Admin; the skip is audited with its reason', async () => {
    const { agent, roles, event } = await samlLogin(MALLORY, { protectedRoles: ['Admin'] });
    expect(roles).toEqual(['Invoice.Reader']);
    expect(event.changes).toMatchObject({ rolesAdded: ['Invoice.Reader'], rolesSkipped: ['Admin'], rolesSkippedReasons: [{ role: 'Admin', reason: 'protected' }] });
    expect((await agent.get('/admin')).status).toBe(403);
  });

  it.each([
    ['"admin" in another case (roleMatch case-insensitive)', 'admin', { roleMatch: 'case-insensitive' as const }],
    ['"ADMIN" in another case (roleMatch case-insensitive)', 'ADMIN', { roleMatch: 'case-insensitive' as const }],
    ['"Admin" against protectedRoles spelled "ADMIN"', 'Admin', { protectedRoles: ['ADMIN'] }],
  ])('an IdP role %s does not make the user Admin', async (_name, sent, extra) => {
    const { roles, event } = await samlLogin({ ...MALLORY, roles: [sent] }, { protectedRoles: ['admin'], ...extra });
    expect(roles).toEqual([]);
    expect(event.changes?.rolesSkippedReasons).toEqual([{ role: sent, reason: 'protected' }]);
  });

  it('the same Admin role given through an explicit roleMap entry is given', async () => {
    const { agent, roles, event } = await samlLogin({ ...MALLORY, id: 'oid-admin', roles: [], groups: ['App-Admins'] }, { protectedRoles: ['Admin'], roleMap: { 'App-Admins': 'Admin' } });
    expect(roles).toEqual(['Admin']);
    expect(event.changes).toMatchObject({ rolesAdded: ['Admin'], rolesSkipped: [] });
    expect(event.changes?.rolesSkippedReasons).toBeUndefined();
    expect((await agent.get('/admin')).status).toBe(200);
  });

  it('a role the app lacks is skipped with the reason not-in-app, beside a protected one', async () => {
    const { event } = await samlLogin({ ...MALLORY, roles: ['Admin', 'Ghost'] }, { protectedRoles: ['Admin'] });
    expect(event.changes?.rolesSkippedReasons).toEqual([
      { role: 'Admin', reason: 'protected' },
      { role: 'Ghost', reason: 'not-in-app' },
    ]);
  });

  it('an Admin given as-is before the role was protected is removed at the next every-login sync', async () => {
    const store = new MemoryUserStore({ roles: ['Admin', 'Invoice.Reader'] });
    const before = await samlApp({ store, jitSso: { provisioning: { createUsers: true, sync: 'every-login' } } });
    const first = await solicit(before, MALLORY);
    expect((await postAcs(first.agent, first.response.base64)).status).toBe(303);
    expect((await store.listUsers())[0]!.roles.map((r) => r.role)).toContain('Admin');

    const after = await samlApp({ store, idp: before.idp, jitSso: { provisioning: { createUsers: true, sync: 'every-login', protectedRoles: ['Admin'] } } });
    const second = await solicit(after, MALLORY);
    expect((await postAcs(second.agent, second.response.base64)).status).toBe(303);
    expect((await store.listUsers())[0]!.roles.map((r) => r.role)).toEqual(['Invoice.Reader']);
    expect(after.events.at(-1)!.changes).toMatchObject({ rolesRemoved: ['Admin'], rolesSkipped: ['Admin'] });
  });
});

describe("unmappedRoles: 'as-is' on a provider that trusts more than one tenant", () => {
  const ORGS = 'https://login.microsoftonline.com/organizations/v2.0';
  const oidc = (overrides: Partial<OidcProviderOptions>) =>
    oidcProvider({ id: 'entra', preset: 'entra-oidc', issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`, clientId: 'app', clientSecret: 'secret', callbackUrl: 'https://app.test/auth/entra/callback', ...overrides });
  const start = (provider: ReturnType<typeof oidc>, provisioning?: ProvisioningOptions) =>
    jitSso({ store: new MemoryUserStore(), providers: [provider], logger: silentLogger, ...(provisioning ? { provisioning } : {}) });

  function refusal(fn: () => unknown): JitSsoError {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(JitSsoError);
      return err as JitSsoError;
    }
    throw new Error('expected a start-up refusal');
  }

  it.each([
    ["Entra's organizations endpoint", { issuer: ORGS, allowedTenants: [TENANT] }],
    ['a tenant endpoint with two allowedTenants', { allowedTenants: [TENANT, OTHER_TENANT] }],
  ])('the default (as-is) on %s stops the app at start-up, naming the option', (_name, options) => {
    const err = refusal(() => start(oidc(options)));
    expect(err.code).toBe('ERR_JIT_SSO_INVALID_OPTIONS');
    expect(err.details.path).toBe('jitSso.providers[0].provisioning.unmappedRoles');
    expect(err.message).toContain('jitSso.providers[0].provisioning.unmappedRoles');
  });

  it('the default on azureAdProvider with the multi-tenant metadata stops the app at start-up', () => {
    const provider = azureAdProvider({
      id: 'azure', identityMetadata: `${ORGS}/.well-known/openid-configuration`, allowedTenants: [TENANT], clientID: 'app', clientSecret: 'secret', redirectUrl: 'https://app.test/auth/azure/callback',
    });
    const err = refusal(() => jitSso({ store: new MemoryUserStore(), providers: [provider], logger: silentLogger }));
    expect(err.details.path).toBe('jitSso.providers[0].provisioning.unmappedRoles');
  });

  it("an explicit choice starts: 'as-is' on the provider, 'as-is' globally, or 'ignore'", () => {
    expect(typeof start(oidc({ issuer: ORGS, allowedTenants: [TENANT], provisioning: { unmappedRoles: 'as-is', protectedRoles: ['Admin'] } }))).toBe('function');
    expect(typeof start(oidc({ issuer: ORGS, allowedTenants: [TENANT] }), { unmappedRoles: 'as-is' })).toBe('function');
    expect(typeof start(oidc({ allowedTenants: [TENANT, OTHER_TENANT] }), { unmappedRoles: 'ignore' })).toBe('function');
  });

  it('a single-tenant provider keeps the as-is default', () => {
    expect(typeof start(oidc({ allowedTenants: [TENANT] }))).toBe('function');
    expect(typeof start(oidc({}))).toBe('function');
  });

  it('through the multi-tenant endpoint with explicit as-is, another tenant sending "Admin" gets no protected Admin', async () => {
    const op = await testOp({ claimsShape: 'entra' });
    op.addUser({ id: 'oid-eve', username: 'eve@fabrikam.com', displayName: 'Eve', roles: ['Admin', 'Invoice.Reader'], tenant: OTHER_TENANT });
    const ctx = await oidcApp({
      op,
      provider: { ...entraMultiTenant(op, [TENANT, OTHER_TENANT]), provisioning: { unmappedRoles: 'as-is', protectedRoles: ['Admin'] } },
    });
    const { res } = await entraLogin(ctx, 'oid-eve');
    expect(res.status).toBe(303);
    const [user] = await ctx.store.listUsers();
    expect(user!.roles.map((r) => r.role)).toEqual(['Invoice.Reader']);
    expect(ctx.events.at(-1)!.changes?.rolesSkippedReasons).toEqual([{ role: 'Admin', reason: 'protected' }]);
  });
});
