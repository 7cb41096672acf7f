/**
 * A prepared-statement cache for SQLite: Kysely's SQLite driver calls `prepare(sql)` for every query,
 * and preparing costs more than running the small indexed statements of a login.
 * @module
 */

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
 * text, keeping the `size` most recently used. Reuse is safe because Kysely's SQLite driver has one
 * connection and runs one query at a time on it, each to completion (`all` or `run`) before the
 * next; a statement still being iterated (a stream) is not handed out again, a fresh one is.
 * Statements of a schema that changed meanwhile are re-prepared by SQLite itself.
 * @example
 * new Kysely<Database>({ dialect: new SqliteDialect({ database: cacheStatements(new BetterSqlite3(file)) }) });
 */
export function cacheStatements(database: SqliteDatabase, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached?.busy) return database.prepare(sql);
      const statement = cached ?? database.prepare(sql);
      cache.delete(sql);
      cache.set(sql, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value as string);
      return statement;
    },
    close() {
      cache.clear();
      return database.close();
    },
  };
}
