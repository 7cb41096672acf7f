import { describe, expect, it } from '@jest/globals';
import { JitSsoError } from '../../lib/errors.js';
import { resolvePolicy } from '../../lib/provisioning/policy.js';

function invalid(fn: () => unknown): JitSsoError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(JitSsoError);
    return err as JitSsoError;
  }
  throw new Error('expected a JitSsoError');
}

describe('provisioning policy', () => {
  it('applies the documented defaults: no user creation, first-login sync, keep roles on a missing claim', () => {
    const policy = resolvePolicy(undefined);
    expect(policy.createUsers).toBe(false);
    expect(policy.newUserStatus({} as never)).toBe('active');
    expect(policy.profileSync).toBe('first-login');
    expect(policy.roleSync).toBe('first-login');
    expect(policy.missingClaim).toBe('keep');
    expect(policy.linkExisting).toBe('never');
    expect(policy.roleMatch).toBe('exact');
    expect(policy.defaultRoles).toEqual([]);
    expect(policy.userType({} as never)).toBe('employee');
  });

  it('lets profileSync and roleSync override sync one side at a time', () => {
    const policy = resolvePolicy({ sync: 'every-login', roleSync: 'never' });
    expect(policy.profileSync).toBe('every-login');
    expect(policy.roleSync).toBe('never');
  });

  it('lets a provider layer win over the global defaults, and a provider sync reset inherited overrides', () => {
    const policy = resolvePolicy([{ createUsers: true, roleSync: 'never' }, { sync: 'every-login' }]);
    expect(policy.createUsers).toBe(true);
    expect(policy.roleSync).toBe('every-login');
  });

  it('names the option path of a wrong value', () => {
    const err = invalid(() => resolvePolicy({ sync: 'always' } as never, 'providers[0].provisioning'));
    expect(err.code).toBe('ERR_JIT_SSO_INVALID_OPTIONS');
    expect(err.details.path).toBe('providers[0].provisioning.sync');
    expect(err.message).toContain('providers[0].provisioning.sync');
  });

  it('refuses an unknown option (a typo) instead of ignoring it', () => {
    const err = invalid(() => resolvePolicy({ createUser: true } as never));
    expect(err.message).toContain('createUser');
  });

  it('names the path inside allow and roleMap', () => {
    expect(invalid(() => resolvePolicy({ allow: { domains: [''] } })).details.path).toBe('provisioning.allow.domains[0]');
    expect(invalid(() => resolvePolicy({ roleMap: { Sales: 3 } } as never)).details.path).toBe('provisioning.roleMap.Sales');
  });

  it('keeps a roleMap entry named __proto__ as data, not as a prototype', () => {
    const policy = resolvePolicy(JSON.parse('{"roleMap": {"__proto__": "Admin"}}'));
    expect(policy.roleMap['__proto__']).toEqual(['Admin']);
    expect(({} as Record<string, unknown>).Admin).toBeUndefined();
  });
});
