/**
 * Opens the database behind `SqlUserStore`: loads the driver the app chose (and only that one),
 * sets SQLite up for a web server, and guards `pg` pool clients against lost connections.
 * @module
 */
import { Kysely, PostgresDialect, SqliteDialect, type PostgresPool, type PostgresPoolClient, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { LRUCache } from 'lru-cache';
import { JitSsoError } from '../../errors.js';
import type { Logger } from '../../internal/logger.js';
import { describeError } from '../../provisioning/audit.js';
import type { SqlConnection } from './options.js';
import type { Database, SqlDialect } from './schema.js';

/** How long a SQLite write waits for another connection's lock before failing, in ms. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
/** How long the pool the store opens waits for a PostgreSQL connection, in ms. */
const PG_CONNECT_TIMEOUT_MS = 10_000;

/** An open database: the Kysely instance (without the prefix plugin) and how to let go of it. */
export interface OpenDatabase {
  kysely: Kysely<Database>;
  dialect: SqlDialect;
  /** Closes the database or ends the pool the store opened; idempotent. */
  close(): Promise<void>;
}

/**
 * Imports an optional driver. A driver that is missing (or fails to load) rejects with
 * `ERR_JIT_SSO_INVALID_OPTIONS` naming the package to install, at start-up.
 * @example
 * const Database = await loadDriver('better-sqlite3', () => import('better-sqlite3'));
 */
export async function loadDriver<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(String(err));
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: missing
        ? `jit-sso/sql needs the "${name}" package for this dialect: npm install ${name}`
        : `jit-sso/sql could not load the "${name}" package: ${describeError(err)}`,
      details: { path: 'connection.dialect', package: name },
      cause: err,
    });
  }
}

/** Opens `connection`; rejects `ERR_JIT_SSO_INVALID_OPTIONS` when the driver is missing or the SQLite file cannot be opened. */
export async function openDatabase(connection: SqlConnection, logger: Logger): Promise<OpenDatabase> {
  return connection.dialect === 'sqlite' ? openSqlite(connection.filename, connection.readonly === true, connection.synchronous ?? 'full') : openPostgres(connection, logger);
}

interface SqliteHandle extends SqliteDatabase {
  prepare(sql: string): SqliteStatement & { readonly busy: boolean };
  open: boolean;
  pragma(source: string): unknown;
}
type SqliteConstructor = new (filename: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => SqliteHandle;

async function openSqlite(filename: string, readonly: boolean, synchronous: 'full' | 'normal'): Promise<OpenDatabase> {
  const mod = await loadDriver('better-sqlite3', () => import('better-sqlite3'));
  const Database = ((mod as { default?: unknown }).default ?? mod) as SqliteConstructor;
  let handle: SqliteHandle | undefined;
  try {
    handle = new Database(filename, readonly ? { readonly: true, fileMustExist: true } : {});
    handle.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    handle.pragma('foreign_keys = ON');
    // SQLite's own page cache stays at its default (2 MiB): at a million users a login makes ≈ 13 file reads
    // instead of ≈ 9 with 16 MiB, which the OS page cache answers (bench/RESULTS.md,
    // "Scale"), and a bigger cache would grow every process by what it holds.
    // WAL lets readers go on while a login writes; a memory database has no journal file to switch,
    // and a read-only connection cannot switch it.
    if (filename !== ':memory:' && !readonly) handle.pragma('journal_mode = WAL');
    // Explicit: better-sqlite3 is built to give a database in WAL mode `synchronous = NORMAL`, under
    // which the commits since the last checkpoint do not survive a power cut.
    handle.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  } catch (err) {
    if (handle?.open) handle.close();
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: `jit-sso/sql cannot open the SQLite database: ${describeError(err)}`,
      details: { path: 'connection.filename' },
      cause: err,
    });
  }
  const sqlite = handle;
  // Kysely's SQLite driver prepares every query anew, and preparing costs about what running a login's
  // small indexed statements does: statements are kept by their text (a login sends about a dozen).
  const statements = new LRUCache<string, SqliteStatement & { readonly busy: boolean }>({ max: 200 });
  const database: SqliteDatabase = {
    prepare(text) {
      const cached = statements.get(text);
      // One still being iterated (a stream) is not handed out again.
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(text);
      statements.set(text, statement);
      return statement;
    },
    close: () => sqlite.close(),
  };
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return {
    kysely,
    dialect: 'sqlite',
    close: async () => {
      // Kysely closes the handle only once it has run a query; close it ourselves otherwise.
      await kysely.destroy();
      if (sqlite.open) sqlite.close();
    },
  };
}

type PoolConstructor = new (config: { connectionString: string; connectionTimeoutMillis: number }) => PostgresPool & EventSource;
interface EventSource {
  on(event: 'error', listener: (err: unknown) => void): unknown;
}

async function openPostgres(
  connection: Exclude<SqlConnection, { dialect: 'sqlite' }>,
  logger: Logger,
): Promise<OpenDatabase> {
  let pool: PostgresPool;
  let owned = false;
  if ('pool' in connection) {
    pool = connection.pool;
  } else {
    const mod = (await loadDriver('pg', () => import('pg'))) as { Pool?: PoolConstructor; default?: { Pool?: PoolConstructor } };
    const Pool = (mod.Pool ?? mod.default?.Pool) as PoolConstructor;
    // A login waits at most this long for a connection, then answers 503 instead of hanging.
    const own = new Pool({ connectionString: connection.connectionString, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS });
    // Idle clients that die make the pool emit 'error', which crashes the process when nobody listens.
    own.on('error', () => undefined);
    pool = own;
    owned = true;
  }
  const guarded = guardPool(pool, owned, logger);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guarded.pool }) });
  return {
    kysely,
    dialect: 'postgres',
    close: async () => {
      await kysely.destroy();
      await guarded.end();
    },
  };
}

/**
 * Wraps a pool so that every client it hands out has an `'error'` listener: `pg` emits `'error'`
 * on a checked-out client whose server connection drops between queries, and an unheard `'error'`
 * kills the process. The failed query still rejects (jit-sso answers 503); the dead client is not
 * queryable any more, so the pool discards it on release and the next login gets a fresh one.
 * `end()` ends only a pool the store opened.
 */
function guardPool(pool: PostgresPool, owned: boolean, logger: Logger): { pool: PostgresPool; end(): Promise<void> } {
  const watched = new WeakSet<object>();
  let ended = false;
  const end = async () => {
    if (!owned || ended) return;
    ended = true;
    await pool.end();
  };
  const onError = (err: unknown) =>
    logger.warn({ err: describeError(err) }, 'jit-sso/sql: a PostgreSQL connection was lost; the pool replaces it');
  return {
    end,
    pool: {
      async connect(): Promise<PostgresPoolClient> {
        const client = await pool.connect();
        const source = client as PostgresPoolClient & Partial<EventSource>;
        if (!watched.has(client) && typeof source.on === 'function') {
          watched.add(client);
          source.on('error', onError);
        }
        return client;
      },
      end,
    },
  };
}
