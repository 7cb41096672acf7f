/**
 * Rows ↔ the store's types: NULL becomes `undefined`, dates become `Date`, JSON text becomes objects;
 * and the errors of both drivers, classified.
 * @module
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import { JitSsoError } from '../../errors.js';
import { canonicalKey as fold } from '../../internal/canonical.js';
import { copyFields } from '../../internal/safe-object.js';
import type { AuditChanges, AuditEvent, AuditSubType, IdentityLink, RoleAssignment, RoleSource } from '../user-store.js';
import type { StoredUser, UserProfile, UserStatus } from '../user-store.js';
import type { AuditEventsTable, BoolValue, DateValue, SqlDialect, UsersTable } from './schema.js';

type UserRow = Selectable<UsersTable>;
/** A users row with its role assignments in `role_list`: JSON text (SQLite) or the array pg parsed (PostgreSQL). */
export type UserRowWithRoles = UserRow & { role_list: unknown };
type Fields = UserProfile['fields'];

/** How one dialect writes dates and booleans. */
export interface Codec {
  date(value: Date): DateValue;
  bool(value: boolean): BoolValue;
}

/** ISO text and 0/1 on SQLite (better-sqlite3 binds neither `Date` nor `boolean`); native types on PostgreSQL. */
export function codecFor(dialect: SqlDialect): Codec {
  return dialect === 'sqlite'
    ? { date: (d) => new Date(d).toISOString(), bool: (b) => (b ? 1 : 0) }
    : { date: (d) => new Date(d), bool: (b) => b };
}

/** A user's stored columns, as `createUser` and `updateUser` compute them. */
export interface UserValues {
  username: string;
  domain: string | null;
  email: string | null;
  emailVerified: boolean | null;
  displayName: string | null;
  firstName: string | null;
  lastName: string | null;
  fields: Fields;
  status: UserStatus;
  userType: string;
}

/** The columns of `values`, with the folded lookup keys and search text derived from them. */
export function userColumns(values: UserValues, codec: Codec): Omit<Insertable<UsersTable>, 'id' | 'created_at' | 'updated_at' | 'last_login_at'> {
  const text = [values.username, values.domain, values.email, values.displayName, values.firstName, values.lastName];
  return {
    username: values.username,
    username_key: fold(values.username),
    domain: values.domain,
    domain_key: fold(values.domain ?? undefined),
    email: values.email,
    email_key: values.email === null ? null : fold(values.email),
    email_verified: values.emailVerified === null ? null : codec.bool(values.emailVerified),
    display_name: values.displayName,
    first_name: values.firstName,
    last_name: values.lastName,
    fields: JSON.stringify(values.fields),
    // The same text the memory store searches: absent fields count as empty lines.
    search_text: fold(text.map((v) => v ?? '').join('\n')),
    status: values.status,
    user_type: values.userType,
  };
}

/**
 * The columns of `values` that differ from the stored `row`, derived ones included: what
 * `updateUser` SETs. Compared with what is stored, so a lookup key folded differently by an older
 * version is written again when its user changes.
 */
export function changedColumns(row: UserRow, values: UserValues, codec: Codec): Updateable<UsersTable> {
  const stored = row as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(userColumns(values, codec)).filter(([column, value]) => stored[column] !== value));
}

/** The {@link UserValues} of a stored row, for `updateUser` to patch. */
export function valuesOf(row: UserRow): UserValues {
  return {
    username: row.username,
    domain: row.domain,
    email: row.email,
    emailVerified: row.email_verified === null ? null : Boolean(row.email_verified),
    displayName: row.display_name,
    firstName: row.first_name,
    lastName: row.last_name,
    fields: parseFields(row.fields),
    status: row.status as UserStatus,
    userType: row.user_type,
  };
}

/** A stored user from its row and its role rows; NULL columns are left out. */
export function toUser(row: UserRow, roles: readonly RoleRow[]): StoredUser {
  const user: StoredUser = {
    id: row.id,
    username: row.username,
    fields: parseFields(row.fields),
    status: row.status as UserStatus,
    userType: row.user_type,
    roles: roles.map(toAssignment),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
  if (row.domain !== null) user.domain = row.domain;
  if (row.email !== null) user.email = row.email;
  if (row.email_verified !== null) user.emailVerified = Boolean(row.email_verified);
  if (row.display_name !== null) user.displayName = row.display_name;
  if (row.first_name !== null) user.firstName = row.first_name;
  if (row.last_name !== null) user.lastName = row.last_name;
  if (row.last_login_at !== null) user.lastLoginAt = toDate(row.last_login_at);
  return user;
}

/** A stored user from a row that carries its `role_list`. */
export function toUserWithRoles(row: UserRowWithRoles): StoredUser {
  const list = (typeof row.role_list === 'string' ? JSON.parse(row.role_list) : row.role_list) as [string, string, string][];
  return toUser(row, Array.from(list, ([name, source, provider]) => ({ name, source, provider })));
}

/** One role assignment as read: the role's name, the source and `''` for no provider. */
export interface RoleRow {
  name: string;
  source: string;
  provider: string;
}

function toAssignment(row: RoleRow): RoleAssignment {
  const source = row.source as RoleSource;
  return row.provider === '' ? { role: row.name, source } : { role: row.name, source, provider: row.provider };
}

/** The columns of an audit event. */
export function auditColumns(event: AuditEvent, codec: Codec): Insertable<AuditEventsTable> {
  return {
    at: codec.date(new Date(event.at)),
    type: event.type,
    sub_type: event.subType,
    provider: event.provider,
    subject: event.subject,
    user_id: event.userId ?? null,
    code: event.code ?? null,
    reason: event.reason ?? null,
    changes: event.changes === undefined ? null : JSON.stringify(event.changes),
    ip: event.ip ?? null,
    request_id: event.requestId ?? null,
  };
}

/** An audit event from its row; NULL columns are left out. */
export function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  const event: AuditEvent = {
    at: toDate(row.at),
    type: 'login',
    subType: row.sub_type as AuditSubType,
    provider: row.provider,
    subject: row.subject,
  };
  if (row.user_id !== null) event.userId = row.user_id;
  if (row.code !== null) event.code = row.code;
  if (row.reason !== null) event.reason = row.reason;
  if (row.changes !== null) event.changes = JSON.parse(row.changes) as AuditChanges;
  if (row.ip !== null) event.ip = row.ip;
  if (row.request_id !== null) event.requestId = row.request_id;
  return event;
}

/** Custom fields on a prototype-less object, so a claim named `__proto__` stays a plain key. */
function parseFields(text: string): Fields {
  return copyFields(JSON.parse(text) as Fields);
}

function toDate(value: DateValue): Date {
  return new Date(value);
}

const sqlCode = (err: unknown) => (err as { code?: unknown } | null)?.code;

/** A UNIQUE or PRIMARY KEY violation, on SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  const code = sqlCode(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A FOREIGN KEY violation, on SQLite or PostgreSQL. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = sqlCode(err);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** The error for an identity that is already linked. */
export function identityConflict(link: Pick<IdentityLink, 'provider'>, cause?: unknown): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_IDENTITY_CONFLICT', { details: { provider: link.provider }, cause });
}

/** The error for a user id that does not exist. */
export function userNotFound(userId: string, cause?: unknown): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_USER_NOT_FOUND', { details: { userId }, cause });
}

/** `value` when it is a count (an integer ≥ 0); rejects `ERR_JIT_SSO_INVALID_OPTIONS` at `path` otherwise. */
export function count(value: number | undefined, fallback: number, path: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path } });
  return n;
}
