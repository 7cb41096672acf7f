// 4. Memory, in a child started with --expose-gc: N logins through the parts of jit-sso that hold
// memory, with RSS and heap after a full GC at checkpoints. Signing 100k real responses would take
// too long, so the loop skips node-saml and drives these parts directly, per login i:
//   1. the SAML request cache (InResponseTo): add the AuthnRequest id, take it back as node-saml
//      does through cacheProvider(); one login in 20 is abandoned and its id left to expire;
//   2. the assertion replay cache: add the assertion id for the assertion lifetime (5 min + 30 s skew),
//      as the provider's verify callback does;
//   3. provisioning through jitSso's own provisioner (middleware.provisioners), SQLite store, so users
//      and audit events go to disk: 20,000 distinct users (1 in 5 logins creates one), every-login sync;
//   4. an authenticated request through the jitSso router (passport session → deserializeUser →
//      the signed-in-user cache, the store on a miss) for the user who just signed in.
// Both caches are the memoryCache() instances given to samlProvider(), on a simulated clock that
// moves LOGIN_INTERVAL_MS per login, so that entries expire as they would at that login rate.
// Input (argv[2], JSON): { filename, logins, checkpoints, users }.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { memoryCache } from './lib/jit.mjs';
import { jitApp, openStore } from './lib/apps.mjs';
import { APP_ROLES, PROVIDER, TENANT, oid } from './lib/common.mjs';
import { idpKeys } from './lib/sign.mjs';

const LOGIN_INTERVAL_MS = 20; // 50 logins per second
const ASSERTION_TTL_MS = 5 * 60_000 + 30_000;
const REQUEST_TTL_MS = 600_000;
const config = JSON.parse(process.argv[2]);
let clock = Date.now();
const now = () => clock;
const requestCache = memoryCache({ now });
const replayCache = memoryCache({ now });

const keys = await idpKeys();
const { store, close } = await openStore({ type: 'sqlite', filename: config.filename }, APP_ROLES);
const { middleware } = jitApp({ idpCert: keys.certificate, store, samlOptions: { requestCache, replayCache } });
const provisioner = middleware.provisioners.get(PROVIDER);

const MS = 'http://schemas.microsoft.com/identity/claims/';
const XS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';
/** The claims checkVerifiedAssertion hands the provisioner for bench user u (what the test IdP sends). */
function claims(u) {
  const raw = Object.create(null);
  Object.assign(raw, {
    issuer: 'https://idp.bench.local/saml',
    nameID: `user${u}@contoso.com`,
    nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    sessionIndex: `_s${u}`,
    [`${MS}objectidentifier`]: oid(u),
    [`${MS}tenantid`]: TENANT,
    [`${XS}name`]: `user${u}@contoso.com`,
    [`${XS}emailaddress`]: `user${u}@contoso.com`,
    [`${XS}givenname`]: 'User',
    [`${XS}surname`]: String(u),
    [`${MS}displayname`]: `User ${u}`,
    'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': ['Invoice.Reader', 'Employee'],
  });
  return raw;
}

/** GET /me through the jitSso router with a session whose jit-sso login record holds `userId`; resolves req.user. */
function authenticatedRequest(userId, router = middleware) {
  const session = { jitSso: { provider: PROVIDER, userId } };
  const req = Object.assign(new EventEmitter(), { method: 'GET', url: '/me', originalUrl: '/me', headers: { accept: 'application/json' }, session });
  const res = Object.assign(new EventEmitter(), { locals: {}, setHeader() {}, getHeader() {}, end() {} });
  return new Promise((resolve, reject) => router(req, res, (err) => (err ? reject(err) : resolve(req.user))));
}

async function login(i) {
  clock += LOGIN_INTERVAL_MS;
  const requestId = `saml-request:${PROVIDER}:_r${i}`;
  if (!(await requestCache.add(requestId, new Date(clock).toISOString(), REQUEST_TTL_MS))) throw new Error('request id taken');
  if (i % 20 !== 0 && (await requestCache.take(requestId)) === null) throw new Error('request id lost');
  if (!(await replayCache.add(`saml-assertion:${PROVIDER}:_a${i}`, '1', ASSERTION_TTL_MS))) throw new Error('replayed');
  const result = await provisioner.provisionClaims(claims(i % config.users), { ip: '127.0.0.1' });
  if (result.error) throw result.error;
  const user = await authenticatedRequest(result.user.id);
  if (user?.id !== result.user.id) throw new Error('session user not restored');
}

function measure() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, ...rollup() };
}

/** Anonymous vs file-backed resident memory (Linux), to tell V8 and native heaps from mapped files. */
function rollup() {
  try {
    const text = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (name) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024;
    return { anonymous: kb('Anonymous'), file: kb('Rss') - kb('Anonymous') };
  } catch {
    return {};
  }
}

const checkpoints = [];
const started = performance.now();
let done = 0;
for (const at of config.checkpoints) {
  for (; done < at; done++) await login(done);
  checkpoints.push({ logins: at, seconds: (performance.now() - started) / 1000, ...measure() });
  process.stderr.write(`  memory: ${at.toLocaleString('en-US')} logins, RSS ${(checkpoints.at(-1).rss / 2 ** 20).toFixed(1)} MiB, heap ${(checkpoints.at(-1).heapUsed / 2 ** 20).toFixed(1)} MiB\n`);
}
const users = await store.countUsers();

// The replay cache's own bound: a fresh memoryCache filled to its default max (100,000 live ids),
// i.e. logins arriving faster than max / lifetime (≈ 300 per second for 5.5 minutes).
const before = measure();
const full = memoryCache({ now });
for (let i = 0; i < 100_000; i++) await full.add(`saml-assertion:${PROVIDER}:_${'x'.repeat(40)}${i}`, '1', ASSERTION_TTL_MS);
const after = measure();

// The signed-in-user cache's own bound: a second jitSso middleware whose cache (default max 10,000)
// is filled by one authenticated request for each of 10,000 stored users.
const ids = (await store.listUsers({ limit: 10_000 })).map((u) => u.id);
const second = jitApp({ idpCert: keys.certificate, store }).middleware;
const beforeUsers = measure();
for (const id of ids) await authenticatedRequest(id, second);
const afterUsers = measure();
await close();
process.send({
  checkpoints,
  users,
  intervalMs: LOGIN_INTERVAL_MS,
  fullReplayCache: { rss: after.rss - before.rss, heapUsed: after.heapUsed - before.heapUsed, keep: full !== undefined },
  fullUserCache: { users: ids.length, rss: afterUsers.rss - beforeUsers.rss, heapUsed: afterUsers.heapUsed - beforeUsers.heapUsed, keep: second !== undefined },
});
