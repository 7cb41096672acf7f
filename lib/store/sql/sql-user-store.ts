/**
 * `SqlUserStore`: the built-in {@link UserStore} over SQLite (one process) or PostgreSQL (several
 * app instances), through Kysely.
 * @module
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { JitSsoError, isJitSsoError } from '../../errors.js';
import { canonicalKey } from '../../internal/canonical.js';
import { checkRoleName } from '../../internal/options.js';
import type { ListUsersQuery, UserAdmin } from '../user-admin.js';
import { USER_STATUSES, type AuditEvent, type AuditQuery, type IdentityLink, type NewUser, type RoleChange } from '../user-store.js';
import type { StoredUser, UserPatch, UserStatus, UserStore } from '../user-store.js';
import { openDatabase } from './connect.js';
import { runMigrations } from './migrations.js';
import { parseConnection, resolveSqlOptions, type SqlConnection, type SqlUserStoreOptions } from './options.js';
import * as q from './queries.js';
import { codecFor, isForeignKeyViolation, userNotFound, type Codec } from './rows.js';
import { TablePrefixPlugin, type Database, type SqlDialect } from './schema.js';

/** One open transaction; `open` turns false when its `fn` settles. */
interface Scope {
  trx: Transaction<Database>;
  open: boolean;
  savepoints: number;
}

/** What every store bound to one database shares. */
interface Core {
  /** With the prefix plugin: every query of the store. */
  db: Kysely<Database>;
  /** Without it: the migrator names its own tables. */
  kysely: Kysely<Database>;
  dialect: SqlDialect;
  prefix: string;
  codec: Codec;
  close(): Promise<void>;
}

/**
 * The built-in SQL {@link UserStore}, plus the admin API of {@link UserAdmin}. Passes
 * `runUserStoreConformance` on SQLite and PostgreSQL.
 *
 * - `createUser` writes the user, its identity and its roles in one transaction; the identity's
 *   primary key (provider, subject) makes concurrent first logins of one person end as one user.
 * - A login reads through indexes only (identity key, user id, the user's roles), so it costs the
 *   same with a hundred users or a million.
 * - Errors of the database (lost connection, pool timeout) reach jit-sso as they are, and it answers
 *   503 (`ERR_JIT_SSO_STORE_UNAVAILABLE`); nothing of a login whose transaction failed is kept.
 *
 * @example
 * import { SqlUserStore } from 'jit-sso/sql';
 * const store = await SqlUserStore.open({ dialect: 'sqlite', filename: 'users.sqlite' });
 * await store.createRole('Admin');
 * app.use(jitSso({ store, providers: [ … ] }));
 * process.on('SIGTERM', () => store.close());
 * @example
 * // PostgreSQL, migrations run as a deploy step
 * const store = await SqlUserStore.open({ dialect: 'postgres', connectionString: process.env.DATABASE_URL! }, { migrate: false });
 */
export class SqlUserStore implements UserStore, UserAdmin {
  readonly #core: Core;
  readonly #scope: Scope | undefined;

  private constructor(core: Core, scope?: Scope) {
    this.#core = core;
    this.#scope = scope;
  }

  /**
   * Opens the database, loading `better-sqlite3` or `pg` (only the one the connection needs), and
   * runs pending migrations unless `migrate: false`. SQLite files get WAL, `foreign_keys = ON`, a
   * 5 s `busy_timeout`, durable commits (`synchronous = FULL` unless the connection says `'normal'`) and
   * a cache of prepared statements.
   *
   * Rejects `ERR_JIT_SSO_INVALID_OPTIONS` for a wrong option, a missing driver (naming the package to
   * install) or a SQLite file that cannot be opened; `ERR_JIT_SSO_STORE_UNAVAILABLE` when a
   * migration fails or the database cannot be reached.
   * @example
   * const store = await SqlUserStore.open({ dialect: 'sqlite', filename: ':memory:' }, { tablePrefix: 'sso_' });
   */
  static async open(connection: SqlConnection, options: SqlUserStoreOptions = {}): Promise<SqlUserStore> {
    const checked = parseConnection(connection);
    const { tablePrefix, migrate, logger } = resolveSqlOptions(options);
    const opened = await openDatabase(checked, logger);
    const store = new SqlUserStore({
      db: opened.kysely.withPlugin(new TablePrefixPlugin(tablePrefix)),
      kysely: opened.kysely,
      dialect: opened.dialect,
      prefix: tablePrefix,
      codec: codecFor(opened.dialect),
      close: opened.close,
    });
    try {
      if (migrate) await store.migrate();
    } catch (err) {
      await opened.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** The SQL dialect in use. */
  get dialect(): SqlDialect {
    return this.#core.dialect;
  }

  /** The prefix of every table and index. @default 'jit_sso_' */
  get tablePrefix(): string {
    return this.#core.prefix;
  }

  /**
   * Runs the pending migrations (versioned, each once) and resolves their names; `[]` when the schema
   * is up to date. For apps that open with `migrate: false` and migrate in a deploy step.
   * @example
   * const store = await SqlUserStore.open(connection, { migrate: false });
   * await store.migrate(); // ['0001_initial'] the first time, [] after
   */
  async migrate(): Promise<string[]> {
    const { kysely, dialect, prefix } = this.#core;
    return runMigrations({ kysely: kysely as Kysely<unknown>, dialect, prefix });
  }

  /** Closes the database, or ends the pool the store opened (a pool passed in stays open). */
  async close(): Promise<void> {
    await this.#core.close();
  }

  /** The user linked to `provider` + `subject`, with its roles; `null` when none. */
  async findUserByIdentity(link: Pick<IdentityLink, 'provider' | 'subject'>): Promise<StoredUser | null> {
    return q.findByIdentity(this.#ctx(this.#db()), link.provider, link.subject);
  }

  /** The user with this id, with its roles; `null` when none (ids of any shape are just unknown). */
  async findUserById(id: string): Promise<StoredUser | null> {
    return typeof id === 'string' ? q.findById(this.#ctx(this.#db()), id) : null;
  }

  /** The one user with this username (and domain, when given), ignoring case; `null` when none or several. */
  async findUserByUsername(username: string, domain?: string): Promise<StoredUser | null> {
    return q.findByUsername(this.#ctx(this.#db()), username, domain);
  }

  /** The one user with this email, ignoring case; `null` when none or several. */
  async findUserByEmail(email: string): Promise<StoredUser | null> {
    return q.findByEmail(this.#ctx(this.#db()), email);
  }

  /** Creates the user, its identity link and its existing roles in one transaction, or rejects `ERR_JIT_SSO_IDENTITY_CONFLICT` leaving nothing. */
  async createUser(user: NewUser): Promise<StoredUser> {
    return this.#atomic(async (ctx) => {
      const id = await q.insertUser(ctx, user);
      return (await q.findById(ctx, id)) as StoredUser;
    });
  }

  /** Applies the patch (`null` clears; `fields` merge per key); `null` when the user does not exist. */
  async updateUser(id: string, patch: UserPatch): Promise<StoredUser | null> {
    const scope = this.#activeScope();
    // patchUser writes with one UPDATE (after a read, for a profile change): nothing half-done to undo.
    // On SQLite a failed statement undoes itself and leaves the transaction usable, which is all a
    // savepoint would add. On PostgreSQL a failed statement aborts the whole transaction, so the
    // savepoint stays for a caller that catches the error and goes on. Alone, the read and the write
    // still need a transaction of their own.
    if (scope && this.#core.dialect === 'sqlite') return q.patchUser(this.#ctx(scope.trx), id, patch);
    return this.#atomic((ctx) => q.patchUser(ctx, id, patch));
  }

  /** Links another identity; rejects `ERR_JIT_SSO_USER_NOT_FOUND` or `ERR_JIT_SSO_IDENTITY_CONFLICT`. */
  async linkIdentity(userId: string, link: IdentityLink): Promise<void> {
    return this.#forUser(userId, (ctx) => q.insertIdentity(ctx, userId, link));
  }

  /** The identity links of the user; `[]` when none or no such user. */
  async listIdentities(userId: string): Promise<IdentityLink[]> {
    return typeof userId === 'string' ? q.identitiesOf(this.#ctx(this.#db()), userId) : [];
  }

  /** Which of `names` exist as roles, each once, in the store's spelling; `caseInsensitive` ignores case. */
  async existingRoles(names: readonly string[], options: { caseInsensitive?: boolean } = {}): Promise<string[]> {
    return q.existingRoles(this.#ctx(this.#db()), names, options.caseInsensitive === true);
  }

  /** Removes, then adds, assignments (role + source + provider) in one transaction; unknown roles are not assigned. */
  async changeRoles(userId: string, change: RoleChange): Promise<void> {
    return this.#forUser(userId, async (ctx) => {
      await q.removeRoles(ctx, userId, change.remove);
      await q.addRoles(ctx, userId, change.add);
    });
  }

  /** Appends one audit event. */
  async appendAudit(event: AuditEvent): Promise<void> {
    await q.insertAudit(this.#ctx(this.#db()), event);
  }

  /** Audit events newest first, filtered by `userId` and `subType`, paged; `limit` @default 100. */
  async listAuditEvents(query: AuditQuery = {}): Promise<AuditEvent[]> {
    return q.listAudit(this.#db(), query);
  }

  /**
   * Runs `fn` with the store bound to one database transaction: committed when `fn` resolves, rolled
   * back when it rejects (with `fn`'s error). Calls on this store (rather than the one `fn` is given)
   * are not part of the transaction: on SQLite they wait for it to end. A `transaction()` on the
   * store `fn` is given is a savepoint.
   * @example
   * await store.transaction(async (tx) => { const user = await tx.createUser(input); await tx.appendAudit(event); });
   */
  async transaction<T>(fn: (store: UserStore) => Promise<T>): Promise<T> {
    const scope = this.#activeScope();
    if (scope) return inSavepoint(scope, () => fn(this));
    return this.#core.db.transaction().execute(async (trx) => {
      const bound: Scope = { trx, open: true, savepoints: 0 };
      try {
        return await fn(new SqlUserStore(this.#core, bound));
      } finally {
        bound.open = false;
      }
    });
  }

  /** Makes a role exist; creating one that exists changes nothing. Rejects `ERR_JIT_SSO_INVALID_OPTIONS` for an empty name. */
  async createRole(name: string): Promise<void> {
    checkRoleName(name, 'name');
    await this.#db()
      .insertInto('roles')
      .values({ name, name_key: canonicalKey(name) })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Every role, in creation order. */
  async listRoles(): Promise<string[]> {
    return Array.from(await this.#db().selectFrom('roles').select('name').orderBy('id').execute(), (r) => r.name);
  }

  /**
   * Users in creation order (oldest first), paged; `search` looks, ignoring case, in username,
   * domain, email and names. `limit` @default 100.
   * @example
   * await store.listUsers({ search: 'contoso', limit: 20, offset: 40 });
   */
  async listUsers(query: ListUsersQuery = {}): Promise<StoredUser[]> {
    return q.listUsers(this.#db(), query);
  }

  /** How many users there are, or how many `search` finds (as in {@link listUsers}). */
  async countUsers(query: Pick<ListUsersQuery, 'search'> = {}): Promise<number> {
    return q.countUsers(this.#db(), query.search);
  }

  /** Grants a `manual` assignment (a sync never removes it); `false` when the role does not exist. Rejects `ERR_JIT_SSO_USER_NOT_FOUND`. */
  async grantRole(userId: string, role: string): Promise<boolean> {
    return this.#forUser(userId, async (ctx) => {
      if ((await q.existingRoles(ctx, [role], false)).length === 0) return false;
      await q.addRoles(ctx, userId, [{ role, source: 'manual' }]);
      return true;
    });
  }

  /** Revokes the `manual` assignment only (IdP and default ones stay); `true` when one was removed. */
  async revokeRole(userId: string, role: string): Promise<boolean> {
    return this.#forUser(userId, async (ctx) => (await q.removeRoles(ctx, userId, [{ role, source: 'manual' }])) > 0);
  }

  /** Activates a pending user, or disables one; rejects `ERR_JIT_SSO_USER_NOT_FOUND` for an unknown user. */
  async setStatus(userId: string, status: UserStatus): Promise<StoredUser> {
    if (!(USER_STATUSES as readonly string[]).includes(status)) {
      throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path: 'status', allowed: USER_STATUSES } });
    }
    const user = await this.updateUser(userId, { status });
    if (!user) throw userNotFound(userId);
    return user;
  }

  /** The open transaction this store is bound to, if any. */
  #activeScope(): Scope | undefined {
    return this.#scope?.open ? this.#scope : undefined;
  }

  #db(): Kysely<Database> {
    return this.#activeScope()?.trx ?? this.#core.db;
  }

  #ctx(db: Kysely<Database>): q.QueryContext {
    const { codec, dialect } = this.#core;
    return { db, codec, dialect };
  }

  /** Runs `fn` all or nothing: in a new transaction, or in a savepoint of the open one. */
  async #atomic<T>(fn: (ctx: q.QueryContext) => Promise<T>): Promise<T> {
    const scope = this.#activeScope();
    if (scope) return inSavepoint(scope, () => fn(this.#ctx(scope.trx)));
    return this.#core.db.transaction().execute((trx) => fn(this.#ctx(trx)));
  }

  /** {@link #atomic} for a write to one user: `ERR_JIT_SSO_USER_NOT_FOUND` when it does not exist (or vanished meanwhile). */
  async #forUser<T>(userId: string, fn: (ctx: q.QueryContext) => Promise<T>): Promise<T> {
    try {
      return await this.#atomic(async (ctx) => {
        if (!(await q.userExists(ctx, userId))) throw userNotFound(userId);
        return fn(ctx);
      });
    } catch (err) {
      if (!isJitSsoError(err) && isForeignKeyViolation(err)) throw userNotFound(userId, err);
      throw err;
    }
  }
}

/** Runs `fn` in a savepoint of `scope`: undone alone when it rejects, kept with the transaction otherwise. */
async function inSavepoint<T>(scope: Scope, fn: () => Promise<T>): Promise<T> {
  const name = sql.id(`jit_sso_sp_${++scope.savepoints}`);
  await sql`savepoint ${name}`.execute(scope.trx);
  try {
    const result = await fn();
    await sql`release savepoint ${name}`.execute(scope.trx);
    return result;
  } catch (err) {
    // When even this fails (the connection is gone) the whole transaction fails with it; keep fn's error.
    await sql`rollback to savepoint ${name}`.execute(scope.trx).catch(() => undefined);
    throw err;
  }
}
