/**
 * The planner: what one login does to one user. A pure function of the identity, the stored user,
 * the policy and the roles that exist — no I/O — so the same code is the dry run
 * (`planProvisioning`) and the real login (`jitProvision`).
 * @module
 */
import type { ErrorCode } from '../errors.js';
import type { Identity } from '../identity/types.js';
import type {
  AuditChanges,
  AuditSubType,
  FieldChange,
  IdentityLink,
  NewUser,
  RoleAssignment,
  RoleChange,
  RoleSkip,
  StoredUser,
  UserPatch,
  UserProfile,
} from '../store/user-store.js';
import { checkAllowed } from './gates.js';
import { isResolvedPolicy, resolvePolicy, type ProvisioningOptions, type ResolvedPolicy } from './policy.js';
import { idpRoleValues, matchIdpRoles, matchRoles } from './roles.js';

/** Facts about this login that are not in the identity. */
export interface PlanContext {
  /** The stored user was found by `linkExisting` rather than by the identity link. */
  linkedBy?: 'username' | 'verified-email';
  /** The login's time. @default new Date() */
  now?: Date;
}

interface PlanBase {
  /** The audit sub-type this login writes. */
  subType: AuditSubType;
  /** What the login changes (or, for a refusal, nothing). */
  changes: AuditChanges;
}

/** The login is refused. */
export interface DenyPlan extends PlanBase {
  action: 'deny';
  code: ErrorCode;
  reason: string;
  userId?: string;
}

/** The login creates the user (refused afterwards when it is created `pending`). */
export interface CreatePlan extends PlanBase {
  action: 'create';
  user: NewUser;
}

/** The login signs in an existing user, updating what the policy says. */
export interface UpdatePlan extends PlanBase {
  action: 'update';
  userId: string;
  /** Set when this login links the identity to an existing account. */
  link?: IdentityLink;
  patch: UserPatch;
  roles: RoleChange;
}

/** What a login would do. */
export type ProvisioningPlan = DenyPlan | CreatePlan | UpdatePlan;

/**
 * Plans one login: the dry run. Writes nothing.
 *
 * @param identity the normalised identity (`toIdentity`)
 * @param currentUser the user linked to the identity, or found by `linkExisting`; `null` when none
 * @param policy provisioning options, raw or from `resolvePolicy`
 * @param existingRoles the role names that exist in the app (at least those the login names)
 * @example
 * const plan = planProvisioning(identity, await store.findUserByIdentity(link), { sync: 'every-login' }, ['Admin']);
 * if (plan.action === 'update') console.log(plan.changes.rolesAdded);
 */
export function planProvisioning(
  identity: Identity,
  currentUser: StoredUser | null,
  policy: ProvisioningOptions | ResolvedPolicy,
  existingRoles: readonly string[],
  context: PlanContext = {},
): ProvisioningPlan {
  const resolved = isResolvedPolicy(policy) ? policy : resolvePolicy(policy);
  const now = context.now ?? new Date();

  const refused = checkAllowed(identity, resolved);
  if (refused) return deny(refused.code, refused.reason, 'denied', currentUser?.id);

  const roleValues = idpRoleValues(identity, resolved);
  if (roleValues === undefined && resolved.missingClaim === 'deny' && resolved.roleSync !== 'never') {
    const why = identity.groupsOverage ? 'groups overage, no groups resolved' : 'roles/groups claim absent';
    return deny('ERR_JIT_SSO_ROLES_CLAIM_MISSING', why, 'denied', currentUser?.id);
  }

  if (!currentUser) {
    if (!resolved.createUsers) {
      return deny('ERR_JIT_SSO_USER_NOT_PROVISIONED', 'unknown user and createUsers is off', 'denied');
    }
    // A user is never created without a name: `''` is no one's username, and would be everyone's.
    if (!hasUsername(identity)) {
      return deny('ERR_JIT_SSO_MISSING_USERNAME', 'the claims carry no usable username (no login claim, or an empty one)', 'denied');
    }
    return planCreate(identity, resolved, roleValues, existingRoles, now);
  }
  if (currentUser.status === 'pending') {
    return deny('ERR_JIT_SSO_USER_PENDING', 'user is waiting for approval', 'pending-approval', currentUser.id);
  }
  if (currentUser.status === 'disabled') {
    return deny('ERR_JIT_SSO_USER_DISABLED', 'user is disabled', 'denied', currentUser.id);
  }
  return planUpdate(identity, currentUser, resolved, roleValues, existingRoles, now, context.linkedBy);
}

function planCreate(
  identity: Identity,
  policy: ResolvedPolicy,
  roleValues: string[] | undefined,
  existingRoles: readonly string[],
  now: Date,
): CreatePlan {
  const idp = wantedIdpRoles(roleValues, policy, existingRoles, 'create');
  const defaults = matchRoles(policy.defaultRoles, existingRoles, policy);
  const roles: RoleAssignment[] = [
    ...idp.matched.map((role) => ({ role, source: 'idp' as const, provider: identity.provider })),
    ...defaults.matched.map((role) => ({ role, source: 'default' as const, provider: identity.provider })),
  ];
  const profile = profileOf(identity);
  const status = policy.newUserStatus(identity);
  return {
    action: 'create',
    subType: status === 'pending' ? 'pending-approval' : 'auto-provisioned-user',
    user: { profile, status, userType: policy.userType(identity), identity: linkOf(identity), roles, at: now },
    changes: {
      created: true,
      fields: fieldChanges(null, profile, [...PROFILE_KEYS]),
      rolesAdded: [...new Set(roles.map((r) => r.role))],
      rolesRemoved: [],
      ...skippedRoles([...idp.skipped, ...defaults.skipped.map((role) => ({ role, reason: 'not-in-app' as const }))]),
    },
  };
}

function planUpdate(
  identity: Identity,
  user: StoredUser,
  policy: ResolvedPolicy,
  roleValues: string[] | undefined,
  existingRoles: readonly string[],
  now: Date,
  linkedBy: PlanContext['linkedBy'],
): UpdatePlan {
  // A first-login policy applies at the login that creates the user or first links it to this IdP.
  const firstThroughIdp = linkedBy !== undefined;
  const syncProfile = policy.profileSync === 'every-login' || firstThroughIdp;
  const syncRoles = policy.roleSync === 'every-login' || (policy.roleSync === 'first-login' && firstThroughIdp);

  const patch: UserPatch = { lastLoginAt: now };
  const fields: FieldChange[] = [];
  if (syncProfile) {
    const profile = profileOf(identity);
    // A login without a usable username keeps the stored one rather than blanking it.
    const fieldsOwned = hasUsername(identity) ? policy.profileFields : policy.profileFields.filter((f) => f !== 'username');
    const owned = [...fieldsOwned, ...Object.keys(profile.fields).map((k) => `fields.${k}`)];
    for (const change of fieldChanges(user, profile, owned)) {
      fields.push(change);
      applyToPatch(patch, change);
    }
  }

  const roles: RoleChange = { add: [], remove: [] };
  let skipped: RoleSkip[] = [];
  if (syncRoles) {
    const idp = wantedIdpRoles(roleValues, policy, existingRoles, 'update');
    if (idp.keep === false) {
      skipped = idp.skipped;
      const current = user.roles.filter((r) => r.source === 'idp' && r.provider === identity.provider);
      const currentNames = new Set(current.map((r) => r.role));
      const wanted = new Set(idp.matched);
      roles.add = idp.matched
        .filter((role) => !currentNames.has(role))
        .map((role) => ({ role, source: 'idp', provider: identity.provider }));
      roles.remove = current.filter((r) => !wanted.has(r.role));
    }
  }

  return {
    action: 'update',
    subType: linkedBy ? 'linked-existing-user' : 'existing-user',
    userId: user.id,
    ...(linkedBy ? { link: linkOf(identity) } : {}),
    patch,
    roles,
    changes: {
      fields,
      rolesAdded: roles.add.map((r) => r.role),
      rolesRemoved: roles.remove.map((r) => r.role),
      ...skippedRoles(skipped),
    },
  };
}

/**
 * The IdP roles this login wants: `keep: true` means "leave the IdP roles alone" (claim absent and
 * `missingClaim: 'keep'`, or `roleSync: 'never'`); `revoke` wants none.
 */
function wantedIdpRoles(
  values: string[] | undefined,
  policy: ResolvedPolicy,
  existingRoles: readonly string[],
  mode: 'create' | 'update',
): { keep: boolean; matched: string[]; skipped: RoleSkip[] } {
  if (policy.roleSync === 'never') return { keep: true, matched: [], skipped: [] };
  if (values === undefined) {
    return { keep: policy.missingClaim === 'keep' && mode === 'update', matched: [], skipped: [] };
  }
  return { keep: false, ...matchIdpRoles(values, existingRoles, policy) };
}

/** The skipped roles as the audit event lists them: the names, and the reasons when there are any. */
function skippedRoles(skipped: readonly RoleSkip[]): Pick<AuditChanges, 'rolesSkipped' | 'rolesSkippedReasons'> {
  return skipped.length ? { rolesSkipped: skipped.map((s) => s.role), rolesSkippedReasons: [...skipped] } : { rolesSkipped: [] };
}

const PROFILE_KEYS = ['username', 'domain', 'email', 'emailVerified', 'displayName', 'firstName', 'lastName'] as const;

function profileOf(identity: Identity): UserProfile {
  const profile: UserProfile = { username: identity.username, fields: { ...identity.fields } };
  for (const key of PROFILE_KEYS) {
    const value = identity[key];
    if (key !== 'username' && value !== undefined && value !== '') (profile as unknown as Record<string, unknown>)[key] = value;
  }
  return profile;
}

/** A username that is something once normalised: not empty, not only whitespace. */
function hasUsername(identity: Identity): boolean {
  return typeof identity.username === 'string' && identity.username.trim() !== '';
}

function linkOf(identity: Identity): IdentityLink {
  return { provider: identity.provider, subject: identity.key, issuer: identity.issuer };
}

/** Changes for the owned fields the identity carries; a field the claims leave out is kept. */
function fieldChanges(before: UserProfile | null, after: UserProfile, owned: readonly string[]): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of owned) {
    const next = read(after, field);
    if (next === undefined) continue;
    const prev = before ? read(before, field) : undefined;
    // "Not verified" is the same whether the IdP said false or said nothing.
    if (field === 'emailVerified' ? Boolean(prev) === Boolean(next) : sameValue(prev, next)) continue;
    changes.push({ field, before: prev ?? null, after: next });
  }
  return changes;
}

function read(profile: UserProfile, field: string): unknown {
  if (field.startsWith('fields.')) {
    const key = field.slice('fields.'.length);
    return Object.hasOwn(profile.fields, key) ? profile.fields[key] : undefined;
  }
  return (profile as unknown as Record<string, unknown>)[field];
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

function applyToPatch(patch: UserPatch, change: FieldChange): void {
  if (change.field.startsWith('fields.')) {
    patch.fields ??= Object.create(null) as Record<string, string | string[] | null>;
    patch.fields[change.field.slice('fields.'.length)] = change.after as string | string[];
  } else {
    (patch as Record<string, unknown>)[change.field] = change.after;
  }
}

function deny(code: ErrorCode, reason: string, subType: AuditSubType, userId?: string): DenyPlan {
  return { action: 'deny', code, reason, subType, ...(userId ? { userId } : {}), changes: { fields: [], rolesAdded: [], rolesRemoved: [], rolesSkipped: [] } };
}
