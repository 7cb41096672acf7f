import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import { TablePrefixPlugin } from '../../lib/sql/schema.js';
import { QueryTemplates } from '../../lib/sql/templates.js';

interface Tables {
  items: { id: number; name: string; kind: string };
}

/** A SQLite database in memory with a prefixed `items` table, and the statements Kysely sent. */
async function itemsDb(): Promise<{ db: Kysely<Tables>; sent: CompiledQuery[] }> {
  const sent: CompiledQuery[] = [];
  const db = new Kysely<Tables>({
    dialect: new SqliteDialect({ database: new Database(':memory:') }),
    plugins: [new TablePrefixPlugin('t_')],
    log: (e) => void (e.level === 'query' && sent.push(e.query)),
  });
  await sql`create table t_items (id integer primary key, name text not null, kind text not null)`.execute(db);
  sent.length = 0;
  return { db, sent };
}

describe('QueryTemplates', () => {
  it('builds a shape once and runs the same SQL with each call’s arguments', async () => {
    const { db, sent } = await itemsDb();
    const templates = new QueryTemplates();
    let builds = 0;
    const insert = (id: number, name: string) =>
      templates.execute(db, 'insertItem', [id, name], (id, name) => {
        builds++;
        return db.insertInto('items').values({ id, name, kind: 'plain' });
      });
    await insert(1, 'one');
    await insert(2, 'two');
    const byName = (name: string) => templates.execute(db, 'byName', [name], (name) => (builds++, db.selectFrom('items').select(['id', 'kind']).where('name', '=', name)));
    expect((await byName('two')).rows).toEqual([{ id: 2, kind: 'plain' }]);
    expect((await byName('one')).rows).toEqual([{ id: 1, kind: 'plain' }]);
    expect(builds).toBe(2);
    expect(sent.map((q) => [q.sql, q.parameters])).toEqual([
      ['insert into "t_items" ("id", "name", "kind") values (?, ?, ?)', [1, 'one', 'plain']],
      ['insert into "t_items" ("id", "name", "kind") values (?, ?, ?)', [2, 'two', 'plain']],
      ['select "id", "kind" from "t_items" where "name" = ?', ['two']],
      ['select "id", "kind" from "t_items" where "name" = ?', ['one']],
    ]);
  });

  it('puts an argument used twice in both places, and keeps the values the build itself wrote', async () => {
    const { db, sent } = await itemsDb();
    const templates = new QueryTemplates();
    await db.insertInto('items').values([{ id: 1, name: 'a', kind: 'a' }, { id: 2, name: 'b', kind: 'x' }]).execute();
    const same = (value: string) =>
      templates.execute(db, 'same', [value], (value) => db.selectFrom('items').select('id').where('name', '=', value).where('kind', '=', value).where('id', '>', 0));
    expect((await same('a')).rows).toEqual([{ id: 1 }]);
    expect((await same('b')).rows).toEqual([]);
    expect(sent.at(-1)?.parameters).toEqual(['b', 'b', 0]);
  });

  it('runs in a transaction what it compiled outside one, and reports the rows a write touched', async () => {
    const { db } = await itemsDb();
    const templates = new QueryTemplates();
    const rename = (on: Kysely<Tables>, id: number, name: string) =>
      templates.execute(on, 'rename', [name, id], (name, id) => on.updateTable('items').set({ name }).where('id', '=', id));
    await db.insertInto('items').values({ id: 1, name: 'a', kind: 'k' }).execute();
    expect((await rename(db, 1, 'b')).numAffectedRows).toBe(1n);
    await expect(
      db.transaction().execute(async (trx) => {
        await rename(trx, 1, 'c');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await db.selectFrom('items').select('name').execute()).toEqual([{ name: 'b' }]);
    expect((await rename(db, 2, 'z')).numAffectedRows).toBe(0n);
  });

  it('refuses a build that does not pass an argument to Kysely as a value, instead of running it without it', async () => {
    const { db } = await itemsDb();
    const templates = new QueryTemplates();
    const run = () => templates.execute(db, 'lost', ['a', 'b'], (name, _kind) => db.selectFrom('items').select('id').where('name', '=', name));
    await expect(run()).rejects.toThrow('query template "lost" uses 1 of its 2 arguments');
    // Converted in the build: the template would hold the stand-in's text for good.
    const converted = () => templates.execute(db, 'converted', [1], (id) => db.selectFrom('items').select('id').where('name', '=', String(id)));
    await expect(converted()).rejects.toThrow('query template "converted" uses 0 of its 1 arguments');
  });

  it('keeps the `size` most recently used shapes', async () => {
    const { db } = await itemsDb();
    const templates = new QueryTemplates(2);
    let builds = 0;
    const run = (key: string) => templates.execute(db, key, [key], (k) => (builds++, db.selectFrom('items').select('id').where('name', '=', k)));
    await run('a');
    await run('b');
    await run('a');
    await run('c'); // drops b, the least recently used
    await run('a');
    expect([templates.cached, builds]).toEqual([2, 3]);
    await run('b');
    expect([templates.cached, builds]).toEqual([2, 4]);
  });
});
