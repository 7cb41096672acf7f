/**
 * The state of `MemoryUserStore` and the pure helpers that read and change it: copies, matching,
 * role changes, paging, and the write lock.
 * @module
 */
import { JitSsoError } from '../errors.js';
import type { AuditEvent, IdentityLink, RoleAssignment, RoleChange, StoredUser } from '../store/user-store.js';
import { canonicalKey } from './canonical.js';
import { LayeredList, LayeredMap } from './layered-state.js';

const OPTIONAL_FIELDS = ['domain', 'email', 'emailVerified', 'displayName', 'firstName', 'lastName'] as const;
type OptionalField = (typeof OPTIONAL_FIELDS)[number];
type Fields = StoredUser['fields'];

/**
 * The store's data, or a transaction's layer over it. Stored users (and their role assignments)
 * are replaced, never changed in place, so a layer can share them with the state below it.
 */
export interface State {
  users: LayeredMap<string, StoredUser>;
  /** `linkKey(identity)` → user id. */
  links: LayeredMap<string, string>;
  /** Role names, in the order they were created. */
  roles: LayeredMap<string, true>;
  audit: LayeredList<AuditEvent>;
}

/** A FIFO async lock: each holder runs after the previous one released. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    return previous.then(() => release);
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

/** `name` when it is a non-empty string; rejects `ERR_JIT_SSO_INVALID_OPTIONS` at `path` otherwise. */
export function checkRoleName(name: unknown, path: string): string {
  if (typeof name !== 'string' || name.trim() === '')
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path } });
  return name;
}

/** A state with nothing in it, or a layer over `below` whose writes stay in it until {@link commitLayer}. */
export function layerOver(below?: State): State {
  return {
    users: new LayeredMap(below?.users),
    links: new LayeredMap(below?.links),
    roles: new LayeredMap(below?.roles),
    audit: new LayeredList(below?.audit),
  };
}

/** Writes a layer's changes into the state below it (synchronously, so no reader sees half of them). */
export function commitLayer(layer: State): void {
  layer.users.commit();
  layer.links.commit();
  layer.roles.commit();
  layer.audit.commit();
}

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

/** Custom fields live on prototype-less objects: claim names such as `__proto__` stay plain keys. */
export function copyFields(fields: Readonly<Record<string, string | string[]>> | undefined): Fields {
  const out: Fields = Object.create(null) as Fields;
  for (const [key, value] of Object.entries(fields ?? {})) out[key] = Array.isArray(value) ? [...value] : value;
  return out;
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
  existing: LayeredMap<string, true>,
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
  s.users.set(userId, { ...current, roles: addRoles(kept, change.add, s.roles) });
}

/** `limit` items from `offset`; rejects `ERR_JIT_SSO_INVALID_OPTIONS` unless both are counts. */
export function page<T>(items: T[], limit = 100, offset = 0): T[] {
  const wrong = !isCount(limit) ? 'limit' : !isCount(offset) ? 'offset' : undefined;
  if (wrong) throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path: wrong } });
  return items.slice(offset, offset + limit);
}

const isCount = (n: number) => Number.isInteger(n) && n >= 0;
