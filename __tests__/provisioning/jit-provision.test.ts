import { describe, expect, it, jest } from '@jest/globals';
import { JitSsoError } from '../../lib/errors.js';
import { silentLogger } from '../../lib/internal/logger.js';
import { jitProvision } from '../../lib/provisioning/jit-provision.js';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import type { AuditEvent, UserStore } from '../../lib/store/user-store.js';
import { identity } from '../helpers/identities.js';

const ROLES = ['Admin', 'Invoice.Reader', 'Invoice.Approver', 'Employee', 'Seller'];

function setup(provisioning: Parameters<typeof jitProvision>[0]['provisioning'] = {}, store = new MemoryUserStore({ roles: ROLES })) {
  const events: AuditEvent[] = [];
  const jit = jitProvision({ store, provider: 'entra', preset: 'entra-saml', provisioning, onAudit: (e) => void events.push(e), logger: silentLogger });
  return { store, jit, events };
}

describe('jitProvision', () => {
  it('refuses an unknown user when createUsers is off, writes a denied audit event and creates nothing', async () => {
    const { store, jit, events } = setup();
    const result = await jit.provision(identity());
    expect(result.user).toBeNull();
    expect(result.error?.code).toBe('ERR_JIT_SSO_USER_NOT_PROVISIONED');
    expect(result.error?.message).toMatch(/does not exist in this application/);
    expect(events).toEqual([expect.objectContaining({ type: 'login', subType: 'denied', code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED', provider: 'entra', subject: 'tenant-1/oid-alice' })]);
    expect(await store.listUsers()).toEqual([]);
    expect(await store.listAuditEvents()).toHaveLength(1);
  });

  it('creates an unknown user with its roles and writes one auto-provisioned-user event listing skipped roles', async () => {
    const { store, jit, events } = setup({ createUsers: true, defaultRoles: ['Employee'] });
    const result = await jit.provision(identity({ roles: ['Invoice.Reader', 'Ghost'], groups: undefined }), { ip: '203.0.113.9', requestId: 'req-1' });
    expect(result.outcome).toBe('auto-provisioned-user');
    expect(result.user).toMatchObject({ username: 'alice.johnson', email: 'alice.johnson@contoso.com', status: 'active', userType: 'employee' });
    expect(result.user?.roles).toEqual(expect.arrayContaining([
      { role: 'Invoice.Reader', source: 'idp', provider: 'entra' },
      { role: 'Employee', source: 'default', provider: 'entra' },
    ]));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subType: 'auto-provisioned-user', userId: result.user?.id, ip: '203.0.113.9', requestId: 'req-1', changes: { created: true, rolesSkipped: ['Ghost'] } });
    expect(await store.existingRoles(['Ghost'])).toEqual([]);
  });

  it('creates a pending user but refuses the login with ERR_JIT_SSO_USER_PENDING until an admin activates it', async () => {
    const { store, jit, events } = setup({ createUsers: true, newUserStatus: 'pending' });
    const first = await jit.provision(identity());
    expect(first.error?.code).toBe('ERR_JIT_SSO_USER_PENDING');
    expect(first.user).toBeNull();
    expect(events[0]).toMatchObject({ subType: 'pending-approval', changes: { created: true } });
    const again = await jit.provision(identity());
    expect(again.error?.code).toBe('ERR_JIT_SSO_USER_PENDING');
    const [user] = await store.listUsers();
    await store.setStatus(user!.id, 'active');
    const third = await jit.provision(identity());
    expect(third.error).toBeUndefined();
    expect(third.outcome).toBe('existing-user');
  });

  it('Bizagi style (first-login): a second login changes nothing but the last-login time', async () => {
    const { jit } = setup({ createUsers: true, sync: 'first-login' });
    const created = await jit.provision(identity(), { now: new Date('2026-11-01T00:00:00Z') });
    const later = await jit.provision(identity({ displayName: 'Alice Smith', roles: ['Admin'] }), { now: new Date('2026-11-02T00:00:00Z') });
    expect(later.outcome).toBe('existing-user');
    expect(later.user?.displayName).toBe('Alice Johnson');
    expect(later.user?.roles).toEqual(created.user?.roles);
    expect(later.user?.lastLoginAt).toEqual(new Date('2026-11-02T00:00:00Z'));
  });

  it('Creatio style (every-login): profile updated, IdP roles synced, a manual grant kept', async () => {
    const { store, jit } = setup({ createUsers: true, sync: 'every-login' });
    const created = await jit.provision(identity({ roles: ['Invoice.Reader'], groups: undefined }));
    await store.grantRole(created.user!.id, 'Admin');
    const later = await jit.provision(identity({ displayName: 'Alice Smith', roles: ['Invoice.Approver'], groups: undefined }));
    expect(later.user?.displayName).toBe('Alice Smith');
    expect(later.user?.roles).toEqual(expect.arrayContaining([{ role: 'Admin', source: 'manual' }, { role: 'Invoice.Approver', source: 'idp', provider: 'entra' }]));
    expect(later.user?.roles.some((r) => r.role === 'Invoice.Reader')).toBe(false);
    expect(later.changes).toMatchObject({ rolesAdded: ['Invoice.Approver'], rolesRemoved: ['Invoice.Reader'] });
  });

  it('picks up a role an admin created since the last login (every-login)', async () => {
    const { store, jit } = setup({ createUsers: true, sync: 'every-login' });
    const first = await jit.provision(identity({ roles: ['Auditor'], groups: undefined }));
    expect(first.changes.rolesSkipped).toEqual(['Auditor']);
    await store.createRole('Auditor');
    const second = await jit.provision(identity({ roles: ['Auditor'], groups: undefined }));
    expect(second.changes.rolesAdded).toEqual(['Auditor']);
    expect(second.user?.roles).toContainEqual({ role: 'Auditor', source: 'idp', provider: 'entra' });
  });

  it('links an existing account by username (Creatio) and audits linked-existing-user', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const { jit: seed } = setup({ createUsers: true }, store);
    const existing = (await seed.provision(identity({ provider: 'okta', key: 'okta-1', subject: 'okta-1' }))).user!;
    const jit = jitProvision({ store, provider: 'entra', provisioning: { linkExisting: 'username' }, logger: silentLogger });
    const linked = await jit.provision(identity());
    expect(linked.outcome).toBe('linked-existing-user');
    expect(linked.user?.id).toBe(existing.id);
    expect((await store.findUserByIdentity({ provider: 'entra', subject: 'tenant-1/oid-alice' }))?.id).toBe(existing.id);
    expect((await jit.provision(identity())).outcome).toBe('existing-user');
  });

  it('links by email only when the IdP says it is verified (the nOAuth takeover otherwise)', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    await setup({ createUsers: true }, store).jit.provision(identity({ provider: 'google', key: 'g-1', subject: 'g-1' }));
    const jit = jitProvision({ store, provider: 'entra', provisioning: { linkExisting: 'verified-email', emailAuthority: { 'contoso.com': true }, createUsers: false }, logger: silentLogger });
    const unverified = await jit.provision(identity({ key: 'attacker-tenant/oid-x', emailVerified: false }));
    expect(unverified.error?.code).toBe('ERR_JIT_SSO_USER_NOT_PROVISIONED');
    const verified = await jit.provision(identity({ emailVerified: true }));
    expect(verified.outcome).toBe('linked-existing-user');
  });

  it('refuses through the allow gates with their own codes, before reading the store', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const find = jest.spyOn(store, 'findUserByIdentity');
    const { jit, events } = setup({ createUsers: true, allow: { tenants: ['tenant-2'] } }, store);
    const result = await jit.provision(identity());
    expect(result.error?.code).toBe('ERR_JIT_SSO_TENANT_NOT_ALLOWED');
    expect(events[0]).toMatchObject({ subType: 'denied', code: 'ERR_JIT_SSO_TENANT_NOT_ALLOWED', reason: 'tenant "tenant-1" is not allowed' });
    expect(find).not.toHaveBeenCalled();
  });

  it('lets a beforeLogin hook refuse a login with ERR_JIT_SSO_LOGIN_REFUSED and its reason', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const jit = jitProvision({ store, provider: 'entra', provisioning: { createUsers: true }, logger: silentLogger, beforeLogin: (id) => (id.domain === 'contoso.com' ? 'contractors are not allowed' : true) });
    const result = await jit.provision(identity());
    expect(result.error?.code).toBe('ERR_JIT_SSO_LOGIN_REFUSED');
    expect(result.event.reason).toBe('contractors are not allowed');
    expect(await store.listUsers()).toEqual([]);
  });

  it('fails the verify callback with ERR_JIT_SSO_INTERNAL, not a store outage, when a beforeLogin hook throws', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const events: AuditEvent[] = [];
    const beforeLogin = () => Promise.reject(new RangeError('quota service answered garbage'));
    const jit = jitProvision({ store, provider: 'okta', provisioning: { createUsers: true }, logger: silentLogger, beforeLogin, onAudit: (e) => void events.push(e) });
    const err = await new Promise((resolve) => jit({ sub: 'okta-1', email: 'ann@contoso.com', preferred_username: 'ann@contoso.com' }, resolve));
    expect(err).toMatchObject({ code: 'ERR_JIT_SSO_INTERNAL', status: 500, cause: expect.objectContaining({ message: 'quota service answered garbage' }) });
    expect(events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_INTERNAL' })]);
    expect(await store.listUsers()).toEqual([]);
  });

  it('50 concurrent first logins of one person give one user and 50 successful logins', async () => {
    const { store, jit } = setup({ createUsers: true, sync: 'every-login' });
    const results = await Promise.all(Array.from({ length: 50 }, () => jit.provision(identity())));
    expect(results.every((r) => r.user !== null && r.error === undefined)).toBe(true);
    expect(new Set(results.map((r) => r.user!.id)).size).toBe(1);
    expect(await store.listUsers()).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'auto-provisioned-user')).toHaveLength(1);
  });

  it('turns a store outage into ERR_JIT_SSO_STORE_UNAVAILABLE and leaves no half-made user', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const failing: UserStore = Object.assign(Object.create(store) as UserStore, {
      createUser: async () => {
        throw new Error('connection reset');
      },
    });
    const jit = jitProvision({ store: failing, provider: 'entra', provisioning: { createUsers: true }, logger: silentLogger });
    const err = await jit.provision(identity()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JitSsoError);
    expect((err as JitSsoError).code).toBe('ERR_JIT_SSO_STORE_UNAVAILABLE');
    expect((err as JitSsoError).status).toBe(503);
    expect(await store.listUsers()).toEqual([]);
  });

  describe('as a Passport verify callback', () => {
    const profile = {
      issuer: 'https://sts.windows.net/tenant-1/',
      nameID: 'alice.johnson@contoso.com',
      nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      'http://schemas.microsoft.com/identity/claims/tenantid': 'tenant-1',
      'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid-alice',
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'alice.johnson@contoso.com',
    };

    function call(verify: (...args: unknown[]) => void, ...args: unknown[]) {
      return new Promise<unknown[]>((resolve) => verify(...args, (...out: unknown[]) => resolve(out)));
    }

    it('calls done(null, user) for (profile, done)', async () => {
      const { jit } = setup({ createUsers: true });
      const [err, user] = await call(jit, profile);
      expect(err).toBeNull();
      expect(user).toMatchObject({ username: 'alice.johnson' });
    });

    it('calls done(null, false, { code, message }) for a refusal with (req, profile, done), auditing the request ip', async () => {
      const { jit, events } = setup({ createUsers: false });
      const [err, user, info] = await call(jit, { headers: { 'x-request-id': 'abc' }, ip: '198.51.100.7' }, profile);
      expect(err).toBeNull();
      expect(user).toBe(false);
      expect(info).toEqual({ code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED', message: expect.any(String) });
      expect(events[0]).toMatchObject({ ip: '198.51.100.7', requestId: 'abc' });
    });

    it('refuses claims without a subject with ERR_JIT_SSO_MISSING_SUBJECT and audits it', async () => {
      const { jit, events } = setup({ createUsers: true });
      const [, user, info] = await call(jit, { issuer: 'x', nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient', nameID: 't-1' });
      expect(user).toBe(false);
      expect(info).toMatchObject({ code: 'ERR_JIT_SSO_MISSING_SUBJECT' });
      expect(events[0]).toMatchObject({ subType: 'denied', code: 'ERR_JIT_SSO_MISSING_SUBJECT' });
    });

    it('calls done(err) with a 503 error when the store is down', async () => {
      const store = new MemoryUserStore();
      store.findUserByIdentity = async () => {
        throw new Error('ECONNREFUSED');
      };
      const jit = jitProvision({ store, provider: 'entra', preset: 'entra-saml', logger: silentLogger });
      const [err] = await call(jit, profile);
      expect(err).toMatchObject({ code: 'ERR_JIT_SSO_STORE_UNAVAILABLE', status: 503 });
    });
  });

  it('refuses to start without a store or a provider, naming the option', () => {
    expect(() => jitProvision({ provider: 'x' } as never)).toThrow(/store/);
    expect(() => jitProvision({ store: new MemoryUserStore() } as never)).toThrow(/provider/);
    expect(() => jitProvision({ store: new MemoryUserStore(), provider: 'x', provisioning: { sync: 'sometimes' } as never })).toThrow(/provisioning\.sync/);
  });
});

describe('jitProvision role matching', () => {
  it('assigns an app role whose name differs only in case when roleMatch is case-insensitive', async () => {
    const store = new MemoryUserStore({ roles: ['Invoice.Reader'] });
    const exact = jitProvision({ store, provider: 'entra', provisioning: { createUsers: true }, logger: silentLogger });
    expect((await exact.provision(identity({ key: 'k1', roles: ['INVOICE.READER'], groups: undefined }))).changes.rolesSkipped).toEqual(['INVOICE.READER']);
    const folded = jitProvision({ store, provider: 'entra', provisioning: { createUsers: true, roleMatch: 'case-insensitive' }, logger: silentLogger });
    const result = await folded.provision(identity({ key: 'k2', roles: ['INVOICE.READER'], groups: undefined }));
    expect(result.user?.roles).toEqual([{ role: 'Invoice.Reader', source: 'idp', provider: 'entra' }]);
  });
});
