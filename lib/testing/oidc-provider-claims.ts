/**
 * The claims the test OpenID provider puts in ID tokens, per shape: standard OIDC, or Entra ID v2.0
 * (with its group overage). Pure data in, claims out.
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
 * @module
 */
import type { TestOidcClaimShape, TestOidcUser } from './oidc-provider-types.js';

/** Entra leaves the groups out of a JWT above this many (and sends a Graph link instead). */
export const ENTRA_JWT_GROUP_LIMIT = 200;

/** Claims by scope, as oidc-provider's `claims` setting: a claim not listed here never leaves it. */
export function claimsConfig(attributeNames: readonly string[]): Record<string, string[]> {
  return {
    openid: ['sub', 'tid', 'oid', 'ver', 'groups', 'roles', ...attributeNames],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    email: ['email', 'email_verified'],
  };
}

/** The claims of `user` in `shape`; `undefined` values are left out. */
export function claimsFor(user: TestOidcUser, shape: TestOidcClaimShape): Record<string, unknown> {
  const common = {
    name: user.displayName,
    given_name: user.firstName,
    family_name: user.lastName,
    preferred_username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    roles: user.roles,
  };
  const claims: Record<string, unknown> =
    shape === 'entra'
      ? { ...common, sub: user.id, oid: user.id, tid: user.tenant, ver: '2.0', ...entraGroups(user) }
      : { ...common, sub: user.id, tid: user.tenant, groups: user.groups };
  for (const [name, value] of Object.entries(user.attributes ?? {})) claims[name] = value;
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
}

/** `groups`, or the overage pointer that replaces it (over 200 groups, or `overage: true`). */
function entraGroups(user: TestOidcUser): Record<string, unknown> {
  const groups = user.groups;
  if (!user.overage && (groups === undefined || groups.length <= ENTRA_JWT_GROUP_LIMIT)) return groups ? { groups } : {};
  return {
    _claim_names: { groups: 'src1' },
    _claim_sources: { src1: { endpoint: `https://graph.windows.net/${user.tenant ?? 'common'}/users/${user.id}/getMemberObjects` } },
  };
}
