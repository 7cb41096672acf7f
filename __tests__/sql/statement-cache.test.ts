import { afterEach, describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { silentLogger } from '../../lib/internal/logger.js';
import { jitProvision } from '../../lib/provisioning/jit-provision.js';
import { SqlUserStore } from '../../lib/sql/index.js';
import { cacheStatements } from '../../lib/sql/statement-cache.js';
import { identity } from '../helpers/identities.js';
import { useTempDir } from './databases.js';

describe('the SQLite statement cache', () => {
  const dir = useTempDir();
  const opened: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
    jest.restoreAllMocks();
  });

  function database() {
    const sqlite = new Database(':memory:');
    const prepare = jest.spyOn(sqlite, 'prepare');
    const cached = cacheStatements(sqlite, 2);
    opened.push(cached);
    return { cached, prepare };
  }

  it('prepares each SQL text once and hands back the same statement after', () => {
    const { cached, prepare } = database();
    const first = cached.prepare('select 1 as n');
    expect(cached.prepare('select 1 as n')).toBe(first);
    expect(first.all([])).toEqual([{ n: 1 }]);
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('keeps at most its size, dropping the statement used least recently', () => {
    const { cached, prepare } = database();
    const one = cached.prepare('select 1');
    const two = cached.prepare('select 2');
    expect(cached.prepare('select 1')).toBe(one); // 'select 2' is now the least recently used
    cached.prepare('select 3');
    expect(cached.prepare('select 1')).toBe(one);
    expect(cached.prepare('select 2')).not.toBe(two);
    expect(prepare).toHaveBeenCalledTimes(4);
  });

  it('prepares a fresh statement while the cached one is still being iterated', () => {
    const { cached } = database();
    const streaming = cached.prepare('select 1 as n union all select 2');
    const rows = streaming.iterate([]);
    rows.next();
    const again = cached.prepare('select 1 as n union all select 2');
    expect(again).not.toBe(streaming);
    expect(again.all([])).toEqual([{ n: 1 }, { n: 2 }]);
    rows.return?.();
  });

  it('lets a warm SqlUserStore sign an existing user in without preparing any statement', async () => {
    const store = await SqlUserStore.open({ dialect: 'sqlite', filename: join(dir(), 'warm.sqlite') });
    opened.push(store);
    await store.createRole('Employee');
    const jit = jitProvision({ store, provider: 'entra', preset: 'entra-saml', provisioning: { createUsers: true, defaultRoles: ['Employee'] }, logger: silentLogger });
    await jit.provision(identity());
    await jit.provision(identity());
    const prepare = jest.spyOn(Database.prototype, 'prepare');

    const login = await jit.provision(identity());
    expect(login.outcome).toBe('existing-user');
    expect(login.user?.roles).toEqual([{ role: 'Employee', source: 'default', provider: 'entra' }]);
    expect(prepare).not.toHaveBeenCalled();
  });
});
