import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { SqlUserStore } from '../../lib/store/sql/index.js';
import { loadDriver } from '../../lib/store/sql/connect.js';
import type { SqlConnection } from '../../lib/store/sql/options.js';
import { newUser } from '../../lib/testing/conformance/fixtures.js';
import { describePg, usePgSchema, useTempDir } from './databases.js';

const tablesOf = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};

describe('SqlUserStore.open on SQLite', () => {
  const dir = useTempDir();

  it('runs each migration once: a second open finds the schema up to date and the data still there', async () => {
    const filename = join(dir(), 'twice.sqlite');
    const first = await SqlUserStore.open({ dialect: 'sqlite', filename });
    const { id } = await first.createUser(newUser('twice', 'ann'));
    await first.close();
    const second = await SqlUserStore.open({ dialect: 'sqlite', filename });
    try {
      expect(await second.migrate()).toEqual([]);
      expect((await second.findUserById(id))?.username).toBe('ann.twice');
    } finally {
      await second.close();
    }
  });

  it('with migrate: false creates no table until migrate() runs the versioned migrations, once', async () => {
    const filename = join(dir(), 'deploy-step.sqlite');
    const store = await SqlUserStore.open({ dialect: 'sqlite', filename }, { migrate: false });
    try {
      expect(tablesOf(filename)).toEqual([]);
      expect(await store.migrate()).toEqual(['0001_initial', '0002_canonical_keys']);
      expect(await store.migrate()).toEqual([]);
      await store.createRole('Admin');
      expect(await store.listRoles()).toEqual(['Admin']);
    } finally {
      await store.close();
    }
  });

  it('prefixes every table, the migration tables included, with the tablePrefix', async () => {
    const filename = join(dir(), 'prefixed.sqlite');
    await (await SqlUserStore.open({ dialect: 'sqlite', filename }, { tablePrefix: 'app_sso_' })).close();
    expect(tablesOf(filename)).toEqual(
      ['audit_events', 'identities', 'migrations', 'migrations_lock', 'roles', 'user_roles', 'users'].map((t) => `app_sso_${t}`),
    );
  });

  it('keeps two table prefixes in one database apart: users, identities and roles of one are unknown to the other', async () => {
    const filename = join(dir(), 'shared.sqlite');
    const a = await SqlUserStore.open({ dialect: 'sqlite', filename }, { tablePrefix: 'a_' });
    const b = await SqlUserStore.open({ dialect: 'sqlite', filename }, { tablePrefix: 'b_' });
    try {
      await a.createRole('Admin');
      const input = newUser('iso', 'kim', { roles: [{ role: 'Admin', source: 'manual' }] });
      await a.createUser(input);
      expect(await b.findUserByIdentity(input.identity)).toBeNull();
      expect(await b.listUsers()).toEqual([]);
      expect(await b.existingRoles(['Admin'])).toEqual([]);
      const inB = await b.createUser(input);
      expect(inB.roles).toEqual([]);
      expect(await a.countUsers()).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('opens a file in WAL mode so that reads go on while a login writes', async () => {
    const filename = join(dir(), 'wal.sqlite');
    await (await SqlUserStore.open({ dialect: 'sqlite', filename })).close();
    const db = new Database(filename, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('commits with synchronous FULL after the WAL is in use, and NORMAL only when the connection asks for it', async () => {
    const { openDatabase } = await import('../../lib/store/sql/connect.js');
    const { sql } = await import('kysely');
    const { silentLogger } = await import('../../lib/internal/logger.js');
    const modes: Record<string, unknown> = {};
    for (const synchronous of [undefined, 'full', 'normal'] as const) {
      const filename = join(dir(), `sync-${synchronous ?? 'default'}.sqlite`);
      const db = await openDatabase({ dialect: 'sqlite', filename, ...(synchronous ? { synchronous } : {}) }, silentLogger);
      try {
        // better-sqlite3's build turns a WAL database to NORMAL once the WAL is written: write first, then read.
        await sql`create table t (x integer)`.execute(db.kysely);
        await sql`insert into t values (1)`.execute(db.kysely);
        modes[synchronous ?? 'default'] = (await sql<{ synchronous: number }>`pragma synchronous`.execute(db.kysely)).rows[0]?.synchronous;
      } finally {
        await db.close();
      }
    }
    expect(modes).toEqual({ default: 2, full: 2, normal: 1 });
  });

  it('with readonly: true reads an existing database, refuses writes, and never creates a missing file', async () => {
    const filename = join(dir(), 'report.sqlite');
    const writer = await SqlUserStore.open({ dialect: 'sqlite', filename });
    const input = newUser('ro', 'rex');
    await writer.createUser(input);
    await writer.close();
    const reader = await SqlUserStore.open({ dialect: 'sqlite', filename, readonly: true }, { migrate: false });
    try {
      expect((await reader.findUserByIdentity(input.identity))?.username).toBe('rex.ro');
      await expect(reader.createRole('Admin')).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
    } finally {
      await reader.close();
    }
    const missing = join(dir(), 'missing.sqlite');
    await expect(SqlUserStore.open({ dialect: 'sqlite', filename: missing, readonly: true }, { migrate: false })).rejects.toMatchObject({
      code: 'ERR_JIT_SSO_INVALID_OPTIONS',
      details: { path: 'connection.filename' },
    });
    expect(existsSync(missing)).toBe(false);
  });

  it('fails at open with ERR_JIT_SSO_INVALID_OPTIONS naming connection.filename when the directory does not exist', async () => {
    await expect(SqlUserStore.open({ dialect: 'sqlite', filename: join(dir(), 'no', 'such', 'dir.sqlite') })).rejects.toMatchObject({
      code: 'ERR_JIT_SSO_INVALID_OPTIONS',
      details: { path: 'connection.filename' },
    });
  });
});

describe('SqlUserStore.open options', () => {
  it.each(['1st_', 'sso-', 'x; drop table users; --', '', 'a'.repeat(31)])(
    'refuses the tablePrefix %j, which is no safe SQL name, naming options.tablePrefix',
    async (tablePrefix) => {
      await expect(SqlUserStore.open({ dialect: 'sqlite', filename: ':memory:' }, { tablePrefix })).rejects.toMatchObject({
        code: 'ERR_JIT_SSO_INVALID_OPTIONS',
        details: { path: 'options.tablePrefix' },
      });
    },
  );

  it.each<[string, unknown, string]>([
    ['an unknown dialect', { dialect: 'mysql', filename: 'x' }, 'connection.dialect'],
    ['a SQLite connection without a filename', { dialect: 'sqlite' }, 'connection.filename'],
    ['a PostgreSQL connection with neither a URL nor a pool', { dialect: 'postgres' }, 'connection.connectionString'],
    ['a PostgreSQL connection with both', { dialect: 'postgres', connectionString: 'postgres://x', pool: { connect() {}, end() {} } }, 'connection.connectionString'],
    ['a pool that is not a pool', { dialect: 'postgres', pool: {} }, 'connection.pool'],
    ['a SQLite synchronous mode other than full or normal', { dialect: 'sqlite', filename: ':memory:', synchronous: 'off' }, 'connection.synchronous'],
  ])('refuses %s, naming the option', async (_title, connection, path) => {
    await expect(SqlUserStore.open(connection as SqlConnection)).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path } });
  });

  it('a driver that is not installed fails at start-up, naming the package to install', async () => {
    const missing: string = 'jit-sso-test-missing-driver';
    const failure = loadDriver('better-sqlite3', () => import(missing));
    await expect(failure).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { package: 'better-sqlite3' } });
    await expect(failure).rejects.toThrow('npm install better-sqlite3');
  });
});

describePg('SqlUserStore.open on PostgreSQL', () => {
  const schema = usePgSchema();

  it('over a connection string runs each migration once and ends its own pool on close()', async () => {
    const first = await SqlUserStore.open({ dialect: 'postgres', connectionString: schema().url }, { tablePrefix: 'url_' });
    await first.createRole('Admin');
    await first.close();
    const second = await SqlUserStore.open({ dialect: 'postgres', connectionString: schema().url }, { tablePrefix: 'url_' });
    try {
      expect(await second.migrate()).toEqual([]);
      expect(await second.listRoles()).toEqual(['Admin']);
    } finally {
      await second.close();
    }
    await expect(second.listRoles()).rejects.toThrow();
  });

  it('with migrate: false creates nothing until migrate(), and close() leaves a pool passed in open', async () => {
    const { pool, admin, name } = schema();
    const store = await SqlUserStore.open({ dialect: 'postgres', pool }, { tablePrefix: 'late_', migrate: false });
    const tables = async () =>
      (await admin.query('select table_name from information_schema.tables where table_schema = $1 and table_name like $2 order by 1', [name, 'late\\_%'])).rows.map((r: { table_name: string }) => r.table_name);
    expect(await tables()).toEqual([]);
    expect(await store.migrate()).toEqual(['0001_initial', '0002_canonical_keys']);
    expect(await tables()).toEqual(['late_audit_events', 'late_identities', 'late_migrations', 'late_migrations_lock', 'late_roles', 'late_user_roles', 'late_users']);
    await store.close();
    expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('migrates a schema even when another schema of the database has migration tables of the same name', async () => {
    const other = `${schema().name}_b`;
    await schema().admin.query(`create schema ${other}`);
    const pool = new pg.Pool({ connectionString: process.env.JIT_SSO_PG_URL, options: `-c search_path=${other}` });
    try {
      await (await SqlUserStore.open({ dialect: 'postgres', pool: schema().pool }, { tablePrefix: 'twin_' })).close();
      const store = await SqlUserStore.open({ dialect: 'postgres', pool }, { tablePrefix: 'twin_' });
      await store.createRole('Viewer');
      expect(await store.listRoles()).toEqual(['Viewer']);
      await store.close();
    } finally {
      await pool.end();
      await schema().admin.query(`drop schema ${other} cascade`);
    }
  });

  it('lets several instances open a new database at once: the migration runs once, every open succeeds', async () => {
    const stores = await Promise.all(Array.from({ length: 5 }, () => SqlUserStore.open({ dialect: 'postgres', pool: schema().pool }, { tablePrefix: 'herd_' })));
    const { rows } = await schema().admin.query(`select name from ${schema().name}.herd_migrations`);
    expect(rows).toEqual([{ name: '0001_initial' }, { name: '0002_canonical_keys' }]);
    for (const store of stores) await store.close();
  });
});
