/**
 * From the IdP's groups/roles to app role names: which values count, how the role map applies,
 * and which names exist in the app. Pure.
 * @module
 */
import type { Identity } from '../identity/types.js';
import { canonicalKey, isNfkcStable } from '../internal/canonical.js';
import type { RoleSkip } from '../store/user-store.js';
import type { ResolvedPolicy } from './policy.js';

/**
 * The IdP values that feed roles, or `undefined` when every claim named by `roleClaims` was absent.
 * An Entra group overage counts as an absent groups claim: the real groups are not in the token.
 */
export function idpRoleValues(identity: Identity, policy: ResolvedPolicy): string[] | undefined {
  let values: string[] | undefined;
  for (const claim of policy.roleClaims) {
    const list = claim === 'groups' && identity.groupsOverage ? undefined : identity[claim];
    if (list !== undefined) values = [...(values ?? []), ...list];
  }
  return values;
}

/** Maps IdP values to app role names through `roleMap`; unmapped values pass as-is or are dropped. */
export function mapRoleValues(values: readonly string[], policy: ResolvedPolicy): string[] {
  const names = new Set<string>();
  for (const value of values) {
    const mapped = policy.roleMap[value];
    if (mapped) for (const name of mapped) names.add(name);
    else if (policy.unmappedRoles === 'as-is') names.add(value);
  }
  return [...names];
}

/**
 * A role name in the form `protectedRoles` are compared in: the canonical caseless form `matchRoles`
 * uses under `roleMatch: 'case-insensitive'` (NFKC + full case folding), so that no spelling of a
 * protected role — `ADMIN`, fullwidth `ＡＤＭＩＮ` — slips through.
 */
export function foldRoleName(name: string): string {
  return canonicalKey(name);
}

/**
 * The app roles a login's IdP values give: `roleMap` entries first-class, unmapped values as-is (when
 * `unmappedRoles` allows) unless they name a protected role — by the IdP's spelling or by the app
 * role they match. Each value not given is listed with its reason.
 */
export function matchIdpRoles(
  values: readonly string[],
  existing: readonly string[],
  policy: ResolvedPolicy,
): { matched: string[]; skipped: RoleSkip[] } {
  // name → whether roleMap gave it (an explicit mapping wins over the same name sent as-is)
  const wanted = new Map<string, boolean>();
  for (const value of values) {
    const mapped = policy.roleMap[value];
    if (mapped) for (const name of mapped) wanted.set(name, true);
    else if (policy.unmappedRoles === 'as-is' && !wanted.has(value)) wanted.set(value, false);
  }
  const protectedKeys = new Set(policy.protectedRoles.map(foldRoleName));
  const isProtected = (name: string) => protectedKeys.has(foldRoleName(name));
  const viaMap = new Set(matchRoles([...wanted].filter(([, mapped]) => mapped).map(([name]) => name), existing, policy).matched);
  const matched = new Set<string>();
  const skipped: RoleSkip[] = [];
  for (const [name, mapped] of wanted) {
    const found = matchRoles([name], existing, policy).matched[0];
    if (found === undefined) skipped.push({ role: name, reason: !mapped && isProtected(name) ? 'protected' : 'not-in-app' });
    else if (mapped || viaMap.has(found)) matched.add(found);
    else if (isProtected(name) || isProtected(found)) skipped.push({ role: name, reason: 'protected' });
    else matched.add(found);
  }
  return { matched: [...matched], skipped };
}

/** Every role name a login may need to know exists: mapped IdP roles and the default roles. */
export function candidateRoleNames(identity: Identity, policy: ResolvedPolicy): string[] {
  const values = idpRoleValues(identity, policy);
  const mapped = values === undefined || policy.roleSync === 'never' ? [] : mapRoleValues(values, policy);
  return [...new Set([...mapped, ...policy.defaultRoles])];
}

/** The wanted names split into those the app has (in the app's spelling) and those it lacks. */
export function matchRoles(
  wanted: readonly string[],
  existing: readonly string[],
  policy: ResolvedPolicy,
): { matched: string[]; skipped: string[] } {
  // Case-insensitive means caseless (canonicalKey), and only that: a name NFKC would change (a
  // fullwidth `Ａｄｍｉｎ`, a Kelvin sign) matches no role rather than folding onto one.
  const caseless = policy.roleMatch === 'case-insensitive';
  const fold = caseless ? canonicalKey : (s: string) => s;
  const byKey = new Map(existing.map((name) => [fold(name), name]));
  const matched = new Set<string>();
  const skipped: string[] = [];
  for (const name of wanted) {
    const found = caseless && !isNfkcStable(name) ? undefined : byKey.get(fold(name));
    if (found === undefined) skipped.push(name);
    else matched.add(found);
  }
  return { matched: [...matched], skipped };
}
