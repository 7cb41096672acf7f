/**
 * `jit-sso/sql`: the built-in SQL user store over SQLite (`better-sqlite3`) or PostgreSQL (`pg`),
 * through Kysely. Install `kysely` and the driver of your database; the other one is never loaded.
 * @example
 * import { SqlUserStore } from 'jit-sso/sql';
 * const store = await SqlUserStore.open({ dialect: 'postgres', connectionString: process.env.DATABASE_URL! });
 * @module
 */
export { SqlUserStore } from './sql-user-store.js';
export type {
  SqlConnection,
  SqliteConnection,
  PostgresUrlConnection,
  PostgresPoolConnection,
  SqlUserStoreOptions,
} from './options.js';
export type { SqlDialect } from './schema.js';
