import { fork } from 'node:child_process';
import { DATA_DIR } from './lib/common.mjs';
import { removeSqlite } from './lib/sql.mjs';
const f = `${DATA_DIR}/tmp/mem.sqlite`; removeSqlite(f);
const child = fork('bench/memory.mjs', [JSON.stringify({ filename: f, checkpoints: [1000, 5000, 10000], users: 2000 })], { execArgv: ['--expose-gc'] });
child.on('message', (m) => console.log(JSON.stringify(m)));
child.on('exit', () => removeSqlite(f));
