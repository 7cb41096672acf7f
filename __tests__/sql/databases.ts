/**
 * Databases for the SqlUserStore tests: SQLite files in a temporary directory, and a fresh
 * PostgreSQL schema per describe block when JIT_SSO_PG_URL is set (skipped loudly otherwise, failed in CI).
 */
import { afterAll, afterEach, beforeAll, describe, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqlUserStore, type SqlUserStoreOptions } from '../../lib/store/sql/index.js';

export const PG_URL = process.env.JIT_SSO_PG_URL;

/** `describe` for a PostgreSQL block: skipped with a warning without JIT_SSO_PG_URL, a failing test in CI. */
export function describePg(name: string, fn: () => void): void {
  if (PG_URL) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('runs against PostgreSQL in CI', () => {
        throw new Error('JIT_SSO_PG_URL must be set in CI');
      });
    });
    return;
  }
  console.warn(`[jit-sso] "${name}" skipped: set JIT_SSO_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it`);
  describe.skip(name, fn);
}

/** A temporary directory for the enclosing block's SQLite files, removed afterwards. */
export function useTempDir(): () => string {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jit-sso-sql-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** A fresh PostgreSQL schema, with pools whose connections use it. */
export interface PgSchema {
  name: string;
  /** A connection string whose connections use the schema. */
  url: string;
  /** A pool over the schema, shared by the block's stores. */
  pool: pg.Pool;
  /** A pool for the test's own queries (schema-qualified). */
  admin: pg.Pool;
  /** Another pool over the schema (`max` connections); ended with the schema. */
  newPool(max?: number): pg.Pool;
}

/** A fresh schema for the enclosing block, dropped with everything in it afterwards. */
export function usePgSchema(): () => PgSchema {
  let current: PgSchema | undefined;
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    const name = `jit_sso_test_${randomUUID().slice(0, 8)}`;
    const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
    admin.on('error', () => undefined);
    await admin.query(`create schema ${name}`);
    const url = new URL(PG_URL!);
    url.searchParams.set('options', `-c search_path=${name}`);
    const newPool = (max = 10) => {
      const pool = new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${name}`, max });
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    };
    current = { name, url: url.toString(), admin, pool: newPool(), newPool };
  });
  afterAll(async () => {
    if (!current) return;
    for (const pool of pools) await pool.end();
    await current.admin.query(`drop schema ${current.name} cascade`);
    await current.admin.end();
  });
  return () => current!;
}

/** Opens stores for one test and closes them after it. */
export type OpenStore = (options?: SqlUserStoreOptions) => Promise<SqlUserStore>;

/**
 * Registers `fn` once per database: a SQLite file, and PostgreSQL (a fresh schema, a fresh table
 * prefix per store) when JIT_SSO_PG_URL is set. Stores opened through `open` close after each test.
 */
export function eachDatabase(fn: (open: OpenStore, dialect: 'sqlite' | 'postgres') => void): void {
  const opened: SqlUserStore[] = [];
  const track = async (store: Promise<SqlUserStore>) => {
    opened.push(await store);
    return opened[opened.length - 1]!;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  describe('on SQLite', () => {
    const dir = useTempDir();
    let n = 0;
    fn((options) => track(SqlUserStore.open({ dialect: 'sqlite', filename: join(dir(), `db${++n}.sqlite`) }, options)), 'sqlite');
  });
  describePg('on PostgreSQL', () => {
    const schema = usePgSchema();
    let n = 0;
    fn((options) => track(SqlUserStore.open({ dialect: 'postgres', pool: schema().pool }, { tablePrefix: `t${++n}_`, ...options })), 'postgres');
  });
}
