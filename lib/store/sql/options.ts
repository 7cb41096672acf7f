/**
 * What `SqlUserStore.open()` takes: where the database is, and how the store uses it.
 * @module
 */
import type { PostgresPool } from 'kysely';
import { z } from 'zod';
import { consoleLogger, type Logger } from '../../internal/logger.js';
import { parseOptions } from '../../internal/options.js';

/**
 * A SQLite database file, or `':memory:'` (gone when the store closes). One process only: several
 * app instances need PostgreSQL.
 * @example
 * { dialect: 'sqlite', filename: './data/users.sqlite' }
 */
export interface SqliteConnection {
  dialect: 'sqlite';
  /** A path, or `':memory:'`. The directory must exist. */
  filename: string;
  /**
   * Open an existing file read-only (reporting tools, `jit-sso explain`): writes reject. Pair it
   * with `migrate: false`. The file must exist.
   * @default false
   */
  readonly?: boolean;
  /**
   * How a commit waits for the disk. `'full'`: a login is answered only once its user changes and its
   * audit event are on disk, so a power cut or an OS crash loses no answered login. `'normal'` is
   * **weaker**: the database stays consistent, but the commits since the last WAL checkpoint can be
   * lost on a power cut or an OS crash (not on a crash of the app); each commit then skips a disk
   * flush (≈ 0.1 ms here, `bench/RESULTS.md`). Set explicitly, since better-sqlite3's build would
   * otherwise give WAL databases `'normal'`.
   * @default 'full'
   */
  synchronous?: 'full' | 'normal';
}

/**
 * A PostgreSQL database the store opens its own `pg.Pool` for (ended on `close()`; a login waits at
 * most 10 s for a connection, then fails with 503). Pass a `pool` to size and tune it yourself.
 * @example
 * { dialect: 'postgres', connectionString: process.env.DATABASE_URL }
 */
export interface PostgresUrlConnection {
  dialect: 'postgres';
  /** `postgres://user:password@host:5432/database`; every `pg` connection-string option works. */
  connectionString: string;
}

/**
 * A PostgreSQL pool the app owns: a `pg.Pool` (any object with `connect()` and `end()`).
 * `close()` leaves it open; give it an `'error'` listener, as `pg` asks of every pool.
 * @example
 * const pool = new pg.Pool({ connectionString, max: 20 });
 * pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection lost'));
 * await SqlUserStore.open({ dialect: 'postgres', pool });
 */
export interface PostgresPoolConnection {
  dialect: 'postgres';
  pool: PostgresPool;
}

/**
 * Where the users live.
 * @example
 * const connection: SqlConnection = { dialect: 'sqlite', filename: 'users.sqlite' };
 */
export type SqlConnection = SqliteConnection | PostgresUrlConnection | PostgresPoolConnection;

/**
 * Options of `SqlUserStore.open()`.
 * @example
 * await SqlUserStore.open(connection, { tablePrefix: 'sso_', migrate: false, logger: pino() });
 */
export interface SqlUserStoreOptions {
  /**
   * Put in front of every table, index and the migration tables, so the store can share a database
   * (or schema) with the app and with other stores. Letters, digits and `_`, not starting with a digit; at most 30 characters (PostgreSQL names stop at 63).
   * @default 'jit_sso_'
   */
  tablePrefix?: string;
  /**
   * Run pending migrations in `open()`. Turn off when migrations run as a deploy step: then call
   * `store.migrate()` there (it is safe to run from several instances at once on PostgreSQL).
   * @default true
   */
  migrate?: boolean;
  /** A pino-compatible logger, for lost connections and pending migrations. @default warnings to the console */
  logger?: Logger;
}

/** {@link SqlUserStoreOptions} with the defaults applied. */
export interface ResolvedSqlUserStoreOptions {
  tablePrefix: string;
  migrate: boolean;
  logger: Logger;
}

/** The pattern a `tablePrefix` must match: it is written into SQL as part of identifiers. */
export const TABLE_PREFIX_PATTERN = /^[a-z_][a-z0-9_]*$/i;

const text = z.string().min(1, 'must be a non-empty string');
const connectionSchema = z.discriminatedUnion('dialect', [
  z.object({ dialect: z.literal('sqlite'), filename: text, readonly: z.boolean().optional(), synchronous: z.enum(['full', 'normal']).optional() }).strict(),
  z
    .object({
      dialect: z.literal('postgres'),
      connectionString: text.optional(),
      pool: z
        .custom<PostgresPool>(
          (v) => typeof v === 'object' && v !== null && ['connect', 'end'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
          'must be a pg.Pool',
        )
        .optional(),
    })
    .strict()
    .refine((c) => (c.connectionString === undefined) !== (c.pool === undefined), {
      message: 'give either connectionString or pool',
      path: ['connectionString'],
    }),
]);

const optionsSchema = z
  .object({
    tablePrefix: z.string().regex(TABLE_PREFIX_PATTERN, 'must match /^[a-z_][a-z0-9_]*$/i').max(30).optional(),
    migrate: z.boolean().optional(),
    logger: z
      .custom<Logger>(
        (v) => typeof v === 'object' && v !== null && ['warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
        'must be a pino-compatible logger',
      )
      .optional(),
  })
  .strict();

/** Checks the connection; rejects `ERR_JIT_SSO_INVALID_OPTIONS` naming the wrong option (`connection.filename`). */
export function parseConnection(input: unknown): SqlConnection {
  return parseOptions(connectionSchema, input, 'connection') as SqlConnection;
}

/** Checks the options and applies the defaults; rejects `ERR_JIT_SSO_INVALID_OPTIONS` naming the wrong option. */
export function resolveSqlOptions(input: SqlUserStoreOptions | undefined): ResolvedSqlUserStoreOptions {
  const options = parseOptions(optionsSchema, input ?? {}, 'options');
  return {
    tablePrefix: options.tablePrefix ?? 'jit_sso_',
    migrate: options.migrate ?? true,
    logger: options.logger ?? consoleLogger,
  };
}
