/**
 * The state of `MemoryUserStore` and the pure helpers that read and change it: copies, matching,
 * role changes, paging. Private to the memory store.
 * @module
 */
import { JitSsoError } from '../errors.js';
import { canonicalKey } from '../internal/canonical.js';
import { copyFields } from '../internal/safe-object.js';
import type { AuditEvent, IdentityLink, RoleAssignment, RoleChange, StoredUser } from './user-store.js';

const OPTIONAL_FIELDS = ['domain', 'email', 'emailVerified', 'displayName', 'firstName', 'lastName'] as const;
type OptionalField = (typeof OPTIONAL_FIELDS)[number];

/**
 * The store's data, its write lock, and the undo log of the open transaction. Every write goes
 * through a method here, which logs how to undo it while a transaction is open; the lock keeps any
 * other write out until that transaction has committed or rolled back. Stored users (and their role
 * assignments) are replaced, never changed in place.
 */
export class State {
  readonly users = new Map<string, StoredUser>();
  /** `linkKey(identity)` → user id. */
  readonly links = new Map<string, string>();
  /** Role names, in the order they were created. */
  readonly roles = new Set<string>();
  readonly audit: AuditEvent[] = [];
  /** How to undo each write of the open transaction, oldest first; `undefined` when none is open. */
  undo: (() => void)[] | undefined;
  #tail: Promise<void> = Promise.resolve();

  /** Waits for the write lock (FIFO); resolves the function that releases it. */
  lock(): Promise<() => void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    return previous.then(() => release);
  }

  /** Undoes the open transaction's writes back to `mark` (the length of the log when a savepoint began). */
  rollback(mark = 0): void {
    const undo = this.undo ?? [];
    while (undo.length > mark) undo.pop()!();
  }

  setUser(user: StoredUser): void {
    const before = this.users.get(user.id);
    this.users.set(user.id, user);
    this.undo?.push(() => (before ? this.users.set(user.id, before) : this.users.delete(user.id)));
  }

  link(key: string, userId: string): void {
    this.links.set(key, userId);
    this.undo?.push(() => this.links.delete(key));
  }

  addRole(name: string): void {
    if (this.roles.has(name)) return;
    this.roles.add(name);
    this.undo?.push(() => this.roles.delete(name));
  }

  addAudit(event: AuditEvent): void {
    this.audit.push(event);
    this.undo?.push(() => this.audit.pop());
  }
}

/** The key of an identity in {@link State.links}. */
export const linkKey = (link: Pick<IdentityLink, 'provider' | 'subject'>) =>
  JSON.stringify([link.provider, link.subject]);
const roleKey = (r: RoleAssignment) => JSON.stringify([r.role, r.source, r.provider ?? null]);
/** The form in which usernames, domains and emails are compared: {@link canonicalKey} (NFKC + full case folding); `undefined` as `''`. */
export const fold = (value: string | undefined) => canonicalKey(value);
/** The error for an identity that is already linked. */
export const conflict = (link: Pick<IdentityLink, 'provider'>) =>
  new JitSsoError('ERR_JIT_SSO_IDENTITY_CONFLICT', { details: { provider: link.provider } });
/** The error for a user id that does not exist. */
export const notFound = (userId: string) => new JitSsoError('ERR_JIT_SSO_USER_NOT_FOUND', { details: { userId } });

/** The stored user (not a copy); rejects `ERR_JIT_SSO_USER_NOT_FOUND` when there is none. */
export function userOrThrow(s: State, userId: string): StoredUser {
  const user = s.users.get(userId);
  if (!user) throw notFound(userId);
  return user;
}

/** A copy of the user with this id, or `null`. */
export function found(s: State, id: string | undefined): StoredUser | null {
  const user = id === undefined ? undefined : s.users.get(id);
  return user ? copyUser(user) : null;
}

/** A copy of the one user that matches, or `null` when none or several do. */
export function single(s: State, match: (u: StoredUser) => boolean): StoredUser | null {
  let hit: StoredUser | undefined;
  for (const user of s.users.values()) {
    if (!match(user)) continue;
    if (hit) return null;
    hit = user;
  }
  return hit ? copyUser(hit) : null;
}

/** Sets the optional profile fields present in `source`; `null` removes one. */
export function applyOptional(target: StoredUser, source: Partial<Record<OptionalField, unknown>>): void {
  for (const field of OPTIONAL_FIELDS) {
    const value = source[field];
    if (value === null) delete target[field];
    else if (value !== undefined) (target as unknown as Record<OptionalField, unknown>)[field] = value;
  }
}

/** Deep copy of JSON-like data with `Date`s; unlike `structuredClone`, the copies belong to the caller's realm (Jest). */
function cloneData<T>(value: T): T {
  if (Object.prototype.toString.call(value) === '[object Date]') return new Date(value as Date) as T;
  if (Array.isArray(value)) return value.map(cloneData) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cloneData(item)])) as T;
}

/** A copy of an audit event that shares nothing with it, each part copied by its shape. */
export function copyEvent(e: AuditEvent): AuditEvent {
  const copy: AuditEvent = { ...e, at: new Date(e.at) };
  if (e.changes) {
    const c = e.changes;
    copy.changes = {
      ...c,
      fields: c.fields.map((f) => ({ field: f.field, before: cloneData(f.before), after: cloneData(f.after) })),
      rolesAdded: [...c.rolesAdded],
      rolesRemoved: [...c.rolesRemoved],
      rolesSkipped: [...c.rolesSkipped],
      ...(c.rolesSkippedReasons ? { rolesSkippedReasons: c.rolesSkippedReasons.map((s) => ({ role: s.role, reason: s.reason })) } : {}),
    };
  }
  return copy;
}

function copyRole(r: RoleAssignment): RoleAssignment {
  return r.provider === undefined
    ? { role: r.role, source: r.source }
    : { role: r.role, source: r.source, provider: r.provider };
}

/**
 * The caller's copy of a stored user: changing it changes nothing stored. Each part is copied once,
 * by its shape (a stored user holds strings, booleans, dates, `fields` and role assignments).
 */
export function copyUser(u: StoredUser): StoredUser {
  const copy: StoredUser = {
    ...u,
    fields: copyFields(u.fields),
    roles: u.roles.map(copyRole),
    createdAt: new Date(u.createdAt),
    updatedAt: new Date(u.updatedAt),
  };
  if (u.lastLoginAt !== undefined) copy.lastLoginAt = new Date(u.lastLoginAt);
  return copy;
}

/** `roles` (a new array the caller hands over) plus the assignments of `add` whose role exists and that are not there yet. */
export function addRoles(
  roles: RoleAssignment[],
  add: readonly RoleAssignment[],
  existing: ReadonlySet<string>,
): RoleAssignment[] {
  const keys = new Set(roles.map(roleKey));
  for (const assignment of add) {
    if (!existing.has(assignment.role) || keys.has(roleKey(assignment))) continue;
    keys.add(roleKey(assignment));
    roles.push(copyRole(assignment));
  }
  return roles;
}

/** Removes, then adds, the assignments of `change` on the user; rejects `ERR_JIT_SSO_USER_NOT_FOUND`. */
export function applyRoleChange(s: State, userId: string, change: RoleChange): void {
  const current = userOrThrow(s, userId);
  const removed = new Set(change.remove.map(roleKey));
  const kept = current.roles.filter((r) => !removed.has(roleKey(r)));
  s.setUser({ ...current, roles: addRoles(kept, change.add, s.roles) });
}

/** `limit` items from `offset`; rejects `ERR_JIT_SSO_INVALID_OPTIONS` unless both are counts. */
export function page<T>(items: T[], limit = 100, offset = 0): T[] {
  const wrong = !isCount(limit) ? 'limit' : !isCount(offset) ? 'offset' : undefined;
  if (wrong) throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path: wrong } });
  return items.slice(offset, offset + limit);
}

const isCount = (n: number) => Number.isInteger(n) && n >= 0;
