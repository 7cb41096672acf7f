/**
 * The administration side of the built-in stores (`MemoryUserStore`, `SqlUserStore`): what an app's
 * admin pages and the example app use. Not part of the `UserStore` contract jit-sso needs.
 * @module
 */
import type { AuditEvent, AuditQuery, StoredUser, UserStatus } from './user-store.js';

/**
 * A filter for {@link UserAdmin.listUsers}.
 * @example
 * await store.listUsers({ search: 'contoso', limit: 20, offset: 40 });
 */
export interface ListUsersQuery {
  /** Case-insensitive text looked for in username, domain, email and names. */
  search?: string;
  /** At most this many users, oldest first. @default 100 */
  limit?: number;
  /** Users to skip, for paging. @default 0 */
  offset?: number;
}

/** Admin operations the built-in stores offer. */
export interface UserAdmin {
  /** Creates a role; creating one that exists changes nothing. */
  createRole(name: string): Promise<void>;
  /** Every role, in creation order. */
  listRoles(): Promise<string[]>;
  /** Users, oldest first, paged and searchable. */
  listUsers(query?: ListUsersQuery): Promise<StoredUser[]>;
  /** Grants a role by hand (`source: 'manual'`): a sync never removes it. `false` when the role does not exist. */
  grantRole(userId: string, role: string): Promise<boolean>;
  /** Revokes a manual grant only; `true` when one was removed. */
  revokeRole(userId: string, role: string): Promise<boolean>;
  /** Activates a pending user, or disables one. Rejects with `ERR_JIT_SSO_USER_NOT_FOUND` for an unknown user. */
  setStatus(userId: string, status: UserStatus): Promise<StoredUser>;
  /** Audit events, newest first, filtered by user and sub-type, paged. */
  listAuditEvents(query?: AuditQuery): Promise<AuditEvent[]>;
}
