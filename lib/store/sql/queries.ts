/**
 * The queries of `SqlUserStore`, as functions of a Kysely instance (the store's, or a transaction's).
 * No table aliases: the prefix plugin would prefix them too.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely, type Selectable, type Updateable } from 'kysely';
import { canonicalKey as fold } from '../../internal/canonical.js';
import { copyFields } from '../../internal/safe-object.js';
import type { ListUsersQuery } from '../user-admin.js';
import type { AuditEvent, AuditQuery, IdentityLink, NewUser, RoleAssignment, StoredUser, UserPatch } from '../user-store.js';
import { auditColumns, changedColumns, count, identityConflict, isUniqueViolation, toAuditEvent, toUser, toUserWithRoles, userColumns, valuesOf } from './rows.js';
import type { Codec, RoleRow, UserRowWithRoles, UserValues } from './rows.js';
import type { Database, IdentitiesTable, SqlDialect, UsersTable } from './schema.js';

/** What every query needs: where to run, and how the dialect writes values. */
export interface QueryContext {
  db: Kysely<Database>;
  codec: Codec;
  dialect: SqlDialect;
}

/** What a query that reads users needs: the dialect writes the roles subquery. */
export type ReadContext = Pick<QueryContext, 'db' | 'dialect'>;

/** Where a query runs: what a query that needs no codec takes. */
export type RunContext = Pick<QueryContext, 'db'>;

type Db = Kysely<Database>;
type UserRow = Selectable<UsersTable>;

/** Lists longer than this are sent in several queries (SQLite and PostgreSQL cap bound parameters). */
const CHUNK = 500;
const chunks = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/** The users of `rows` with their roles, read in one more query (a page of users: one per chunk). */
export async function withRoles(db: Db, rows: readonly UserRow[]): Promise<StoredUser[]> {
  if (rows.length === 0) return [];
  const roles = new Map<string, RoleRow[]>();
  for (const ids of chunks(Array.from(rows, (r) => r.id))) {
    const found = await db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select(['user_roles.user_id', 'roles.name', 'user_roles.source', 'user_roles.provider'])
      .where('user_roles.user_id', 'in', ids)
      .orderBy('roles.id')
      .orderBy('user_roles.source')
      .orderBy('user_roles.provider')
      .execute();
    for (const row of found) {
      const list = roles.get(row.user_id);
      if (list) list.push(row);
      else roles.set(row.user_id, [row]);
    }
  }
  // Array.from, not rows.map: better-sqlite3's arrays come from another realm under Jest's vm, and map keeps it.
  return Array.from(rows, (row) => toUser(row, roles.get(row.id) ?? []));
}

/**
 * A user's role assignments as one column (`role_list`, read by {@link toUserWithRoles}): a JSON array
 * of `[role, source, provider]` in the order of {@link withRoles}. A correlated subquery, so that a
 * user and its roles are one statement — a SELECT, or the RETURNING of `updateUser`'s UPDATE.
 */
function roleList({ db, dialect }: ReadContext) {
  const item = sql.join([sql.ref('roles.name'), sql.ref('user_roles.source'), sql.ref('user_roles.provider')]);
  const order = sql.join([sql.ref('user_roles.role_id'), sql.ref('user_roles.source'), sql.ref('user_roles.provider')]);
  const list =
    dialect === 'postgres'
      ? sql<unknown>`coalesce(json_agg(json_build_array(${item}) order by ${order}), '[]')`
      : sql<unknown>`json_group_array(json_array(${item}) order by ${order})`;
  return db
    .selectFrom('user_roles')
    .innerJoin('roles', 'roles.id', 'user_roles.role_id')
    .where('user_roles.user_id', '=', sql.ref<string>('users.id'))
    .select(list.as('list'))
    .as('role_list');
}

/** The users table with each row's {@link roleList}. */
function selectUsers(ctx: ReadContext) {
  return ctx.db.selectFrom('users').selectAll('users').select(roleList(ctx));
}

/** The user with this id, or `null`; any string is a valid (maybe unknown) id. */
export async function findById(ctx: ReadContext, id: string): Promise<StoredUser | null> {
  const row = await selectUsers(ctx).where('id', '=', id).executeTakeFirst();
  return row ? toUserWithRoles(row) : null;
}

/** The user linked to `provider` + `subject` (the identities primary key), or `null`. */
export async function findByIdentity(ctx: ReadContext, provider: string, subject: string): Promise<StoredUser | null> {
  const row = await ctx.db
    .selectFrom('identities')
    .innerJoin('users', 'users.id', 'identities.user_id')
    .selectAll('users')
    .select(roleList(ctx))
    .where('identities.provider', '=', provider)
    .where('identities.subject', '=', subject)
    .executeTakeFirst();
  return row ? toUserWithRoles(row) : null;
}

/** The one user whose folded username (and domain, when given) match; `null` when none or several. */
export async function findByUsername(ctx: ReadContext, username: string, domain?: string): Promise<StoredUser | null> {
  let query = selectUsers(ctx).where('username_key', '=', fold(username));
  if (domain !== undefined) query = query.where('domain_key', '=', fold(domain));
  return single(await query.limit(2).execute());
}

/** The one user whose folded email matches; `null` when none or several. */
export async function findByEmail(ctx: ReadContext, email: string): Promise<StoredUser | null> {
  return single(await selectUsers(ctx).where('email_key', '=', fold(email)).limit(2).execute());
}

function single(rows: readonly UserRowWithRoles[]): StoredUser | null {
  return rows.length === 1 ? toUserWithRoles(rows[0]!) : null;
}

/** The identity links of a user (none for an unknown id). */
export async function identitiesOf({ db }: RunContext, userId: string): Promise<IdentityLink[]> {
  const rows = await db.selectFrom('identities').select(['provider', 'subject', 'issuer']).where('user_id', '=', userId).execute();
  return Array.from(rows, (r) => (r.issuer === null ? { provider: r.provider, subject: r.subject } : { provider: r.provider, subject: r.subject, issuer: r.issuer }));
}

/** True when the user exists. */
export async function userExists({ db }: RunContext, id: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/**
 * Inserts the user, its identity and its existing roles; resolves the new id. Run it in a
 * transaction: it rejects `ERR_JIT_SSO_IDENTITY_CONFLICT` after the user row is written.
 */
export async function insertUser(ctx: QueryContext, input: NewUser): Promise<string> {
  const { codec } = ctx;
  const id = randomUUID();
  const at = codec.date(new Date(input.at));
  const p = input.profile;
  const values: UserValues = {
    username: p.username,
    domain: p.domain ?? null,
    email: p.email ?? null,
    emailVerified: p.emailVerified ?? null,
    displayName: p.displayName ?? null,
    firstName: p.firstName ?? null,
    lastName: p.lastName ?? null,
    fields: copyFields(p.fields),
    status: input.status,
    userType: input.userType,
  };
  const row: Insertable<UsersTable> = { id, ...userColumns(values, codec), created_at: at, updated_at: at, last_login_at: at };
  await ctx.db.insertInto('users').values(row).execute();
  await insertIdentity(ctx, id, input.identity);
  await addRoles(ctx, id, input.roles);
  return id;
}

/** Links an identity; rejects `ERR_JIT_SSO_IDENTITY_CONFLICT` when it is linked already. */
export async function insertIdentity(ctx: RunContext, userId: string, link: NewUser['identity']): Promise<void> {
  const row: Insertable<IdentitiesTable> = { provider: link.provider, subject: link.subject, user_id: userId, issuer: link.issuer ?? null };
  try {
    await ctx.db.insertInto('identities').values(row).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw identityConflict(link, err);
    throw err;
  }
}

/**
 * Applies the patch; resolves the user with its roles, or `null` when there is no such user. One
 * UPDATE that SETs only the columns that change — SQLite rewrites the index entries of every indexed
 * column it SETs, changed or not — and returns the user and its roles. A patch of anything but
 * `lastLoginAt` reads the row first (locked on PostgreSQL) to merge custom fields and derive the
 * lookup keys; a login that changes nothing else writes without reading.
 */
export async function patchUser(ctx: QueryContext, id: string, patch: UserPatch): Promise<StoredUser | null> {
  const { db, codec, dialect } = ctx;
  let changed: Updateable<UsersTable> = {};
  if (Object.entries(patch).some(([key, value]) => key !== 'lastLoginAt' && value !== undefined)) {
    const read = db.selectFrom('users').selectAll().where('id', '=', id);
    // Two logins of one person patch the same row; the lock keeps one from losing the other's custom fields.
    const stored = await (dialect === 'postgres' ? read.forUpdate() : read).executeTakeFirst();
    if (!stored) return null;
    changed = changedColumns(stored, applyPatch(valuesOf(stored), patch), codec);
  }
  const set: Updateable<UsersTable> = {
    ...changed,
    updated_at: codec.date(new Date()),
    ...(patch.lastLoginAt !== undefined ? { last_login_at: codec.date(new Date(patch.lastLoginAt)) } : {}),
  };
  const row = await db.updateTable('users').set(set).where('id', '=', id).returningAll().returning(roleList(ctx)).executeTakeFirst();
  return row ? toUserWithRoles(row) : null;
}

/** `values` with `patch` applied: `null` clears, `fields` merge per key (a `null` field is removed). */
function applyPatch(values: UserValues, patch: UserPatch): UserValues {
  const optional = ['domain', 'email', 'emailVerified', 'displayName', 'firstName', 'lastName'] as const;
  for (const key of optional) {
    const value = patch[key];
    if (value !== undefined) (values as unknown as Record<string, unknown>)[key] = value;
  }
  if (patch.username !== undefined) values.username = patch.username;
  if (patch.status !== undefined) values.status = patch.status;
  if (patch.userType !== undefined) values.userType = patch.userType;
  for (const [key, value] of Object.entries(patch.fields ?? {})) {
    if (value === null) delete values.fields[key];
    else values.fields[key] = Array.isArray(value) ? [...value] : value;
  }
  return values;
}

/** Assigns the roles of `add` that exist; an assignment already there is left as it is. */
export async function addRoles(ctx: RunContext, userId: string, add: readonly RoleAssignment[]): Promise<void> {
  if (add.length === 0) return;
  const ids = new Map<string, number>();
  for (const names of chunks([...new Set(add.map((r) => r.role))])) {
    for (const row of await rolesNamed(ctx, 'name', names)) ids.set(row.name, row.id);
  }
  const rows = new Map<string, Insertable<Database['user_roles']>>();
  for (const r of add) {
    const roleId = ids.get(r.role);
    if (roleId === undefined) continue;
    const provider = r.provider ?? '';
    rows.set(JSON.stringify([roleId, r.source, provider]), { user_id: userId, role_id: roleId, source: r.source, provider });
  }
  for (const part of chunks([...rows.values()])) {
    await ctx.db.insertInto('user_roles').values(part).onConflict((oc) => oc.doNothing()).execute();
  }
}

/** Removes the assignments of `remove` (role + source + provider); resolves how many there were. */
export async function removeRoles({ db }: RunContext, userId: string, remove: readonly RoleAssignment[]): Promise<number> {
  let removed = 0;
  for (const r of remove) {
    const result = await db
      .deleteFrom('user_roles')
      .where('user_id', '=', userId)
      .where('source', '=', r.source)
      .where('provider', '=', r.provider ?? '')
      .where('role_id', 'in', db.selectFrom('roles').select('id').where('name', '=', r.role))
      .executeTakeFirst();
    removed += Number(result.numDeletedRows);
  }
  return removed;
}

/** The roles whose `column` is one of `values` (at most {@link CHUNK} of them). */
function rolesNamed({ db }: RunContext, column: 'name' | 'name_key', values: readonly string[]): Promise<{ id: number; name: string }[]> {
  return db.selectFrom('roles').select(['id', 'name']).where(column, 'in', values).execute();
}

/** Which of `names` exist, each once: exact names in the order asked, or (ignoring case) in the store's spelling. */
export async function existingRoles(ctx: RunContext, names: readonly string[], caseInsensitive: boolean): Promise<string[]> {
  const wanted = [...new Set(caseInsensitive ? names.map(fold) : names)];
  const found: { name: string; id: number }[] = [];
  for (const part of chunks(wanted)) found.push(...(await rolesNamed(ctx, caseInsensitive ? 'name_key' : 'name', part)));
  if (caseInsensitive) return found.sort((a, b) => a.id - b.id).map((r) => r.name);
  const exist = new Set(found.map((r) => r.name));
  return wanted.filter((name) => exist.has(name));
}

/** Users in creation order, filtered by folded `search`, paged; `limit` @default 100. */
export async function listUsers(db: Db, query: ListUsersQuery): Promise<StoredUser[]> {
  const limit = count(query.limit, 100, 'limit');
  const offset = count(query.offset, 0, 'offset');
  const rows = await searchUsers(db, query.search).selectAll().orderBy('seq').limit(limit).offset(offset).execute();
  return withRoles(db, rows);
}

/** How many users match the folded `search` (all users without one). */
export async function countUsers(db: Db, search?: string): Promise<number> {
  const row = await searchUsers(db, search).select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function searchUsers(db: Db, search: string | undefined) {
  const needle = fold(search ?? '');
  const query = db.selectFrom('users');
  if (needle === '') return query;
  const pattern = `%${needle.replace(/[!%_]/g, (c) => `!${c}`)}%`;
  return query.where(sql<boolean>`${sql.ref('search_text')} like ${pattern} escape '!'`);
}

/** Appends one audit event. */
export async function insertAudit(ctx: QueryContext, event: AuditEvent): Promise<void> {
  await ctx.db.insertInto('audit_events').values(auditColumns(event, ctx.codec)).execute();
}

/** Audit events newest first (ties: the later appended first), filtered and paged; `limit` @default 100. */
export async function listAudit(db: Db, query: AuditQuery): Promise<AuditEvent[]> {
  const limit = count(query.limit, 100, 'limit');
  const offset = count(query.offset, 0, 'offset');
  let select = db.selectFrom('audit_events').selectAll();
  if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
  if (query.subType !== undefined) select = select.where('sub_type', '=', query.subType);
  const rows = await select.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
  return Array.from(rows, toAuditEvent);
}
