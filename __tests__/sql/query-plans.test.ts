import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import { join } from 'node:path';
import { SqlUserStore } from '../../lib/store/sql/index.js';
import * as q from '../../lib/store/sql/queries.js';
import { codecFor } from '../../lib/store/sql/rows.js';
import { TablePrefixPlugin, type Database as Tables } from '../../lib/store/sql/schema.js';
import { newUser } from '../../lib/testing/conformance/fixtures.js';
import { useTempDir } from './databases.js';

interface PlanRow {
  detail: string;
}
interface OpRow {
  opcode: string;
}

describe('SqlUserStore query plans on SQLite', () => {
  const dir = useTempDir();

  /** What the store's queries take: `db` and SQLite's codec. */
  const contextOf = (db: Kysely<Tables>): q.QueryContext => ({ db, dialect: 'sqlite', codec: codecFor('sqlite') });

  /** The statements the store's `run` sends, each with SQLite's plan for it and the opcodes of its program. */
  async function plansOf(run: (db: Kysely<Tables>) => Promise<unknown>): Promise<{ sql: string; plan: string[]; ops: string[] }[]> {
    const filename = join(dir(), `plans-${Math.random().toString(36).slice(2)}.sqlite`);
    const store = await SqlUserStore.open({ dialect: 'sqlite', filename });
    await store.createRole('Admin');
    await store.createUser(newUser('plan', 'ann', { roles: [{ role: 'Admin', source: 'manual' }] }));
    await store.close();
    const sqlite = new Database(filename);
    const sent: CompiledQuery[] = [];
    const db = new Kysely<Tables>({
      dialect: new SqliteDialect({ database: sqlite }),
      plugins: [new TablePrefixPlugin('jit_sso_')],
      log: (e) => void (e.level === 'query' && sent.push(e.query)),
    });
    try {
      await run(db);
      const explain = <T>(prefix: string, query: CompiledQuery) => sqlite.prepare(`${prefix} ${query.sql}`).all(...(query.parameters as unknown[])) as T[];
      return sent.map((query) => ({
        sql: query.sql,
        plan: explain<PlanRow>('explain query plan', query).map((r) => r.detail),
        ops: explain<OpRow>('explain', query).map((r) => r.opcode),
      }));
    } finally {
      await db.destroy();
    }
  }

  it('finds a user and its roles by identity in one statement, through the identities key, the users id index and the user_roles key — no table scan', async () => {
    const plans = await plansOf(async (db) => {
      const user = await q.findByIdentity(contextOf(db), 'entra', 'plan-ann');
      expect(user?.roles).toEqual([{ role: 'Admin', source: 'manual' }]);
    });
    expect(plans).toHaveLength(1);
    const plan = plans[0]!.plan;
    expect(plan).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SEARCH jit_sso_identities USING (COVERING )?INDEX sqlite_autoindex_jit_sso_identities_1 \(provider=\? AND subject=\?\)$/),
        expect.stringMatching(/^SEARCH jit_sso_users USING INDEX sqlite_autoindex_jit_sso_users_1 \(id=\?\)$/),
        expect.stringMatching(/^SEARCH jit_sso_user_roles USING (COVERING )?INDEX sqlite_autoindex_jit_sso_user_roles_1 \(user_id=\?\)$/),
        expect.stringMatching(/^SEARCH jit_sso_roles USING INTEGER PRIMARY KEY \(rowid=\?\)$/),
      ]),
    );
    expect(plan.filter((step) => step.startsWith('SCAN'))).toEqual([]);
  });

  it('writes a login that changes nothing but lastLoginAt in one UPDATE that rewrites no index entry', async () => {
    const plans = await plansOf(async (db) => {
      const ctx = contextOf(db);
      const user = await q.findByIdentity(ctx, 'entra', 'plan-ann');
      const updated = await q.patchUser(ctx, user!.id, { lastLoginAt: new Date('2024-06-01T08:30:00.000Z') });
      expect([updated?.lastLoginAt?.toISOString(), updated?.roles]).toEqual(['2024-06-01T08:30:00.000Z', user!.roles]);
    });
    const writes = plans.slice(1);
    expect(writes.map((w) => w.sql)).toEqual([expect.stringMatching(/^update "jit_sso_users" set "updated_at" = \?, "last_login_at" = \? where/)]);
    expect(writes[0]!.ops).not.toContain('IdxDelete');
  });

  it('sets only the columns a profile change touches: a new email rewrites the email index, not the username index', async () => {
    const plans = await plansOf(async (db) => {
      const ctx = contextOf(db);
      const user = await q.findByIdentity(ctx, 'entra', 'plan-ann');
      const updated = await q.patchUser(ctx, user!.id, { email: 'Ann.New@Contoso.com', username: user!.username, fields: {} });
      expect(updated?.email).toBe('Ann.New@Contoso.com');
    });
    const update = plans.find((p) => p.sql.startsWith('update'))!;
    expect(update.sql).toMatch(/^update "jit_sso_users" set "email" = \?, "email_key" = \?, "search_text" = \?, "updated_at" = \? where/);
    expect(update.ops.filter((op) => op === 'IdxDelete')).toHaveLength(1);
  });

  it('answers every lookup of a login and of linking through an index: by id, username, email, role names', async () => {
    const plans = await plansOf(async (db) => {
      const ctx = contextOf(db);
      await q.findById(ctx, 'id');
      await q.findByUsername(ctx, 'alice', 'contoso.com');
      await q.findByUsername(ctx, 'alice');
      await q.findByEmail(ctx, 'alice@contoso.com');
      await q.existingRoles(ctx, ['Admin', 'Viewer'], false);
      await q.existingRoles(ctx, ['admin'], true);
      await q.userExists(ctx, 'id');
    });
    expect(plans.length).toBe(7);
    for (const { sql, plan } of plans) {
      expect({ sql, scans: plan.filter((step) => step.startsWith('SCAN')) }).toEqual({ sql, scans: [] });
      expect({ sql, searches: plan.some((step) => /^SEARCH .* USING (COVERING )?INDEX /.test(step)) }).toEqual({ sql, searches: true });
    }
  });

  it('reads a user’s audit events, or one sub-type’s, newest first straight from an index, without sorting', async () => {
    const plans = await plansOf(async (db) => {
      await q.listAudit(db, { userId: 'id' });
      await q.listAudit(db, { subType: 'denied', limit: 20, offset: 40 });
      await q.listAudit(db, {});
    });
    expect(plans.map((p) => p.plan)).toEqual([
      [expect.stringMatching(/^SEARCH jit_sso_audit_events USING INDEX jit_sso_audit_user_idx \(user_id=\?\)$/)],
      [expect.stringMatching(/^SEARCH jit_sso_audit_events USING INDEX jit_sso_audit_sub_type_idx \(sub_type=\?\)$/)],
      ['SCAN jit_sso_audit_events USING INDEX jit_sso_audit_at_idx'],
    ]);
  });
});
