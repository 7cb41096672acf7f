import { describe, expect, it } from '@jest/globals';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely';
import { TablePrefixPlugin, type Database } from '../../lib/store/sql/schema.js';

/** A Kysely that only compiles (no database): the SQL text the plugin leads to. */
function compiler(prefix: string): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  }).withPlugin(new TablePrefixPlugin(prefix));
}

describe('TablePrefixPlugin', () => {
  const db = compiler('sso_');

  it('prefixes every table once, in subqueries and column references too', () => {
    const query = db
      .selectFrom('users')
      .selectAll('users')
      .select((eb) => eb.selectFrom('user_roles').innerJoin('roles', 'roles.id', 'user_roles.role_id').select('roles.name').whereRef('user_roles.user_id', '=', 'users.id').limit(1).as('role'))
      .where('users.id', 'in', db.selectFrom('identities').select('identities.user_id').where('identities.provider', '=', 'entra'))
      .compile();
    expect(query.sql).not.toMatch(/sso_sso_/);
    for (const table of ['users', 'user_roles', 'roles', 'identities']) expect(query.sql).toContain(`"sso_${table}"`);
    expect(query.sql).not.toMatch(/(?<!sso_)"(users|user_roles|roles|identities)"/);
  });

  it('leaves the values a query carries alone: JSON objects with a "kind", dates, buffers', () => {
    const changes = JSON.stringify({ kind: 'TableNode', table: 'users' });
    const at = new Date('2024-05-01T10:00:00.000Z');
    const query = db
      .insertInto('audit_events')
      .values({ at: at.toISOString(), type: 'login', sub_type: 'updated', provider: 'entra', subject: 's', user_id: null, code: null, reason: null, changes, ip: null, request_id: null })
      .compile();
    expect(query.sql).toContain('"sso_audit_events"');
    expect(query.parameters).toContain(changes);
    const raw = db.selectFrom('users').select(sql<number>`length(${Buffer.from('users')})`.as('n')).where('users.created_at', '<', at as never).compile();
    expect(raw.parameters).toEqual([Buffer.from('users'), at]);
  });

  it('compiles the same query the same way every time (nothing left behind between queries)', () => {
    const make = () => db.updateTable('users').set({ last_login_at: 'x' }).where('users.id', '=', 'u1').compile().sql;
    expect(make()).toBe(make());
    expect(make()).toBe('update "sso_users" set "last_login_at" = ? where "sso_users"."id" = ?');
  });
});
