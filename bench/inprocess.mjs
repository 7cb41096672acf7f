// In-process timings, in a child of its own: node-saml's validation alone, and jit-sso's own work
// per login alone: the message prechecks (runtime.precheckCallback: text only), the checks after
// node-saml — the one parse of the message, the algorithm allow-list, the checks, the replay cache
// (the provider's verify callback, with a provisioner that answers at once) — and
// provisioning (provisioner.provisionClaims: normalise, gate, plan, apply, audit) on each store.
// Input (argv[2], JSON): { responsesFile, idpCert, users, warmup, count, stores: [{ type, ... }] }.
import fs from 'node:fs';
import { SAML } from '@node-saml/node-saml';
import { jitProvision, samlProvider, silentLogger } from './lib/jit.mjs';
import { nodeSamlConfig, openStore } from './lib/apps.mjs';
import { rawClaims } from './lib/claims.mjs';
import { APP_ROLES, ASSERTION_LIFETIME_MS, CALLBACK_URL, IDP_ENTRY, IDP_ISSUER, PROVIDER, SP_ENTITY_ID } from './lib/common.mjs';

const config = JSON.parse(process.argv[2]);
const responses = JSON.parse(fs.readFileSync(config.responsesFile, 'utf8'));
const { warmup, count } = config;
const measured = responses.slice(warmup, warmup + count);
const provisioning = config.provisioning ?? { createUsers: true, sync: 'every-login' };
const req = { headers: {}, ip: '127.0.0.1' };

/** Mean wall and CPU time per call of `fn(item)` over `items`, in ms, after `fn` ran on `warm` first. */
async function perCall(items, fn, warm = []) {
  for (const item of warm) await fn(item);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (const item of items) await fn(item);
  const wall = (performance.now() - t0) / items.length;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 / items.length };
}

/** The pass with the median wall time of `passes` runs of `run()` (each a perCall result). */
async function medianOf(passes, run) {
  const results = [];
  for (let i = 0; i < passes; i++) results.push(await run());
  return results.sort((x, y) => x.wall - y.wall)[Math.floor(passes / 2)];
}

const plus = (a, b) => ({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu });
const PASSES = 3;
const stubUser = { id: '00000000-0000-4000-8000-000000000001', username: 'u', roles: [] };
const stubProvisioner = { provisionClaims: async () => ({ user: stubUser, outcome: 'existing-user', changes: { fields: [], rolesAdded: [], rolesRemoved: [], rolesSkipped: [] } }) };
const mountProvider = (provisioner) =>
  samlProvider({
    id: PROVIDER, preset: 'entra-saml', entryPoint: IDP_ENTRY, idpIssuer: IDP_ISSUER, idpCert: config.idpCert,
    spEntityId: SP_ENTITY_ID, callbackUrl: CALLBACK_URL, allowUnsolicited: true, maxAssertionAgeMs: ASSERTION_LIFETIME_MS,
  }).mount({ provisioner, logger: silentLogger });

const out = {};
// jit-sso's prechecks first, while the heap is small (as in a server).
{
  const runtime = mountProvider(stubProvisioner);
  const precheck = (b64) => runtime.precheckCallback({ body: { SAMLResponse: b64 } });
  out.precheck = await medianOf(PASSES, () => perCall(measured, precheck, responses.slice(0, 100)));
}

const saml = new SAML(nodeSamlConfig(config.idpCert));
const validate = (b64) => saml.validatePostResponseAsync({ SAMLResponse: b64 });
out.nodeSaml = await perCall(measured, validate, responses.slice(0, Math.min(warmup, 100)));
const profiles = [];
for (const b64 of responses) profiles.push((await validate(b64)).profile);
const claims = profiles.map(rawClaims);

// The checks after node-saml and the replay cache alone: the verify callback with a provisioner
// that answers at once; a fresh provider (and replay cache) per pass.
// Each login's browser-binding claim (an unsolicited response here) is made first, as the ACS route does.
const verifyWith = (runtime) => async (profile) => {
  await runtime.claimCallback(req);
  return new Promise((resolve, reject) =>
    runtime.strategy._signonVerify(req, profile, (err, user, info) => (err ? reject(err) : user ? resolve() : reject(new Error(`refused: ${info?.reason ?? info?.code}`)))),
  );
};
const checksPass = () => perCall(profiles.slice(warmup, warmup + count), verifyWith(mountProvider(stubProvisioner)), profiles.slice(0, warmup));
out.checks = await medianOf(PASSES, checksPass);

out.stores = {};
for (const spec of config.stores) {
  const opened = await openStore(spec, APP_ROLES);
  const provisioner = jitProvision({ store: opened.store, provider: PROVIDER, preset: 'entra-saml', provisioning, logger: silentLogger });
  const login = async (raw) => {
    const result = await provisioner.provisionClaims(raw, { ip: '127.0.0.1' });
    if (result.error) throw result.error;
  };
  // Warm-up logs every user in once (creates them); the measured logins are of existing users, as
  // in the HTTP benchmark.
  for (const raw of claims.slice(0, warmup)) await login(raw);
  const provision = await medianOf(PASSES, () => perCall(claims.slice(warmup, warmup + count), login));
  // As in a server: each login after a node-saml validation (not timed), which leaves the CPU caches
  // and V8's inline caches to node-saml's code; only provisionClaims is timed.
  const between = async () => {
    let wall = 0;
    let cpu = 0;
    for (let i = warmup; i < warmup + count; i++) {
      await validate(responses[i]);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await login(claims[i]);
      wall += performance.now() - t0;
      const used = process.cpuUsage(cpu0);
      cpu += (used.user + used.system) / 1000;
    }
    return { wall: wall / count, cpu: cpu / count };
  };
  const provisionBetween = await medianOf(PASSES, between);
  out.stores[spec.label] = { provision, provisionBetween, own: plus(plus(out.precheck, out.checks), provision) };
  await opened.close();
}
process.send(out);
