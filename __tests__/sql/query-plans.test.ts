import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type CompiledQuery } from 'kysely';
import { join } from 'node:path';
import { SqlUserStore } from '../../lib/sql/index.js';
import * as q from '../../lib/sql/queries.js';
import { TablePrefixPlugin, type Database as Tables } from '../../lib/sql/schema.js';
import { newUser } from '../../lib/testing/conformance/fixtures.js';
import { useTempDir } from './databases.js';

interface PlanRow {
  detail: string;
}

describe('SqlUserStore query plans on SQLite', () => {
  const dir = useTempDir();

  /** The statements the store's read `run` sends, each with SQLite's plan for it. */
  async function plansOf(run: (db: Kysely<Tables>) => Promise<unknown>): Promise<{ sql: string; plan: string[] }[]> {
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
      return sent.map((query) => ({
        sql: query.sql,
        plan: (sqlite.prepare(`explain query plan ${query.sql}`).all(...(query.parameters as unknown[])) as PlanRow[]).map((r) => r.detail),
      }));
    } finally {
      await db.destroy();
    }
  }

  it('finds a user by identity through the identities key, the users id index and the user_roles key — no table scan', async () => {
    const plans = await plansOf(async (db) => expect(await q.findByIdentity(db, 'entra', 'plan-ann')).not.toBeNull());
    expect(plans).toHaveLength(2);
    const [identityLookup, rolesLookup] = plans;
    expect(identityLookup!.plan).toEqual([
      expect.stringMatching(/^SEARCH jit_sso_identities USING (COVERING )?INDEX sqlite_autoindex_jit_sso_identities_1 \(provider=\? AND subject=\?\)$/),
      expect.stringMatching(/^SEARCH jit_sso_users USING INDEX sqlite_autoindex_jit_sso_users_1 \(id=\?\)$/),
    ]);
    expect(rolesLookup!.plan).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SEARCH jit_sso_user_roles USING (COVERING )?INDEX sqlite_autoindex_jit_sso_user_roles_1 \(user_id=\?\)$/),
        expect.stringMatching(/^SEARCH jit_sso_roles USING INTEGER PRIMARY KEY \(rowid=\?\)$/),
      ]),
    );
  });

  it('answers every lookup of a login and of linking through an index: by id, username, email, role names', async () => {
    const plans = await plansOf(async (db) => {
      await q.findById(db, 'id');
      await q.findByUsername(db, 'alice', 'contoso.com');
      await q.findByUsername(db, 'alice');
      await q.findByEmail(db, 'alice@contoso.com');
      await q.existingRoles(db, ['Admin', 'Viewer'], false);
      await q.existingRoles(db, ['admin'], true);
      await q.userExists(db, 'id');
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
