import { openSqlStore } from './lib/sql.mjs';
import fs from 'node:fs';
fs.rmSync('bench/.data/t.sqlite*', { force: true });
const { store, close } = await openSqlStore({ type: 'sqlite', filename: 'bench/.data/t.sqlite' }, ['Admin']);
console.log(await store.listRoles());
await close();
const pg = await openSqlStore({ type: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test', prefix: 'jsb_t_' }, ['Admin']);
console.log(await pg.store.listRoles());
await pg.close();
