/**
 * The versioned schema of `SqlUserStore`: Kysely migrations kept in code (no migration folder to
 * ship), run by Kysely's `Migrator` with prefixed migration tables.
 * @module
 */
import { Migrator, sql, type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { JitSsoError } from '../../errors.js';
import { canonicalKey } from '../../internal/canonical.js';
import { TablePrefixPlugin, type SqlDialect } from './schema.js';

/** Where and how to migrate. */
export interface MigrationTarget {
  /** The Kysely instance without the prefix plugin. */
  kysely: Kysely<unknown>;
  dialect: SqlDialect;
  prefix: string;
}

/**
 * The migrations, by name; Kysely runs them in name order. Released migrations never change: a
 * schema change is a new entry. Every statement of `0001` is `if not exists`, because SQLite runs
 * migrations outside Kysely's transaction and a half-run one must complete when run again.
 */
function migrations(dialect: SqlDialect, prefix: string): Record<string, Migration> {
  return {
    '0001_initial': {
      up: (db) => (dialect === 'sqlite' ? db.transaction().execute((trx) => createInitial(trx, dialect, prefix)) : createInitial(db, dialect, prefix)),
      down: async (db) => {
        const prefixed = db.withPlugin(new TablePrefixPlugin(prefix));
        for (const table of ['audit_events', 'user_roles', 'identities', 'roles', 'users'])
          await prefixed.schema.dropTable(table).ifExists().execute();
      },
    },
    // The lookup keys were NFC + toLowerCase, which folds the Kelvin sign onto `k` and not `ß` onto
    // `ss`: every key is computed again in the canonical form (NFKC + full case folding).
    '0002_canonical_keys': {
      up: (db) => (dialect === 'sqlite' ? db.transaction().execute((trx) => recomputeKeys(trx, prefix)) : recomputeKeys(db, prefix)),
      // The old keys cannot be told from the new ones by a query; going down leaves the new ones.
      down: async () => {},
    },
  };
}

const KEY_BATCH = 500;

/** Recomputes `username_key`, `domain_key`, `email_key`, `search_text` and the roles' `name_key` with {@link canonicalKey}, writing only rows that change. */
async function recomputeKeys(db: Kysely<any>, prefix: string): Promise<void> {
  const prefixed = db.withPlugin(new TablePrefixPlugin(prefix));
  for (let after: number | string = -1; ; ) {
    const rows = await prefixed
      .selectFrom('users')
      .select(['seq', 'id', 'username', 'domain', 'email', 'display_name', 'first_name', 'last_name', 'username_key', 'domain_key', 'email_key', 'search_text'])
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(KEY_BATCH)
      .execute();
    for (const row of rows) {
      const text = [row.username, row.domain, row.email, row.display_name, row.first_name, row.last_name].map((v) => v ?? '').join('\n');
      const keys = {
        username_key: canonicalKey(row.username),
        domain_key: canonicalKey(row.domain ?? undefined),
        email_key: row.email === null ? null : canonicalKey(row.email),
        search_text: canonicalKey(text),
      };
      const stored = row as Record<string, unknown>;
      const changed = Object.fromEntries(Object.entries(keys).filter(([column, value]) => stored[column] !== value));
      if (Object.keys(changed).length > 0) await prefixed.updateTable('users').set(changed).where('id', '=', row.id).execute();
    }
    if (rows.length < KEY_BATCH) break;
    after = rows[rows.length - 1]!.seq as number | string;
  }
  const roles = await prefixed.selectFrom('roles').select(['id', 'name', 'name_key']).execute();
  for (const role of roles) {
    const key = canonicalKey(role.name);
    if (role.name_key !== key) await prefixed.updateTable('roles').set({ name_key: key }).where('id', '=', role.id).execute();
  }
}

async function createInitial(db: Kysely<any>, dialect: SqlDialect, prefix: string): Promise<void> {
  const schema = db.withPlugin(new TablePrefixPlugin(prefix)).schema;
  const pg = dialect === 'postgres';
  const date = pg ? 'timestamptz' : 'text';
  const bool = pg ? 'boolean' : 'integer';
  // SQLite's `integer primary key` is the rowid: it counts up by itself.
  const counter = (c: ColumnDefinitionBuilder) => (pg ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey());

  await schema
    .createTable('users')
    .ifNotExists()
    .addColumn('seq', pg ? 'bigint' : 'integer', counter)
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('username_key', 'text', (c) => c.notNull())
    .addColumn('domain', 'text')
    .addColumn('domain_key', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('email', 'text')
    .addColumn('email_key', 'text')
    .addColumn('email_verified', bool)
    .addColumn('display_name', 'text')
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('fields', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('search_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('user_type', 'text', (c) => c.notNull())
    .addColumn('created_at', date, (c) => c.notNull())
    .addColumn('updated_at', date, (c) => c.notNull())
    .addColumn('last_login_at', date)
    .addUniqueConstraint(`${prefix}users_id_key`, ['id'])
    .execute();

  await schema
    .createTable('identities')
    .ifNotExists()
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('issuer', 'text')
    .addPrimaryKeyConstraint(`${prefix}identities_pk`, ['provider', 'subject'])
    .execute();

  await schema
    .createTable('roles')
    .ifNotExists()
    .addColumn('id', 'integer', counter)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addUniqueConstraint(`${prefix}roles_name_key`, ['name'])
    .execute();

  await schema
    .createTable('user_roles')
    .ifNotExists()
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull().defaultTo(''))
    // Leads with user_id: it is also the index that reads a user's roles.
    .addPrimaryKeyConstraint(`${prefix}user_roles_pk`, ['user_id', 'role_id', 'source', 'provider'])
    .execute();

  await schema
    .createTable('audit_events')
    .ifNotExists()
    .addColumn('id', pg ? 'bigint' : 'integer', counter)
    .addColumn('at', date, (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('sub_type', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('code', 'text')
    .addColumn('reason', 'text')
    .addColumn('changes', 'text')
    .addColumn('ip', 'text')
    .addColumn('request_id', 'text')
    .execute();

  const indexes: [name: string, table: string, columns: string[]][] = [
    ['users_username_idx', 'users', ['username_key', 'domain_key']],
    ['users_email_idx', 'users', ['email_key']],
    ['identities_user_idx', 'identities', ['user_id']],
    ['roles_name_fold_idx', 'roles', ['name_key']],
    ['user_roles_role_idx', 'user_roles', ['role_id']],
    ['audit_user_idx', 'audit_events', ['user_id', 'at', 'id']],
    ['audit_sub_type_idx', 'audit_events', ['sub_type', 'at', 'id']],
    ['audit_at_idx', 'audit_events', ['at', 'id']],
  ];
  for (const [name, table, columns] of indexes)
    await schema.createIndex(`${prefix}${name}`).ifNotExists().on(table).columns(columns).execute();
}

/** Kysely's migrator for this prefix; on PostgreSQL its tables live in the current schema. */
async function migrator({ kysely, dialect, prefix }: MigrationTarget): Promise<Migrator> {
  // Without a schema Kysely's migrator looks for its table in every schema of the database, and would
  // take another schema's table of the same name for its own.
  const schema =
    dialect === 'postgres'
      ? ((await sql<{ schema: string | null }>`select current_schema() as schema`.execute(kysely)).rows[0]?.schema ?? undefined)
      : undefined;
  return new Migrator({
    db: kysely,
    provider: { getMigrations: async () => migrations(dialect, prefix) },
    migrationTableName: `${prefix}migrations`,
    migrationLockTableName: `${prefix}migrations_lock`,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/**
 * Runs the pending migrations and resolves their names (`[]` when the schema is up to date).
 * Rejects `ERR_JIT_SSO_STORE_UNAVAILABLE` naming the migration that failed.
 */
export async function runMigrations(target: MigrationTarget): Promise<string[]> {
  let outcome: MigrationResultSet;
  try {
    outcome = await (await migrator(target)).migrateToLatest();
  } catch (err) {
    outcome = { error: err };
  }
  const { error, results = [] } = outcome;
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new JitSsoError('ERR_JIT_SSO_STORE_UNAVAILABLE', {
      message: `jit-sso/sql: database migration ${failed ?? '(setup)'} failed`,
      details: { migration: failed, prefix: target.prefix },
      cause: error,
    });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
