import fs from 'node:fs'; import { fork } from 'node:child_process';
import { APP_ROLES, DATA_DIR, benchUser } from './lib/common.mjs';
import { signResponses, idpKeys } from './lib/sign.mjs';
import { freshStore } from './lib/variants.mjs';
const groups = Array.from({ length: 500 }, (_, g) => `grp-${String(g + 1).padStart(3, '0')}`);
const roles = [...APP_ROLES, ...groups.map((g) => `Role-${g.slice(4)}`)];
const roleMap = Object.fromEntries(groups.map((g) => [g, `Role-${g.slice(4)}`]));
const responses = await signResponses(Array.from({ length: 420 }, (_, k) => benchUser(600000 + (k % 20), { groups })));
const file = `${DATA_DIR}/tmp/g500.json`; fs.writeFileSync(file, JSON.stringify(responses));
const keys = await idpKeys();
for (const type of (process.env.STORES ?? 'sqlite,memory').split(',')) {
  const store = await freshStore(type, 'g500');
  const child = fork('bench/provision.mjs', [JSON.stringify({ profile: process.env.PROF ? `${DATA_DIR}/prof/g500-${type}.cpuprofile` : undefined, responsesFile: file, idpCert: keys.certificate, warmup: 20, store: store.spec, roles, provisioning: { createUsers: true, sync: 'every-login', roleMap } })], { execArgv: [] });
  const r = await new Promise((res) => child.once('message', res));
  await new Promise((res) => child.once('exit', res));
  console.log(type, r);
  await store.cleanup();
}
