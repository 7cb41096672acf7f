import { describe, expect, it } from '@jest/globals';
import { planProvisioning } from '../../lib/provisioning/plan.js';
import type { StoredUser } from '../../lib/store/user-store.js';
import { identity } from '../helpers/identities.js';

const NOW = new Date('2026-11-24T10:00:00Z');

function storedUser(overrides: Partial<StoredUser> = {}): StoredUser {
  return {
    id: 'u1',
    username: 'alice.johnson',
    domain: 'contoso.com',
    email: 'alice.johnson@contoso.com',
    displayName: 'Alice Johnson',
    firstName: 'Alice',
    lastName: 'Johnson',
    fields: Object.create(null),
    status: 'active',
    userType: 'employee',
    roles: [],
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

describe('planProvisioning (the dry run)', () => {
  it('refuses an unknown user when createUsers is off, with a stable code', () => {
    const plan = planProvisioning(identity(), null, {}, []);
    expect(plan).toMatchObject({ action: 'deny', code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED', subType: 'denied' });
  });

  it('creates an unknown user with fields from the identity, mapped roles that exist and default roles', () => {
    const plan = planProvisioning(
      identity({ roles: ['Invoice.Reader', 'Invoice.Approver'], groups: ['Sales'] }),
      null,
      { createUsers: true, defaultRoles: ['Employee', 'Ghost'], roleMap: { Sales: 'Seller' } },
      ['Invoice.Reader', 'Seller', 'Employee'],
      { now: NOW },
    );
    if (plan.action !== 'create') throw new Error(`expected create, got ${plan.action}`);
    expect(plan.subType).toBe('auto-provisioned-user');
    expect(plan.user.status).toBe('active');
    expect(plan.user.userType).toBe('employee');
    expect(plan.user.profile).toMatchObject({ username: 'alice.johnson', domain: 'contoso.com', email: 'alice.johnson@contoso.com', firstName: 'Alice' });
    expect(plan.user.identity).toEqual({ provider: 'entra', subject: 'tenant-1/oid-alice', issuer: 'https://sts.windows.net/tenant-1/' });
    expect(plan.user.roles).toEqual([
      { role: 'Invoice.Reader', source: 'idp', provider: 'entra' },
      { role: 'Seller', source: 'idp', provider: 'entra' },
      { role: 'Employee', source: 'default', provider: 'entra' },
    ]);
    expect(plan.changes.created).toBe(true);
    expect(plan.changes.rolesSkipped).toEqual(['Invoice.Approver', 'Ghost']);
    expect(plan.user.at).toBe(NOW);
  });

  it('creates a pending user when newUserStatus is pending, audited as pending-approval', () => {
    const plan = planProvisioning(identity(), null, { createUsers: true, newUserStatus: 'pending' }, []);
    expect(plan).toMatchObject({ action: 'create', subType: 'pending-approval', user: { status: 'pending' } });
  });

  it('decides the new status per identity with a function (partners pending, employees active), failing closed', () => {
    const policy = { createUsers: true, newUserStatus: (id: { domain?: string }) => (id.domain === 'contoso.com' ? 'active' : 'pending') } as const;
    expect(planProvisioning(identity(), null, policy, [])).toMatchObject({ action: 'create', user: { status: 'active' } });
    expect(planProvisioning(identity({ domain: 'partner.example' }), null, policy, [])).toMatchObject({ action: 'create', subType: 'pending-approval', user: { status: 'pending' } });
    const odd = planProvisioning(identity(), null, { createUsers: true, newUserStatus: () => 'enabled' as never }, []);
    expect(odd.action === 'create' && odd.user.status).toBe('pending');
  });

  it('resolves userType from a function of the identity (Creatio: employee vs portal user)', () => {
    const plan = planProvisioning(identity({ domain: 'partner.example' }), null, {
      createUsers: true,
      userType: (id) => (id.domain === 'contoso.com' ? 'employee' : 'portal'),
    }, []);
    expect(plan.action === 'create' && plan.user.userType).toBe('portal');
  });

  it('changes nothing but the last-login time of a known user in first-login mode (Bizagi)', () => {
    const plan = planProvisioning(identity({ displayName: 'Alice J. Smith', roles: ['Invoice.Approver'] }), storedUser(), { sync: 'first-login' }, ['Invoice.Approver'], { now: NOW });
    expect(plan).toMatchObject({ action: 'update', subType: 'existing-user', patch: { lastLoginAt: NOW }, roles: { add: [], remove: [] } });
    expect(plan.action === 'update' && Object.keys(plan.patch)).toEqual(['lastLoginAt']);
  });

  it('updates the owned profile fields of a known user in every-login mode (Creatio), leaving others alone', () => {
    const plan = planProvisioning(
      identity({ displayName: 'Alice Smith', lastName: 'Smith', email: 'alice.smith@contoso.com' }),
      storedUser(),
      { sync: 'every-login', profileFields: ['displayName', 'lastName'] },
      [],
    );
    if (plan.action !== 'update') throw new Error('expected update');
    expect(plan.patch).toMatchObject({ displayName: 'Alice Smith', lastName: 'Smith' });
    expect(plan.patch.email).toBeUndefined();
    expect(plan.changes.fields).toEqual([
      { field: 'displayName', before: 'Alice Johnson', after: 'Alice Smith' },
      { field: 'lastName', before: 'Johnson', after: 'Smith' },
    ]);
  });

  it('keeps a profile field the claims leave out instead of clearing it', () => {
    const plan = planProvisioning(identity({ firstName: undefined }), storedUser(), { sync: 'every-login' }, []);
    expect(plan.action === 'update' && 'firstName' in plan.patch).toBe(false);
  });

  it('adds and removes IdP roles to match, never touching manual or default grants or other providers', () => {
    const user = storedUser({
      roles: [
        { role: 'Invoice.Reader', source: 'idp', provider: 'entra' },
        { role: 'Old', source: 'idp', provider: 'entra' },
        { role: 'Old', source: 'manual' },
        { role: 'Employee', source: 'default', provider: 'entra' },
        { role: 'Okta.Role', source: 'idp', provider: 'okta' },
      ],
    });
    const plan = planProvisioning(identity({ roles: ['Invoice.Reader', 'Invoice.Approver'], groups: undefined }), user, { sync: 'every-login' }, ['Invoice.Reader', 'Invoice.Approver', 'Old', 'Employee']);
    if (plan.action !== 'update') throw new Error('expected update');
    expect(plan.roles.add).toEqual([{ role: 'Invoice.Approver', source: 'idp', provider: 'entra' }]);
    expect(plan.roles.remove).toEqual([{ role: 'Old', source: 'idp', provider: 'entra' }]);
    expect(plan.changes).toMatchObject({ rolesAdded: ['Invoice.Approver'], rolesRemoved: ['Old'], rolesSkipped: [] });
  });

  it('lists roles the IdP names but the app lacks as skipped, never as added', () => {
    const plan = planProvisioning(identity({ roles: ['Invoice.Reader', 'NotInApp'], groups: undefined }), storedUser(), { sync: 'every-login' }, ['Invoice.Reader']);
    expect(plan.changes.rolesSkipped).toEqual(['NotInApp']);
    expect(plan.changes.rolesAdded).toEqual(['Invoice.Reader']);
  });

  describe('missingClaim', () => {
    const user = storedUser({ roles: [{ role: 'Invoice.Reader', source: 'idp', provider: 'entra' }, { role: 'Admin', source: 'manual' }] });
    const noClaims = identity({ roles: undefined, groups: undefined });

    it('keep: an absent roles/groups claim leaves roles alone (no lockout)', () => {
      const plan = planProvisioning(noClaims, user, { sync: 'every-login', missingClaim: 'keep' }, ['Invoice.Reader', 'Admin']);
      expect(plan.action === 'update' && plan.roles).toEqual({ add: [], remove: [] });
    });

    it('revoke: an absent claim removes the IdP roles, keeps the manual grant', () => {
      const plan = planProvisioning(noClaims, user, { sync: 'every-login', missingClaim: 'revoke' }, ['Invoice.Reader', 'Admin']);
      expect(plan.action === 'update' && plan.roles.remove).toEqual([{ role: 'Invoice.Reader', source: 'idp', provider: 'entra' }]);
    });

    it('deny: an absent claim refuses the login', () => {
      const plan = planProvisioning(noClaims, user, { missingClaim: 'deny' }, []);
      expect(plan).toMatchObject({ action: 'deny', code: 'ERR_JIT_SSO_ROLES_CLAIM_MISSING' });
    });

    it('an empty list is not an absent claim: every-login removes the IdP roles even with keep', () => {
      const plan = planProvisioning(identity({ roles: [], groups: [] }), user, { sync: 'every-login' }, ['Invoice.Reader', 'Admin']);
      expect(plan.action === 'update' && plan.changes.rolesRemoved).toEqual(['Invoice.Reader']);
    });

    it('an Entra group overage counts as an absent groups claim', () => {
      const overage = identity({ roles: undefined, groups: undefined, groupsOverage: true });
      expect(planProvisioning(overage, user, { missingClaim: 'deny' }, [])).toMatchObject({ action: 'deny', code: 'ERR_JIT_SSO_ROLES_CLAIM_MISSING', reason: expect.stringContaining('overage') });
      const kept = planProvisioning(overage, user, { sync: 'every-login' }, ['Invoice.Reader']);
      expect(kept.action === 'update' && kept.roles.remove).toEqual([]);
    });
  });

  it('matches role names exactly by default and case-insensitively by option, in the app spelling', () => {
    const id = identity({ roles: ['invoice.reader'], groups: undefined });
    expect(planProvisioning(id, null, { createUsers: true }, ['Invoice.Reader']).changes.rolesSkipped).toEqual(['invoice.reader']);
    const plan = planProvisioning(id, null, { createUsers: true, roleMatch: 'case-insensitive' }, ['Invoice.Reader']);
    expect(plan.action === 'create' && plan.user.roles).toEqual([{ role: 'Invoice.Reader', source: 'idp', provider: 'entra' }]);
  });

  it('ignores unmapped IdP values when unmappedRoles is ignore', () => {
    const plan = planProvisioning(identity({ roles: ['Invoice.Reader'], groups: ['g-1'] }), null, { createUsers: true, unmappedRoles: 'ignore', roleMap: { 'g-1': 'Seller' } }, ['Invoice.Reader', 'Seller']);
    expect(plan.action === 'create' && plan.user.roles.map((r) => r.role)).toEqual(['Seller']);
  });

  it('refuses a pending user with ERR_JIT_SSO_USER_PENDING and a disabled one with ERR_JIT_SSO_USER_DISABLED', () => {
    expect(planProvisioning(identity(), storedUser({ status: 'pending' }), {}, [])).toMatchObject({ code: 'ERR_JIT_SSO_USER_PENDING', subType: 'pending-approval', userId: 'u1' });
    expect(planProvisioning(identity(), storedUser({ status: 'disabled' }), {}, [])).toMatchObject({ code: 'ERR_JIT_SSO_USER_DISABLED', subType: 'denied' });
  });

  describe('allow gates', () => {
    it('refuses a domain not in allow.domains (case-insensitive)', () => {
      expect(planProvisioning(identity({ domain: 'Fabrikam.com' }), null, { createUsers: true, allow: { domains: ['contoso.com'] } }, [])).toMatchObject({ code: 'ERR_JIT_SSO_DOMAIN_NOT_ALLOWED' });
      expect(planProvisioning(identity({ domain: 'CONTOSO.com' }), null, { createUsers: true, allow: { domains: ['contoso.com'] } }, []).action).toBe('create');
    });
    it('refuses a tenant not in allow.tenants', () => {
      expect(planProvisioning(identity({ tenant: 'other' }), null, { createUsers: true, allow: { tenants: ['tenant-1'] } }, [])).toMatchObject({ code: 'ERR_JIT_SSO_TENANT_NOT_ALLOWED' });
    });
    it('refuses a user in none of allow.groups, and one whose groups are absent or overaged', () => {
      const policy = { createUsers: true, allow: { groups: ['Staff'] } };
      expect(planProvisioning(identity({ groups: ['Sales'] }), null, policy, [])).toMatchObject({ code: 'ERR_JIT_SSO_GROUP_NOT_ALLOWED' });
      expect(planProvisioning(identity({ groups: undefined, groupsOverage: true }), null, policy, [])).toMatchObject({ code: 'ERR_JIT_SSO_GROUP_NOT_ALLOWED' });
      expect(planProvisioning(identity({ groups: ['Staff'] }), null, policy, []).action).toBe('create');
    });
  });

  it('applies profile and roles when a first-login policy links an existing account, audited as linked-existing-user', () => {
    const plan = planProvisioning(identity({ displayName: 'Alice Smith', roles: ['Invoice.Reader'], groups: undefined }), storedUser(), { sync: 'first-login' }, ['Invoice.Reader'], { linkedBy: 'username' });
    expect(plan).toMatchObject({
      action: 'update',
      subType: 'linked-existing-user',
      link: { provider: 'entra', subject: 'tenant-1/oid-alice' },
      patch: { displayName: 'Alice Smith' },
      roles: { add: [{ role: 'Invoice.Reader', source: 'idp', provider: 'entra' }] },
    });
  });

  it('maps custom claimMap fields and updates them with the profile', () => {
    const fields = Object.assign(Object.create(null), { department: 'Finance' });
    const user = storedUser({ fields: Object.assign(Object.create(null), { department: 'Sales' }) });
    const plan = planProvisioning(identity({ fields }), user, { sync: 'every-login' }, []);
    expect(plan.action === 'update' && plan.patch.fields?.department).toBe('Finance');
    expect(plan.changes.fields).toContainEqual({ field: 'fields.department', before: 'Sales', after: 'Finance' });
  });

  it('is pure: planning twice gives the same plan and does not touch its inputs', () => {
    const id = identity();
    const user = storedUser();
    const frozen = JSON.stringify([id, user]);
    const a = planProvisioning(id, user, { sync: 'every-login' }, ['Invoice.Reader'], { now: NOW });
    const b = planProvisioning(id, user, { sync: 'every-login' }, ['Invoice.Reader'], { now: NOW });
    expect(a).toEqual(b);
    expect(JSON.stringify([id, user])).toBe(frozen);
  });
});
