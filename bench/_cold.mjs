import { execSync } from 'node:child_process';
import { APP_ROLES, CALLBACK_PATH, DATA_DIR, benchUser } from './lib/common.mjs';
import { startServer } from './lib/child.mjs';
import { FORM, runLoad, samlPostBody } from './lib/load.mjs';
import { idpKeys, signResponses } from './lib/sign.mjs';
const keys = await idpKeys();
const pick = (n, c) => { const s = new Set(); while (s.size < c) s.add(Math.floor(Math.random() * n)); return [...s]; };
for (const users of [1000, 1000000, 1000, 1000000]) {
  const filename = `${DATA_DIR}/scale-${users}.sqlite`;
  console.log(execSync(`fincore ${filename}`).toString().split('\n')[1]);
  const responses = await signResponses(pick(users, 300, users + Date.now() % 1000).map((i) => benchUser(i)));
  const server = await startServer({ kind: 'jit', idpCert: keys.certificate, store: { type: 'sqlite', filename }, roles: APP_ROLES }, 'cold');
  const bodies = responses.map((b) => samlPostBody(b));
  const req = (i) => ({ method: 'POST', path: CALLBACK_PATH, headers: FORM, body: bodies[i] });
  await runLoad({ port: server.port, request: req, from: 0, count: 50, concurrency: 1, expect: (s) => s === 303 });
  const r = await runLoad({ port: server.port, request: req, from: 50, count: 250, concurrency: 1, expect: (s) => s === 303 });
  console.log(users, 'p50', r.p50.toFixed(2), 'p99', r.p99.toFixed(2), 'mean', (r.seconds * 1000 / r.count).toFixed(2), r.errors);
  await server.stop();
}
