/**
 * The `UserStore` contract: everything jit-sso needs from the app's users table.
 *
 * Implement it over your own tables, or use `MemoryUserStore` (tests) or `SqlUserStore`
 * (`jit-sso/sql`). Every store should pass `runUserStoreConformance` from `jit-sso/testing`.
 * Optional methods are detected once, when the store is handed to jit-sso.
 * @module
 */

/** Account states. `pending` users exist but are refused until an admin activates them. */
export const USER_STATUSES = ['active', 'pending', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Where a role assignment came from. A sync only ever removes `idp` assignments of its own provider. */
export const ROLE_SOURCES = ['idp', 'default', 'manual'] as const;
export type RoleSource = (typeof ROLE_SOURCES)[number];

/** One role given to one user, with its provenance. */
export interface RoleAssignment {
  role: string;
  source: RoleSource;
  /** The provider that granted it, for `idp` (and `default`) assignments. */
  provider?: string;
}

/** The link between an IdP identity and an app user. */
export interface IdentityLink {
  provider: string;
  /** `Identity.key`: the stable subject, tenant-qualified where the IdP needs it. */
  subject: string;
  issuer?: string;
}

/** The profile fields of a user that an IdP can own. */
export interface UserProfile {
  username: string;
  domain?: string;
  email?: string;
  emailVerified?: boolean;
  displayName?: string;
  firstName?: string;
  lastName?: string;
  /** Custom fields mapped by `claimMap`. */
  fields: Record<string, string | string[]>;
}

/** A user as the store returns it. */
export interface StoredUser extends UserProfile {
  /** The store's id, as a string. */
  id: string;
  status: UserStatus;
  /** Creatio: employee or portal user. */
  userType: string;
  roles: RoleAssignment[];
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt?: Date;
}

/** What `createUser` receives: the user, its first identity link and its first roles, stored together. */
export interface NewUser {
  profile: UserProfile;
  status: UserStatus;
  userType: string;
  identity: IdentityLink;
  roles: RoleAssignment[];
  /** When the login happened; becomes `createdAt` and `lastLoginAt`. */
  at: Date;
}

/** A change to a user's own fields. Keys left out are left alone; `null` clears an optional field. */
export interface UserPatch {
  username?: string;
  domain?: string | null;
  email?: string | null;
  emailVerified?: boolean | null;
  displayName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  /** Replaces the named custom fields only. */
  fields?: Record<string, string | string[] | null>;
  status?: UserStatus;
  userType?: string;
  lastLoginAt?: Date;
}

/** A change to a user's role assignments. An assignment is identified by role + source + provider. */
export interface RoleChange {
  /** Added; an assignment that already exists is left as it is. */
  add: RoleAssignment[];
  /** Removed; an assignment that does not exist is ignored. */
  remove: RoleAssignment[];
}

/** What an audit event is about: a login attempt, or a refused logout message from an IdP. */
export const AUDIT_TYPES = ['login', 'logout'] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

/** One audit event: one per login attempt (and one per refused IdP logout message). */
export interface AuditEvent {
  at: Date;
  type: AuditType;
  subType: AuditSubType;
  provider: string;
  subject: string;
  userId?: string;
  /** The stable error code of a refusal. */
  code?: string;
  /** Why a login was refused, in words for the admin. */
  reason?: string;
  changes?: AuditChanges;
  ip?: string;
  requestId?: string;
}

/** Kinds of login event. */
export const AUDIT_SUB_TYPES = [
  'auto-provisioned-user',
  'existing-user',
  'linked-existing-user',
  'pending-approval',
  'denied',
] as const;
export type AuditSubType = (typeof AUDIT_SUB_TYPES)[number];

/** What a login changed (or would change). */
export interface AuditChanges {
  /** True when the login created the user. */
  created?: boolean;
  /** Profile fields before and after. */
  fields: FieldChange[];
  rolesAdded: string[];
  rolesRemoved: string[];
  /** Roles the IdP named that were not given: missing in the app (never created), or protected. */
  rolesSkipped: string[];
  /** Why each role in `rolesSkipped` was skipped; present when any was. */
  rolesSkippedReasons?: RoleSkip[];
}

/**
 * Why a role the IdP named was not given: `'not-in-app'` (the app has no such role) or `'protected'`
 * (in `protectedRoles`, named by the IdP as-is rather than through `roleMap`).
 */
export const ROLE_SKIP_REASONS = ['not-in-app', 'protected'] as const;
export type RoleSkipReason = (typeof ROLE_SKIP_REASONS)[number];

/** One role the IdP named that a login did not give, and why. */
export interface RoleSkip {
  role: string;
  reason: RoleSkipReason;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** A filter for reading audit events. */
export interface AuditQuery {
  userId?: string;
  subType?: AuditSubType;
  /** At most this many, newest first. @default 100 */
  limit?: number;
  offset?: number;
}

/**
 * The store contract. Methods are Required unless marked Optional.
 *
 * Errors: a method that cannot reach its backend rejects with any error; jit-sso turns it into
 * `ERR_JIT_SSO_STORE_UNAVAILABLE` (HTTP 503). Conflicts reject with a `JitSsoError` whose code is
 * `ERR_JIT_SSO_IDENTITY_CONFLICT`; a write to a user that does not exist (including an id of the
 * wrong shape) rejects with `ERR_JIT_SSO_USER_NOT_FOUND`.
 *
 * Values: a field a user lacks reads back as `undefined`, never `null` (SQL stores map NULL);
 * `updatedAt` is the creation time, then changes with every `updateUser`; role changes leave it.
 *
 * @example
 * class MyStore implements UserStore { ... }  // see README, "A store over your own users table"
 */
export interface UserStore {
  /** Required. The user linked to `provider` + `subject`, with its roles; `null` when none. */
  findUserByIdentity(link: Pick<IdentityLink, 'provider' | 'subject'>): Promise<StoredUser | null>;

  /** Required. The user with this id, with its roles; `null` when none (also for ids of the wrong shape). */
  findUserById(id: string): Promise<StoredUser | null>;

  /**
   * Optional; needed for `linkExisting: 'username'`. The user with this username (and domain, when
   * given), both compared case-insensitively; `null` when none or when several match.
   */
  findUserByUsername?(username: string, domain?: string): Promise<StoredUser | null>;

  /**
   * Optional; needed for `linkExisting: 'verified-email'`. The user whose email is this one
   * (case-insensitive); `null` when none or when several match.
   */
  findUserByEmail?(email: string): Promise<StoredUser | null>;

  /**
   * Optional; needed for `linkExisting` (any mode but `'never'`). The identity links of this user
   * (`provider`, `subject`, `issuer` when stored), in any order; `[]` when it has none or does not
   * exist. jit-sso never links a login into an account that already has an identity from the same
   * provider: a reused name or mailbox belongs to another person.
   */
  listIdentities?(userId: string): Promise<IdentityLink[]>;

  /**
   * Required. Creates the user, its identity link and its role assignments **atomically**.
   * When the identity is already linked it must create nothing and reject with
   * `ERR_JIT_SSO_IDENTITY_CONFLICT` — concurrent first logins of one person end as one user.
   * Roles that do not exist are not assigned (and never created).
   */
  createUser(user: NewUser): Promise<StoredUser>;

  /** Required. Applies the patch; resolves the updated user, or `null` when the user does not exist. */
  updateUser(id: string, patch: UserPatch): Promise<StoredUser | null>;

  /**
   * Required. Links another identity to an existing user. Rejects with
   * `ERR_JIT_SSO_IDENTITY_CONFLICT` when the identity is linked already, and
   * `ERR_JIT_SSO_USER_NOT_FOUND` when the user does not exist.
   */
  linkIdentity(userId: string, link: IdentityLink): Promise<void>;

  /**
   * Required. Which of `names` exist as roles in the app, each once, in the store's spelling.
   * Names match exactly; with `caseInsensitive` (policy `roleMatch: 'case-insensitive'`), ignoring case.
   */
  existingRoles(names: readonly string[], options?: { caseInsensitive?: boolean }): Promise<string[]>;

  /**
   * Required. Adds and removes role assignments in one atomic step. Unknown roles are not
   * assigned. Rejects with `ERR_JIT_SSO_USER_NOT_FOUND` when the user does not exist.
   */
  changeRoles(userId: string, change: RoleChange): Promise<void>;

  /** Required. Appends one audit event. */
  appendAudit(event: AuditEvent): Promise<void>;

  /** Optional. Audit events, newest first. */
  listAuditEvents?(query?: AuditQuery): Promise<AuditEvent[]>;

  /**
   * Optional. Runs `fn` in one transaction: `fn` gets the store to use, and everything done through
   * it is undone when `fn` rejects; the transaction rejects with `fn`'s own error (jit-sso must see a
   * conflict raised inside). Calls on the outer store inside `fn` are not part of the transaction.
   * The store handed to `fn` is valid until `fn` settles. Without this method, jit-sso's writes for
   * one login are separate atomic calls.
   * @example
   * async transaction(fn) { return this.db.transaction((trx) => fn(new MyStore(trx))); }
   */
  transaction?<T>(fn: (store: UserStore) => Promise<T>): Promise<T>;
}
