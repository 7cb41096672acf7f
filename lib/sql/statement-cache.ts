/**
 * A prepared-statement cache for SQLite: Kysely's SQLite driver calls `prepare(sql)` for every query,
 * and preparing costs more than running the small indexed statements of a login.
 * @module
 */

import { TtlLru } from '../internal/ttl-lru.js';

/**
 * How many statements one SQLite connection keeps prepared. The store sends a few dozen different
 * ones, plus one per length of the role-name lists it looks up.
 */
export const STATEMENT_CACHE_SIZE = 200;

/** The part of a better-sqlite3 `Statement` that Kysely's SQLite driver uses, plus `busy`. */
export interface SqliteStatement {
  readonly reader: boolean;
  /** True while an `iterate()` over it is still open. */
  readonly busy: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
}

/** The part of a better-sqlite3 `Database` that Kysely's SQLite dialect uses. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  close(): unknown;
}

/**
 * Wraps `database` so that `prepare(sql)` hands back the statement it prepared before for the same
 * text, keeping `size` of them (the ones used least recently go first, see {@link TtlLru}). Reuse
 * is safe because Kysely's SQLite driver has one connection and runs one query at a time on it, each
 * to completion (`all` or `run`) before the next; a statement still being iterated (a stream) is not
 * handed out again, a fresh one is.
 * Statements of a schema that changed meanwhile are re-prepared by SQLite itself.
 * @example
 * new Kysely<Database>({ dialect: new SqliteDialect({ database: cacheStatements(new BetterSqlite3(file)) }) });
 */
export function cacheStatements(database: SqliteDatabase, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new TtlLru<SqliteStatement>(size, Infinity);
  return {
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached?.busy) return database.prepare(sql);
      if (cached) return cached;
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      return statement;
    },
    close() {
      cache.clear();
      return database.close();
    },
  };
}
