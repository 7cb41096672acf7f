import { describe, it } from '@jest/globals';
import { join } from 'node:path';
import { SqlUserStore } from '../../lib/store/sql/index.js';
import { runUserStoreConformance, type ConformanceStore, type ConformanceStoreSetup } from '../../lib/testing/conformance/index.js';
import { describePg, usePgSchema, useTempDir } from './databases.js';

const teardown = (store: ConformanceStore) => (store as SqlUserStore).close();

async function withRoles(store: SqlUserStore, { roles }: ConformanceStoreSetup): Promise<SqlUserStore> {
  for (const role of roles) await store.createRole(role);
  return store;
}

describe('SqlUserStore on a SQLite file', () => {
  const dir = useTempDir();
  let n = 0;
  runUserStoreConformance(
    'SqlUserStore (SQLite file)',
    async (setup) => withRoles(await SqlUserStore.open({ dialect: 'sqlite', filename: join(dir(), `c${++n}.sqlite`) }), setup),
    { describe, it, teardown },
  );
});

describe('SqlUserStore on SQLite :memory:', () => {
  runUserStoreConformance(
    'SqlUserStore (SQLite :memory:)',
    async (setup) => withRoles(await SqlUserStore.open({ dialect: 'sqlite', filename: ':memory:' }), setup),
    { describe, it, teardown },
  );
});

describePg('SqlUserStore on PostgreSQL', () => {
  const schema = usePgSchema();
  let n = 0;
  // A fresh table prefix per test in a schema of its own: every test gets an empty store.
  runUserStoreConformance(
    'SqlUserStore (PostgreSQL)',
    async (setup) => withRoles(await SqlUserStore.open({ dialect: 'postgres', pool: schema().pool }, { tablePrefix: `c${++n}_` }), setup),
    { describe, it, teardown },
  );
});
