// The SQL store (jit-sso/sql) when the build has it, and the PostgreSQL URL when one is set.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './common.mjs';
import { altSqlFile, importSql } from './jit.mjs';

const PACKAGE = JSON.parse(fs.readFileSync(path.join(BENCH_DIR, '..', 'package.json'), 'utf8'));

/** Whether `jit-sso/sql` is exported and built (or present in the JIT_SSO_BENCH_DIST build). */
export function sqlAvailable() {
  if (altSqlFile) return fs.existsSync(altSqlFile);
  const entry = PACKAGE.exports?.['./sql']?.import;
  const file = typeof entry === 'string' ? entry : entry?.default;
  return Boolean(file && fs.existsSync(path.join(BENCH_DIR, '..', file)));
}

export const pgUrl = () => process.env.JIT_SSO_PG_URL || undefined;

/** A unique table prefix for a throw-away PostgreSQL store of this run. */
export const runPrefix = (name) => `jsb_${name}_${process.pid}_`;

/** Opens a SqlUserStore for `spec` ({ type: 'sqlite', filename } | { type: 'postgres', url, prefix }) and makes `roles` exist. */
export async function openSqlStore(spec, roles = []) {
  const { SqlUserStore } = await importSql();
  const connection = spec.type === 'sqlite' ? { dialect: 'sqlite', filename: spec.filename, ...(spec.synchronous ? { synchronous: spec.synchronous } : {}) } : { dialect: 'postgres', connectionString: spec.url };
  const store = await SqlUserStore.open(connection, { ...(spec.prefix ? { tablePrefix: spec.prefix } : {}), logger: { warn() {}, error() {} } });
  for (const role of roles) await store.createRole(role);
  return { store, close: () => store.close() };
}

const STORE_TABLES = ['audit_events', 'user_roles', 'identities', 'roles', 'users', 'migrations', 'migrations_lock'];

/** Runs `fn(client)` on one PostgreSQL connection. */
export async function withPg(url, fn) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops the tables of a store with this prefix. */
export function dropPgTables(url, prefix) {
  return withPg(url, async (client) => {
    for (const table of STORE_TABLES) await client.query(`drop table if exists "${prefix}${table}" cascade`);
  });
}

/** Removes a SQLite database file and its WAL / shared-memory files. */
export function removeSqlite(filename) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(`${filename}${suffix}`, { force: true });
}
