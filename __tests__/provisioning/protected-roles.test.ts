import { describe, expect, it } from '@jest/globals';
import { planProvisioning } from '../../lib/provisioning/plan.js';
import { resolvePolicy } from '../../lib/provisioning/policy.js';
import { identity } from '../helpers/identities.js';

const ROLES = ['Admin', 'Invoice.Reader', 'Seller'];

function created(roles: string[], groups: string[], policy: Parameters<typeof planProvisioning>[2]) {
  const plan = planProvisioning(identity({ roles, groups }), null, { createUsers: true, ...policy }, ROLES);
  if (plan.action !== 'create') throw new Error(`expected create, got ${plan.action}`);
  return plan;
}

describe('protectedRoles in the planner', () => {
  it('skips a protected role named as-is, gives the others, and says why', () => {
    const plan = created(['Admin', 'Invoice.Reader'], [], { protectedRoles: ['Admin'] });
    expect(plan.user.roles.map((r) => r.role)).toEqual(['Invoice.Reader']);
    expect(plan.changes.rolesSkipped).toEqual(['Admin']);
    expect(plan.changes.rolesSkippedReasons).toEqual([{ role: 'Admin', reason: 'protected' }]);
  });

  it('gives a protected role through roleMap, once, even when the IdP also sends its name as-is', () => {
    const plan = created(['Admin'], ['App-Admins'], { protectedRoles: ['Admin'], roleMap: { 'App-Admins': 'Admin' } });
    expect(plan.user.roles.map((r) => r.role)).toEqual(['Admin']);
    expect(plan.changes.rolesSkipped).toEqual([]);
    expect(plan.changes.rolesSkippedReasons).toBeUndefined();
  });

  it('gives a protected role through a roleMap entry that maps the name to itself', () => {
    expect(created(['Admin'], [], { protectedRoles: ['Admin'], roleMap: { Admin: 'Admin' } }).user.roles.map((r) => r.role)).toEqual(['Admin']);
  });

  it("skips a protected role that the IdP's value matches only case-insensitively (roleMatch case-insensitive)", () => {
    const plan = created(['aDMIN'], [], { protectedRoles: ['Admin'], roleMatch: 'case-insensitive' });
    expect(plan.user.roles).toEqual([]);
    expect(plan.changes.rolesSkippedReasons).toEqual([{ role: 'aDMIN', reason: 'protected' }]);
  });

  it("lists a role the app lacks as 'not-in-app' and a missing default role likewise", () => {
    const plan = created(['Ghost'], [], { defaultRoles: ['Phantom'] });
    expect(plan.changes.rolesSkippedReasons).toEqual([
      { role: 'Ghost', reason: 'not-in-app' },
      { role: 'Phantom', reason: 'not-in-app' },
    ]);
  });

  it('keeps the as-is default and gives an unprotected role as before', () => {
    expect(created(['Admin'], [], {}).user.roles.map((r) => r.role)).toEqual(['Admin']);
  });
});

describe('protectedRoles and unmappedRoles options', () => {
  it('validates protectedRoles, naming the path', () => {
    expect(() => resolvePolicy({ protectedRoles: [''] }, 'p')).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: expect.objectContaining({ path: 'p.protectedRoles[0]' }) }));
    expect(() => resolvePolicy({ protectedRoles: 'Admin' } as never, 'p')).toThrow(expect.objectContaining({ details: expect.objectContaining({ path: 'p.protectedRoles' }) }));
    expect(resolvePolicy({ protectedRoles: ['Admin', 'Admin'] }).protectedRoles).toEqual(['Admin']);
  });

  it('refuses the implicit as-is default for a multi-tenant provider, and accepts it set in any layer', () => {
    expect(() => resolvePolicy([{ createUsers: true }, undefined], 'p', { multiTenant: true })).toThrow(expect.objectContaining({ details: expect.objectContaining({ path: 'p.unmappedRoles' }) }));
    expect(resolvePolicy([{ unmappedRoles: 'as-is' }, { createUsers: true }], 'p', { multiTenant: true }).unmappedRoles).toBe('as-is');
    expect(resolvePolicy([{}, { unmappedRoles: 'ignore' }], 'p', { multiTenant: true }).unmappedRoles).toBe('ignore');
    expect(resolvePolicy([{}], 'p', { multiTenant: false }).unmappedRoles).toBe('as-is');
  });
});
