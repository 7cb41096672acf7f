/**
 * The queries of `SqlUserStore`, as functions of a Kysely instance (the store's, or a transaction's).
 * No table aliases: the prefix plugin would prefix them too.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { copyFields, fold } from '../internal/memory-state.js';
import type { ListUsersQuery } from '../store/user-admin.js';
import type { AuditEvent, AuditQuery, NewUser, RoleAssignment, StoredUser, UserPatch } from '../store/user-store.js';
import { auditColumns, count, identityConflict, isUniqueViolation, toAuditEvent, toUser, userColumns, valuesOf, type Codec, type RoleRow, type UserValues } from './rows.js';
import type { Database, SqlDialect, UsersTable } from './schema.js';

/** What every query needs: where to run, and how the dialect writes values. */
export interface QueryContext {
  db: Kysely<Database>;
  codec: Codec;
  dialect: SqlDialect;
}

type Db = Kysely<Database>;
type UserRow = Selectable<UsersTable>;

/** Lists longer than this are sent in several queries (SQLite and PostgreSQL cap bound parameters). */
const CHUNK = 500;
const chunks = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/** The users of `rows` with their roles, read in one more query. */
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
    for (const row of found) roles.set(row.user_id, [...(roles.get(row.user_id) ?? []), row]);
  }
  // Array.from, not rows.map: better-sqlite3's arrays come from another realm under Jest's vm, and map keeps it.
  return Array.from(rows, (row) => toUser(row, roles.get(row.id) ?? []));
}

/** The user with this id, or `null`; any string is a valid (maybe unknown) id. */
export async function findById(db: Db, id: string): Promise<StoredUser | null> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? ((await withRoles(db, [row]))[0] ?? null) : null;
}

/** The user linked to `provider` + `subject` (the identities primary key), or `null`. */
export async function findByIdentity(db: Db, provider: string, subject: string): Promise<StoredUser | null> {
  const row = await db
    .selectFrom('identities')
    .innerJoin('users', 'users.id', 'identities.user_id')
    .selectAll('users')
    .where('identities.provider', '=', provider)
    .where('identities.subject', '=', subject)
    .executeTakeFirst();
  return row ? ((await withRoles(db, [row]))[0] ?? null) : null;
}

/** The one user whose folded username (and domain, when given) match; `null` when none or several. */
export async function findByUsername(db: Db, username: string, domain?: string): Promise<StoredUser | null> {
  let query = db.selectFrom('users').selectAll().where('username_key', '=', fold(username));
  if (domain !== undefined) query = query.where('domain_key', '=', fold(domain));
  return single(db, await query.limit(2).execute());
}

/** The one user whose folded email matches; `null` when none or several. */
export async function findByEmail(db: Db, email: string): Promise<StoredUser | null> {
  return single(db, await db.selectFrom('users').selectAll().where('email_key', '=', fold(email)).limit(2).execute());
}

async function single(db: Db, rows: UserRow[]): Promise<StoredUser | null> {
  return rows.length === 1 ? ((await withRoles(db, rows))[0] ?? null) : null;
}

/** True when the user exists. */
export async function userExists(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/**
 * Inserts the user, its identity and its existing roles; resolves the new id. Run it in a
 * transaction: it rejects `ERR_JIT_SSO_IDENTITY_CONFLICT` after the user row is written.
 */
export async function insertUser({ db, codec }: QueryContext, input: NewUser): Promise<string> {
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
  await db
    .insertInto('users')
    .values({ id, ...userColumns(values, codec), created_at: at, updated_at: at, last_login_at: at })
    .execute();
  await insertIdentity(db, id, input.identity);
  await addRoles(db, id, input.roles);
  return id;
}

/** Links an identity; rejects `ERR_JIT_SSO_IDENTITY_CONFLICT` when it is linked already. */
export async function insertIdentity(db: Db, userId: string, link: NewUser['identity']): Promise<void> {
  try {
    await db
      .insertInto('identities')
      .values({ provider: link.provider, subject: link.subject, user_id: userId, issuer: link.issuer ?? null })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw identityConflict(link, err);
    throw err;
  }
}

/** Applies the patch to the user row (read for update on PostgreSQL); `null` when there is no such user. */
export async function patchUser({ db, codec, dialect }: QueryContext, id: string, patch: UserPatch): Promise<StoredUser | null> {
  let read = db.selectFrom('users').selectAll().where('id', '=', id);
  // Two logins of one person patch the same row; the lock keeps one from losing the other's custom fields.
  if (dialect === 'postgres') read = read.forUpdate();
  const row = await read.executeTakeFirst();
  if (!row) return null;
  const values = valuesOf(row);
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
  const updated = await db
    .updateTable('users')
    .set({
      ...userColumns(values, codec),
      updated_at: codec.date(new Date()),
      ...(patch.lastLoginAt !== undefined ? { last_login_at: codec.date(new Date(patch.lastLoginAt)) } : {}),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return (await withRoles(db, [updated]))[0] ?? null;
}

/** Assigns the roles of `add` that exist; an assignment already there is left as it is. */
export async function addRoles(db: Db, userId: string, add: readonly RoleAssignment[]): Promise<void> {
  if (add.length === 0) return;
  const ids = new Map<string, number>();
  for (const names of chunks([...new Set(add.map((r) => r.role))])) {
    const rows = await db.selectFrom('roles').select(['id', 'name']).where('name', 'in', names).execute();
    for (const row of rows) ids.set(row.name, row.id);
  }
  const values = new Map<string, { user_id: string; role_id: number; source: string; provider: string }>();
  for (const r of add) {
    const roleId = ids.get(r.role);
    if (roleId === undefined) continue;
    const provider = r.provider ?? '';
    values.set(JSON.stringify([roleId, r.source, provider]), { user_id: userId, role_id: roleId, source: r.source, provider });
  }
  if (values.size === 0) return;
  await db.insertInto('user_roles').values([...values.values()]).onConflict((oc) => oc.doNothing()).execute();
}

/** Removes the assignments of `remove` (role + source + provider); resolves how many there were. */
export async function removeRoles(db: Db, userId: string, remove: readonly RoleAssignment[]): Promise<number> {
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

/** Which of `names` exist, each once: exact names in the order asked, or (ignoring case) in the store's spelling. */
export async function existingRoles(db: Db, names: readonly string[], caseInsensitive: boolean): Promise<string[]> {
  const wanted = [...new Set(caseInsensitive ? names.map((n) => n.toLowerCase()) : names)];
  const found: { name: string; id: number }[] = [];
  for (const part of chunks(wanted)) {
    const column = caseInsensitive ? 'name_key' : 'name';
    found.push(...(await db.selectFrom('roles').select(['name', 'id']).where(column, 'in', part).execute()));
  }
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
export async function insertAudit({ db, codec }: QueryContext, event: AuditEvent): Promise<void> {
  await db.insertInto('audit_events').values(auditColumns(event, codec)).execute();
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
