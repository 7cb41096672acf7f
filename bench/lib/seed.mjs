// Seeding a SqlUserStore's tables with many users in bulk SQL (a recursive CTE on SQLite,
// generate_series on PostgreSQL), each exactly as a real first login of bench user i leaves it:
// the users row, its identity link, two IdP role assignments and one audit event. A seeded user's
// next login is then the steady-state "existing user, nothing changed" login.
// The schema is the one lib/sql/migrations.ts creates (read there); the store itself creates the
// tables first (SqlUserStore.open runs the migrations), the bulk inserts only fill them.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { IDP_ISSUER, PROVIDER, TENANT, fmt, log } from './common.mjs';
import { openSqlStore, removeSqlite, withPg } from './sql.mjs';

const requireCjs = createRequire(import.meta.url);

/** Bump when what is seeded changes: older seeded databases are then made again. */
const SEED_VERSION = 1;
/** The roles a seeded user holds (source 'idp', provider 'entra'): what benchUser() sends. */
const SEEDED_ROLES = ['Invoice.Reader', 'Employee'];
const CHANGES = (i) =>
  `'{"created":true,"fields":[{"field":"username","before":null,"after":"user' || ${i} || '"}],"rolesAdded":["Invoice.Reader","Employee"],"rolesRemoved":[],"rolesSkipped":[]}'`;

/**
 * A SQLite store file with `users` seeded users, reused when `filename` already holds a complete
 * seed of this size and version (the bench_seed row is written last, in the same transaction).
 */
export async function seededSqlite(filename, users, roles) {
  if (sqliteSeedValid(filename, users)) {
    log(`  reusing ${filename} (${users.toLocaleString('en-US')} users)`);
    return { reused: true, seconds: 0 };
  }
  removeSqlite(filename);
  const started = performance.now();
  const opened = await openSqlStore({ type: 'sqlite', filename }, roles);
  await opened.close();
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(filename);
  try {
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -400000');
    const p = 'jit_sso_';
    const at = new Date().toISOString();
    const id = `printf('00000000-0000-4000-8000-%012x', i)`;
    const subject = `'${TENANT}/oid-' || printf('%08d', i)`;
    const seq = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${users - 1})`;
    db.transaction(() => {
      db.exec(`${seq} INSERT INTO ${p}users (id, username, username_key, domain, domain_key, email, email_key, email_verified, display_name, first_name, last_name, fields, search_text, status, user_type, created_at, updated_at, last_login_at)
        SELECT ${id}, 'user' || i, 'user' || i, 'contoso.com', 'contoso.com', 'user' || i || '@contoso.com', 'user' || i || '@contoso.com', 0, 'User ' || i, 'User', CAST(i AS TEXT), '{}',
          'user' || i || char(10) || 'contoso.com' || char(10) || 'user' || i || '@contoso.com' || char(10) || 'user ' || i || char(10) || 'user' || char(10) || i,
          'active', 'employee', '${at}', '${at}', '${at}' FROM n`);
      db.exec(`${seq} INSERT INTO ${p}identities (provider, subject, user_id, issuer) SELECT '${PROVIDER}', ${subject}, ${id}, '${IDP_ISSUER}' FROM n`);
      for (const role of SEEDED_ROLES) {
        db.exec(`${seq} INSERT INTO ${p}user_roles (user_id, role_id, source, provider) SELECT ${id}, (SELECT id FROM ${p}roles WHERE name = '${role}'), 'idp', '${PROVIDER}' FROM n`);
      }
      db.exec(`${seq} INSERT INTO ${p}audit_events (at, type, sub_type, provider, subject, user_id, changes) SELECT '${at}', 'login', 'auto-provisioned-user', '${PROVIDER}', ${subject}, ${id}, ${CHANGES('i')} FROM n`);
      db.exec(`CREATE TABLE bench_seed (users INTEGER NOT NULL, version INTEGER NOT NULL); INSERT INTO bench_seed VALUES (${users}, ${SEED_VERSION})`);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const seconds = (performance.now() - started) / 1000;
  log(`  seeded ${filename} with ${users.toLocaleString('en-US')} users in ${fmt(seconds, 1)} s`);
  return { reused: false, seconds };
}

function sqliteSeedValid(filename, users) {
  if (!fs.existsSync(filename)) return false;
  try {
    return readSeedMarker(filename, users);
  } catch {
    return false;
  }
}

function readSeedMarker(filename, users) {
  // better-sqlite3 is a CommonJS addon; createRequire keeps this check synchronous.
  const Database = requireCjs('better-sqlite3');
  const db = new Database(filename, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT users, version FROM bench_seed').get();
    const count = db.prepare('SELECT count(*) AS n FROM jit_sso_identities').get();
    return row?.users === users && row?.version === SEED_VERSION && count.n >= users;
  } finally {
    db.close();
  }
}

/**
 * PostgreSQL tables (prefix `prefix`) with `users` seeded users, reused when a complete seed of
 * this size and version is there (its bench_seed table is created last, in the same transaction).
 */
export async function seededPostgres(url, prefix, users, roles) {
  const marker = `${prefix}bench_seed`;
  const valid = await withPg(url, async (c) => {
    const exists = await c.query('select to_regclass($1) as t', [marker]);
    if (!exists.rows[0].t) return false;
    const row = (await c.query(`select users, version from "${marker}"`)).rows[0];
    return row?.users === users && row?.version === SEED_VERSION;
  });
  if (valid) {
    log(`  reusing PostgreSQL tables ${prefix}* (${users.toLocaleString('en-US')} users)`);
    return { reused: true, seconds: 0 };
  }
  const started = performance.now();
  await withPg(url, async (c) => {
    for (const t of ['bench_seed', 'audit_events', 'user_roles', 'identities', 'roles', 'users', 'migrations', 'migrations_lock']) await c.query(`drop table if exists "${prefix}${t}" cascade`);
  });
  const opened = await openSqlStore({ type: 'postgres', url, prefix }, roles);
  await opened.close();
  await withPg(url, async (c) => {
    const p = prefix;
    const id = `('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))`;
    const subject = `('${TENANT}/oid-' || lpad(i::text, 8, '0'))`;
    const series = `generate_series(0, ${users - 1}) AS i`;
    await c.query('set synchronous_commit = off');
    await c.query('begin');
    await c.query(`INSERT INTO "${p}users" (id, username, username_key, domain, domain_key, email, email_key, email_verified, display_name, first_name, last_name, fields, search_text, status, user_type, created_at, updated_at, last_login_at)
      SELECT ${id}, 'user' || i, 'user' || i, 'contoso.com', 'contoso.com', 'user' || i || '@contoso.com', 'user' || i || '@contoso.com', false, 'User ' || i, 'User', i::text, '{}',
        'user' || i || chr(10) || 'contoso.com' || chr(10) || 'user' || i || '@contoso.com' || chr(10) || 'user ' || i || chr(10) || 'user' || chr(10) || i,
        'active', 'employee', now(), now(), now() FROM ${series}`);
    await c.query(`INSERT INTO "${p}identities" (provider, subject, user_id, issuer) SELECT '${PROVIDER}', ${subject}, ${id}, '${IDP_ISSUER}' FROM ${series}`);
    for (const role of SEEDED_ROLES) {
      await c.query(`INSERT INTO "${p}user_roles" (user_id, role_id, source, provider) SELECT ${id}, (SELECT id FROM "${p}roles" WHERE name = '${role}'), 'idp', '${PROVIDER}' FROM ${series}`);
    }
    await c.query(`INSERT INTO "${p}audit_events" (at, type, sub_type, provider, subject, user_id, changes) SELECT now(), 'login', 'auto-provisioned-user', '${PROVIDER}', ${subject}, ${id}, ${CHANGES('i')} FROM ${series}`);
    await c.query(`CREATE TABLE "${marker}" (users integer NOT NULL, version integer NOT NULL)`);
    await c.query(`INSERT INTO "${marker}" VALUES (${users}, ${SEED_VERSION})`);
    await c.query('commit');
    for (const t of ['users', 'identities', 'user_roles', 'roles', 'audit_events']) await c.query(`analyze "${p}${t}"`);
  });
  const seconds = (performance.now() - started) / 1000;
  log(`  seeded PostgreSQL ${prefix}* with ${users.toLocaleString('en-US')} users in ${fmt(seconds, 1)} s`);
  return { reused: false, seconds };
}
