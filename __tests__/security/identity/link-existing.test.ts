/**
 * `linkExisting` takeovers: a first login joined to an account that belongs to someone else — a
 * reused UPN with a new object id, a verified email from a tenant that does not own the domain, a
 * string `"true"` for `email_verified`, a look-alike name — and a user created with no name at all.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { explain } from '../../../lib/cli/explain.js';
import { jitSso } from '../../../lib/express/jit-sso.js';
import { silentLogger } from '../../../lib/internal/logger.js';
import { jitProvision } from '../../../lib/provisioning/jit-provision.js';
import { MemoryUserStore } from '../../../lib/store/memory-store.js';
import type { TestOidcUser } from '../../../lib/testing/oidc-provider.js';
import { identity } from '../../helpers/identities.js';
import { closeOps, oidcApp, oidcLogin, OTHER_TENANT, providerFor, TENANT, testOp } from '../../helpers/oidc-app.js';
import { login, samlApp, testIdp, USERS } from '../../helpers/saml-app.js';

afterEach(closeOps);

const ROLES = ['Admin', 'Invoice.Reader', 'Invoice.Approver', 'Employee'];

/** An account made in the app before SSO (provider `local`), with a manual Admin grant. */
async function seedKate(store: MemoryUserStore, profile: { username: string; domain?: string; email?: string }) {
  const kate = await store.createUser({ profile: { ...profile, fields: {} }, status: 'active', userType: 'employee', identity: { provider: 'local', subject: 'kate' }, roles: [], at: new Date() });
  await store.grantRole(kate.id, 'Admin');
  return kate;
}

const meOf = async (agent: { get(path: string): { set(k: string, v: string): Promise<{ status: number; body: { id?: string; roles?: Array<{ role: string }> } }> } }) =>
  (await agent.get('/me').set('Accept', 'application/json')).body;

describe("linkExisting: 'username' (real signed SAML logins)", () => {
  it('a reused UPN with a new object id does not inherit the old account nor its manual Admin grant', async () => {
    const reuser = { id: 'oid-alice-2', username: 'alice.johnson@contoso.com', displayName: 'Another Alice', tenant: USERS[0]!.tenant };
    const idp = await testIdp([...USERS, reuser]);
    const ctx = await samlApp({ idp, provider: { provisioning: { linkExisting: 'username' } } });
    const first = await login(ctx, 'oid-alice');
    expect(first.res.status).toBe(303);
    const alice = (await meOf(first.agent)).id!;
    await ctx.store.grantRole(alice, 'Admin');

    const second = await login(ctx, 'oid-alice-2');
    expect(second.res.status).toBe(303);
    const me = await meOf(second.agent);
    expect(me.id).not.toBe(alice);
    expect(me.roles?.map((r) => r.role)).not.toContain('Admin');
    expect(ctx.events.at(-1)).toMatchObject({ subType: 'auto-provisioned-user', reason: expect.stringMatching(/already has an identity from provider "entra"/) });
    // The old account keeps its one identity.
    expect(await ctx.store.listIdentities(alice)).toEqual([{ provider: 'entra', subject: expect.stringMatching(/\/oid-alice$/) }]);
  });

  it('a name spelled with the Kelvin sign (\u212Aate) does not link into the existing admin "kate"', async () => {
    const idp = await testIdp([...USERS, { id: 'oid-kelvin', username: '\u212Aate@contoso.com', tenant: USERS[0]!.tenant }]);
    const store = new MemoryUserStore({ roles: ROLES });
    const kate = await seedKate(store, { username: 'kate', domain: 'contoso.com' });
    const ctx = await samlApp({ idp, store, provider: { provisioning: { linkExisting: 'username' } } });
    const { res, agent } = await login(ctx, 'oid-kelvin');
    expect(res.status).toBe(401);
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_INVALID_CLAIMS', reason: expect.stringMatching(/identifier-not-nfc/) })]);
    expect((await agent.get('/me').set('Accept', 'application/json')).status).toBe(401);
    expect(await store.listIdentities(kate.id)).toEqual([{ provider: 'local', subject: 'kate' }]);
  });

  it('a fullwidth or Kelvin-sign username handed to provision() directly links nothing (the store lookup would fold it onto "kate")', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const kate = await seedKate(store, { username: 'kate', domain: 'contoso.com' });
    const jit = jitProvision({ store, provider: 'entra', provisioning: { linkExisting: 'username', createUsers: false }, logger: silentLogger });
    for (const username of ['\uFF4Bate', 'KATE\u200B']) {
      const result = await jit.provision(identity({ username, subject: `s-${username}`, key: `s-${username}` }));
      expect(result.user).toBeNull();
      expect(result.event).toMatchObject({ code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED', reason: expect.stringMatching(/not in NFKC form/) });
    }
    expect(await store.listIdentities(kate.id)).toEqual([{ provider: 'local', subject: 'kate' }]);
    // The plain name in another case still links (the feature works).
    const linked = await jit.provision(identity({ username: 'KATE', subject: 's-kate', key: 's-kate' }));
    expect(linked).toMatchObject({ outcome: 'linked-existing-user', user: { id: kate.id } });
  });

  it('a store without listIdentities cannot be used with linkExisting (refused at start-up, not linked blindly)', () => {
    const store = new MemoryUserStore();
    const partial = new Proxy(store, { get: (t, k) => (k === 'listIdentities' ? undefined : Reflect.get(t, k, t)) });
    expect(() => jitProvision({ store: partial, provider: 'entra', provisioning: { linkExisting: 'username' } })).toThrow(
      expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: expect.objectContaining({ path: 'provisioning.linkExisting', missing: ['listIdentities'] }) }),
    );
  });
});

describe('jit-sso explain links as a login would', () => {
  it('the dry run does not promise a link into an account that has an identity from the same provider', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const jit = jitProvision({ store, provider: 'okta', provisioning: { createUsers: true }, logger: silentLogger });
    const old = (await jit.provision(identity({ provider: 'okta', subject: '00u-old', key: '00u-old', username: 'kate' }))).user!;
    const claims = { iss: 'https://okta.test', sub: '00u-new', preferred_username: 'kate@contoso.com' };
    const seen = await explain({ preset: 'okta-oidc', provider: 'okta', claims, policy: { linkExisting: 'username', createUsers: true }, store });
    expect(seen.currentUser).toBeNull();
    expect(seen.notLinked).toMatch(new RegExp(`user ${old.id} already has an identity from provider "okta"`));
    expect(seen.plan.action).toBe('create');
  });
});

describe("linkExisting: 'verified-email' (real OIDC logins, tokens signed by the test provider)", () => {
  const KATE_A: TestOidcUser = { id: 'kate-a', username: 'kate.a@contoso.com', email: 'kate@contoso.com', emailVerified: true, tenant: TENANT };
  const KATE_B: TestOidcUser = { id: 'kate-b', username: 'mallory@fabrikam.com', email: 'kate@contoso.com', emailVerified: true, tenant: OTHER_TENANT };

  async function app(emailAuthority: Record<string, true | string[]>, users: TestOidcUser[] = [KATE_A, KATE_B]) {
    const store = new MemoryUserStore({ roles: ROLES });
    const kate = await seedKate(store, { username: 'kate', email: 'kate@contoso.com' });
    const op = await testOp({ users });
    const ctx = await oidcApp({ op, store, provider: { provisioning: { linkExisting: 'verified-email', emailAuthority } } });
    return { ...ctx, kate };
  }

  it("tenant B's verified email does not reach tenant A's user when only tenant A is the authority for the domain", async () => {
    const ctx = await app({ 'contoso.com': [TENANT] });
    const attack = await oidcLogin(ctx, 'kate-b');
    expect(attack.res.status).toBe(303);
    expect((await meOf(attack.agent)).id).not.toBe(ctx.kate.id);
    expect(ctx.events.at(-1)).toMatchObject({ subType: 'auto-provisioned-user', reason: expect.stringMatching(/tenant "5f1e2d3c-[^"]*" is not an authority for "contoso.com"/) });
    expect(await ctx.store.listIdentities(ctx.kate.id)).toEqual([{ provider: 'local', subject: 'kate' }]);
  });

  it("tenant A, the authority for the domain, links by verified email (the option does not turn linking off)", async () => {
    const ctx = await app({ 'contoso.com': [TENANT] });
    const legit = await oidcLogin(ctx, 'kate-a');
    expect((await meOf(legit.agent)).id).toBe(ctx.kate.id);
    expect(ctx.events.at(-1)).toMatchObject({ subType: 'linked-existing-user' });
  });

  it('a verified email of a domain the app named no authority for links nothing', async () => {
    const ctx = await app({ 'fabrikam.com': true });
    const login = await oidcLogin(ctx, 'kate-a');
    expect((await meOf(login.agent)).id).not.toBe(ctx.kate.id);
    expect(ctx.events.at(-1)?.reason).toMatch(/emailAuthority does not name the domain "contoso.com"/);
  });

  it('email_verified as the string "true" does not link into the account with that email', async () => {
    const ctx = await app({ 'contoso.com': true });
    const attack = await oidcLogin(ctx, 'kate-b', { tamper: (claims) => ({ claims: { ...claims, email_verified: 'true' } }) });
    expect(attack.res.status).toBe(303);
    expect((await meOf(attack.agent)).id).not.toBe(ctx.kate.id);
    expect(ctx.events.at(-1)).toMatchObject({ subType: 'auto-provisioned-user' });
  });

  it('a second identity from the same provider with the same verified email does not take over the account linked to the first', async () => {
    const ctx = await app({ 'contoso.com': true });
    expect((await meOf((await oidcLogin(ctx, 'kate-a')).agent)).id).toBe(ctx.kate.id);
    const reused = await oidcLogin(ctx, 'kate-b');
    expect((await meOf(reused.agent)).id).not.toBe(ctx.kate.id);
    expect(ctx.events.at(-1)?.reason).toMatch(/already has an identity from provider "oidc"/);
  });

  it("linkExisting: 'verified-email' without emailAuthority fails at start-up naming the option", async () => {
    const op = await testOp();
    expect(() => jitSso({ store: new MemoryUserStore(), providers: [providerFor(op, 'oidc', { provisioning: { linkExisting: 'verified-email' } })], logger: silentLogger })).toThrow(
      expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path: 'jitSso.providers[0].provisioning.emailAuthority' } }),
    );
  });
});

describe('no usable username', () => {
  it('a login with no login claim at all is refused with ERR_JIT_SSO_MISSING_USERNAME, not created with username ""', async () => {
    const ctx = await oidcApp();
    const { res, agent } = await oidcLogin(ctx, 'oid-alice', {
      tamper: (claims) => {
        const { preferred_username: _u, email: _e, ...rest } = claims;
        return { claims: rest };
      },
    });
    expect(res.status).toBe(401);
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_MISSING_USERNAME' })]);
    expect(await ctx.store.listUsers()).toEqual([]);
    expect((await agent.get('/me').set('Accept', 'application/json')).status).toBe(401);
  });

  it('a username of only whitespace is refused at creation, and never blanks an existing user’s name', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const jit = jitProvision({ store, provider: 'entra', provisioning: { createUsers: true, sync: 'every-login' }, logger: silentLogger });
    expect((await jit.provision(identity({ username: '  ' }))).error?.code).toBe('ERR_JIT_SSO_MISSING_USERNAME');
    expect(await store.listUsers()).toEqual([]);
    const created = (await jit.provision(identity())).user!;
    const again = await jit.provision(identity({ username: '' }));
    expect(again.user).toMatchObject({ id: created.id, username: 'alice.johnson' });
  });
});
