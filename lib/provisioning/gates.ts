/**
 * The `allow` gates: who may sign in at all, decided before any user is read or written. Pure.
 * @module
 */
import type { ErrorCode } from '../errors.js';
import type { Identity } from '../identity/types.js';
import type { ResolvedPolicy } from './policy.js';

/** Why a login is refused: the stable code and a reason for the admin's audit log. */
export interface Refusal {
  code: ErrorCode;
  reason: string;
}

/**
 * Checks `allow.domains`, `allow.tenants` and `allow.groups`. The domain is the login's domain (not
 * the email's, which the IdP may not have verified); an absent value never passes a list.
 */
export function checkAllowed(identity: Identity, policy: ResolvedPolicy): Refusal | null {
  const { domains, tenants, groups } = policy.allow;
  if (domains && !domains.has((identity.domain ?? '').toLowerCase())) {
    return { code: 'ERR_JIT_SSO_DOMAIN_NOT_ALLOWED', reason: `domain "${identity.domain ?? ''}" is not allowed` };
  }
  if (tenants && !tenants.has((identity.tenant ?? '').toLowerCase())) {
    return { code: 'ERR_JIT_SSO_TENANT_NOT_ALLOWED', reason: `tenant "${identity.tenant ?? ''}" is not allowed` };
  }
  if (groups) {
    const member = !identity.groupsOverage && (identity.groups ?? []).some((g) => groups.has(g));
    if (!member) {
      const why = identity.groupsOverage ? 'groups overage' : identity.groups ? 'no allowed group' : 'groups claim absent';
      return { code: 'ERR_JIT_SSO_GROUP_NOT_ALLOWED', reason: `not in an allowed group (${why})` };
    }
  }
  return null;
}
