/**
 * Provisioning policy: the options that decide what a login does to the app's users, their
 * defaults, and the one function that validates and resolves them.
 * @module
 */
import { z } from 'zod';
import type { ClaimMap, Identity } from '../identity/types.js';
import { JitSsoError } from '../errors.js';
import { canonicalKey } from '../internal/canonical.js';
import { parseOptions } from '../internal/options.js';

/** `'every-login'` (Creatio: kept in step with the IdP) or `'first-login'` (Bizagi: set once). */
export const SYNC_MODES = ['every-login', 'first-login'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

/** Role sync also takes `'never'`: the IdP's roles are never applied (only `defaultRoles`). */
export const ROLE_SYNC_MODES = [...SYNC_MODES, 'never'] as const;
export type RoleSyncMode = (typeof ROLE_SYNC_MODES)[number];

export const NEW_USER_STATUSES = ['active', 'pending'] as const;
export type NewUserStatus = (typeof NEW_USER_STATUSES)[number];

/** What to do when the roles/groups claim is absent (or Entra sent a group overage link). */
export const MISSING_CLAIM_MODES = ['keep', 'revoke', 'deny'] as const;
export type MissingClaimMode = (typeof MISSING_CLAIM_MODES)[number];

/** How a first login finds an app account that exists already. */
export const LINK_EXISTING_MODES = ['never', 'username', 'verified-email'] as const;
export type LinkExistingMode = (typeof LINK_EXISTING_MODES)[number];

/** The profile fields an IdP can own. */
export const PROFILE_FIELDS = [
  'username',
  'domain',
  'email',
  'emailVerified',
  'displayName',
  'firstName',
  'lastName',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** Which claims of the identity feed role mapping. */
export const ROLE_CLAIMS = ['roles', 'groups'] as const;
export type RoleClaim = (typeof ROLE_CLAIMS)[number];

export const ROLE_MATCH_MODES = ['exact', 'case-insensitive'] as const;
export type RoleMatchMode = (typeof ROLE_MATCH_MODES)[number];

/** IdP values the `roleMap` does not name: used as role names as they are, or ignored. */
export const UNMAPPED_ROLE_MODES = ['as-is', 'ignore'] as const;
export type UnmappedRoleMode = (typeof UNMAPPED_ROLE_MODES)[number];

/** Who may sign in at all. Every list given must match; an empty or absent list allows everyone. */
export interface AllowOptions {
  /** Login domains (`contoso.com`, or the NetBIOS `CONTOSO`), compared case-insensitively. */
  domains?: string[];
  /** Tenants (Entra `tid`, Google `hd`, Auth0 `org_id`), compared case-insensitively. */
  tenants?: string[];
  /** IdP group values; the user must be in at least one. An absent groups claim is refused. */
  groups?: string[];
}

/**
 * Provisioning options, per provider with global defaults (DESIGN.md, "Provisioning policy").
 *
 * @example
 * // Creatio style: create users, keep profile and roles in step on every login
 * { createUsers: true, sync: 'every-login', roleMap: { 'Finance-Users': 'Accountant' } }
 * @example
 * // Bizagi style: create once with default roles, never touch them again
 * { createUsers: true, sync: 'first-login', defaultRoles: ['Employee'] }
 */
export interface ProvisioningOptions {
  /** Create unknown users (Bizagi `AutoProvisionUsers`). Off: unknown users are refused. @default false */
  createUsers?: boolean;
  /**
   * `'pending'`: created but refused until an admin activates them; or a function of the identity
   * (e.g. partners pending, employees active). @default 'active'
   */
  newUserStatus?: NewUserStatus | ((identity: Identity) => NewUserStatus);
  /** When profile and roles follow the IdP. @default 'first-login' */
  sync?: SyncMode;
  /** Overrides `sync` for the profile. @default sync */
  profileSync?: SyncMode;
  /** Overrides `sync` for roles; `'never'` applies no IdP roles. @default sync */
  roleSync?: RoleSyncMode;
  /** The fields the IdP owns; others are left to the app. @default username, domain, email, emailVerified, displayName, firstName, lastName */
  profileFields?: ProfileField[];
  /** Claim → field overrides on top of the preset; extra keys become custom fields. @default {} */
  claimMap?: ClaimMap;
  /** Roles every new user gets, when they exist in the app (Bizagi `RolesForAutoProvisionedUsers`). @default [] */
  defaultRoles?: string[];
  /** IdP group/role value → app role name(s). @default {} */
  roleMap?: Record<string, string | string[]>;
  /**
   * IdP values `roleMap` does not name: `'as-is'` (used as role names) or `'ignore'`. A provider that
   * trusts more than one tenant (Entra's `common` / `organizations` endpoints, several
   * `allowedTenants`) refuses to start unless this is set explicitly: there another tenant's admin
   * names groups and roles. @default 'as-is'
   */
  unmappedRoles?: UnmappedRoleMode;
  /**
   * Roles the IdP can give only through an explicit `roleMap` entry, never as-is: an IdP value
   * `"Admin"` does not make anyone Admin unless `roleMap` maps a value to it. Compared
   * case-insensitively, to the IdP's value and to the app's role it matches. Put the app's admin
   * roles here whenever `unmappedRoles` is `'as-is'`.
   * @default []
   * @example
   * { unmappedRoles: 'as-is', protectedRoles: ['Admin'], roleMap: { 'App-Admins': 'Admin' } }
   */
  protectedRoles?: string[];
  /** Which claims feed roles. @default ['roles', 'groups'] */
  roleClaims?: RoleClaim[];
  /** How IdP role names are matched to the app's. @default 'exact' */
  roleMatch?: RoleMatchMode;
  /** The roles/groups claim is absent: keep roles, revoke IdP roles, or deny the login. @default 'keep' */
  missingClaim?: MissingClaimMode;
  /**
   * How a first login finds an existing app account. Never an account that already has an identity
   * from this provider (a reused name or mailbox is another person).
   * WARNING: `'username'` trusts the IdP to own the username namespace; use it only with an IdP that
   * is the sole source of those names. WARNING: `'verified-email'` trusts the IdP's word that the
   * person owns the mailbox; it needs {@link ProvisioningOptions.emailAuthority}.
   * @default 'never'
   */
  linkExisting?: LinkExistingMode;
  /**
   * Required with `linkExisting: 'verified-email'`: the email domains this provider may vouch for,
   * each with the tenants (Entra `tid`, Google `hd`, Auth0 `org_id`) whose logins may link by it, or
   * `true` for any login through this provider. A verified email of any other domain, or from
   * another tenant, links nothing. Domains match exactly (list each subdomain), ignoring case.
   * @example
   * { 'contoso.com': ['8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f'], 'fabrikam.com': true }
   */
  emailAuthority?: Record<string, true | string[]>;
  /** The user's type (Creatio: employee or portal user), or a function of the identity. @default 'employee' */
  userType?: string | ((identity: Identity) => string);
  /** Who may sign in at all. @default everyone the IdP vouches for */
  allow?: AllowOptions;
}

const nonEmpty = z.string().min(1);
const claimNames = z.union([nonEmpty, z.array(nonEmpty).min(1)]);

/** The zod schema of {@link ProvisioningOptions}; unknown keys are refused (a typo must not pass silently). */
export const provisioningOptionsSchema = z
  .object({
    createUsers: z.boolean(),
    newUserStatus: z.union([z.enum(NEW_USER_STATUSES), z.custom<(identity: Identity) => NewUserStatus>((v) => typeof v === 'function')]),
    sync: z.enum(SYNC_MODES),
    profileSync: z.enum(SYNC_MODES),
    roleSync: z.enum(ROLE_SYNC_MODES),
    profileFields: z.array(z.enum(PROFILE_FIELDS)),
    claimMap: z.record(nonEmpty, claimNames),
    defaultRoles: z.array(nonEmpty),
    roleMap: z.record(nonEmpty, z.union([nonEmpty, z.array(nonEmpty)])),
    unmappedRoles: z.enum(UNMAPPED_ROLE_MODES),
    protectedRoles: z.array(nonEmpty),
    roleClaims: z.array(z.enum(ROLE_CLAIMS)).min(1),
    roleMatch: z.enum(ROLE_MATCH_MODES),
    missingClaim: z.enum(MISSING_CLAIM_MODES),
    linkExisting: z.enum(LINK_EXISTING_MODES),
    emailAuthority: z.record(nonEmpty, z.union([z.literal(true), z.array(nonEmpty).min(1)])),
    userType: z.union([nonEmpty, z.custom<(identity: Identity) => string>((v) => typeof v === 'function')]),
    allow: z
      .object({ domains: z.array(nonEmpty), tenants: z.array(nonEmpty), groups: z.array(nonEmpty) })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

const RESOLVED = Symbol('jit-sso.resolvedPolicy');

/** Options with every default applied and lookups prepared. Made by {@link resolvePolicy}. */
export interface ResolvedPolicy {
  readonly [RESOLVED]: true;
  createUsers: boolean;
  newUserStatus: (identity: Identity) => NewUserStatus;
  profileSync: SyncMode;
  roleSync: RoleSyncMode;
  profileFields: readonly ProfileField[];
  claimMap: ClaimMap;
  defaultRoles: readonly string[];
  /** IdP value → app role names, on a prototype-less object. */
  roleMap: Readonly<Record<string, readonly string[]>>;
  unmappedRoles: UnmappedRoleMode;
  /** Roles given only through `roleMap` (as given; compared with `foldRoleName`). */
  protectedRoles: readonly string[];
  roleClaims: readonly RoleClaim[];
  roleMatch: RoleMatchMode;
  missingClaim: MissingClaimMode;
  linkExisting: LinkExistingMode;
  /** Canonical email domain → `true` or the set of canonical tenant ids; empty unless set. */
  emailAuthority: ReadonlyMap<string, true | ReadonlySet<string>>;
  userType: (identity: Identity) => string;
  allow: { domains?: ReadonlySet<string>; tenants?: ReadonlySet<string>; groups?: ReadonlySet<string> };
}

/** The defaults, as documented in the README's policy table. */
export const DEFAULT_PROFILE_FIELDS: readonly ProfileField[] = PROFILE_FIELDS;

/** What the provider a policy is resolved for tells about itself. */
export interface PolicyProviderFacts {
  /**
   * The provider accepts people from more than one tenant (Entra `common` / `organizations`, or
   * several allowed tenants): `unmappedRoles` must then be set explicitly.
   */
  multiTenant?: boolean;
}

/**
 * Validates provisioning options and applies the defaults. Later layers win: pass the global
 * defaults first and the provider's options last.
 *
 * @throws JitSsoError `ERR_JIT_SSO_INVALID_OPTIONS` naming the option path.
 * @example
 * const policy = resolvePolicy([globalDefaults, providerOptions], 'providers[0].provisioning');
 */
export function resolvePolicy(
  layers: ProvisioningOptions | ReadonlyArray<ProvisioningOptions | undefined> | undefined,
  path = 'provisioning',
  provider: PolicyProviderFacts = {},
): ResolvedPolicy {
  const list = Array.isArray(layers) ? layers : [layers];
  const merged: ProvisioningOptions = {};
  for (const layer of list as Array<ProvisioningOptions | undefined>) {
    if (layer === undefined) continue;
    const parsed = parseOptions(provisioningOptionsSchema, layer, path) as ProvisioningOptions;
    // zod copies records onto plain objects, where a key such as "__proto__" would vanish; the
    // validated input's own entries are used instead.
    if (layer.roleMap) parsed.roleMap = layer.roleMap;
    if (layer.claimMap) parsed.claimMap = layer.claimMap;
    if (layer.emailAuthority) parsed.emailAuthority = layer.emailAuthority;
    Object.assign(merged, parsed);
    // A layer that sets `sync` resets an inherited profileSync/roleSync it does not set itself.
    if (parsed.sync !== undefined) {
      if (parsed.profileSync === undefined) delete merged.profileSync;
      if (parsed.roleSync === undefined) delete merged.roleSync;
    }
  }
  // Secure by default: an email links accounts only from the issuers and tenants named for its domain.
  if (merged.linkExisting === 'verified-email' && (!merged.emailAuthority || Object.keys(merged.emailAuthority).length === 0)) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: `Invalid jit-sso option ${path}.emailAuthority: required with linkExisting: 'verified-email' (the email domains this provider may vouch for)`,
      details: { path: `${path}.emailAuthority` },
    });
  }
  if (provider.multiTenant && merged.unmappedRoles === undefined) {
    // The default ('as-is') would let another tenant's admin make anyone Admin by naming a group so.
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: `Invalid jit-sso option ${path}.unmappedRoles: must be set explicitly for a provider that trusts more than one tenant: 'ignore' (map roles with roleMap), or 'as-is' with protectedRoles`,
      details: { path: `${path}.unmappedRoles`, issues: [`${path}.unmappedRoles: must be set explicitly for a provider that trusts more than one tenant`] },
    });
  }
  const sync = merged.sync ?? 'first-login';
  const userType = merged.userType ?? 'employee';
  const newUserStatus = merged.newUserStatus ?? 'active';
  return {
    [RESOLVED]: true,
    createUsers: merged.createUsers ?? false,
    newUserStatus: typeof newUserStatus === 'function' ? checkedStatus(newUserStatus) : () => newUserStatus,
    profileSync: merged.profileSync ?? sync,
    roleSync: merged.roleSync ?? sync,
    profileFields: merged.profileFields ?? DEFAULT_PROFILE_FIELDS,
    claimMap: merged.claimMap ?? {},
    defaultRoles: unique(merged.defaultRoles ?? []),
    roleMap: toRoleMap(merged.roleMap ?? {}),
    unmappedRoles: merged.unmappedRoles ?? 'as-is',
    protectedRoles: unique(merged.protectedRoles ?? []),
    roleClaims: merged.roleClaims ?? ROLE_CLAIMS,
    roleMatch: merged.roleMatch ?? 'exact',
    missingClaim: merged.missingClaim ?? 'keep',
    linkExisting: merged.linkExisting ?? 'never',
    emailAuthority: toEmailAuthority(merged.emailAuthority ?? {}),
    userType: typeof userType === 'function' ? userType : () => userType,
    allow: {
      domains: lowerSet(merged.allow?.domains),
      tenants: lowerSet(merged.allow?.tenants),
      groups: merged.allow?.groups?.length ? new Set(merged.allow.groups) : undefined,
    },
  };
}

/** True when `value` came from {@link resolvePolicy}. */
export function isResolvedPolicy(value: unknown): value is ResolvedPolicy {
  return typeof value === 'object' && value !== null && RESOLVED in value;
}

/** A status function's answer is checked at each login: anything but 'active' or 'pending' is 'pending' (fail closed). */
function checkedStatus(fn: (identity: Identity) => NewUserStatus): (identity: Identity) => NewUserStatus {
  return (identity) => (fn(identity) === 'active' ? 'active' : 'pending');
}

function toRoleMap(map: Record<string, string | string[]>): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = Object.create(null);
  for (const [from, to] of Object.entries(map)) out[from] = unique(Array.isArray(to) ? to : [to]);
  return out;
}

function toEmailAuthority(map: Record<string, true | string[]>): Map<string, true | ReadonlySet<string>> {
  const out = new Map<string, true | ReadonlySet<string>>();
  for (const [domain, tenants] of Object.entries(map)) {
    out.set(canonicalKey(domain), tenants === true ? true : new Set(tenants.map((t) => canonicalKey(t))));
  }
  return out;
}

function lowerSet(values: string[] | undefined): ReadonlySet<string> | undefined {
  return values?.length ? new Set(values.map((v) => v.toLowerCase())) : undefined;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
