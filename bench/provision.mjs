// Provisioning alone, in a child of its own: provisioner.provisionClaims on claims extracted from
// signed responses (lib/claims.mjs), against one store, one login at a time. The first `warmup`
// run untimed; `profile` writes a CPU profile of the measured loop only.
// Input (argv[2], JSON): { claimsFile, warmup, store, roles, provisioning, profile? }.
import fs from 'node:fs';
import { jitProvision, silentLogger } from './lib/jit.mjs';
import { openStore } from './lib/apps.mjs';
import { PROVIDER } from './lib/common.mjs';

const config = JSON.parse(process.argv[2]);
const claims = JSON.parse(fs.readFileSync(config.claimsFile, 'utf8')).map((c) => Object.assign(Object.create(null), c));
const opened = await openStore(config.store, config.roles);
const provisioner = jitProvision({ store: opened.store, provider: PROVIDER, preset: 'entra-saml', provisioning: config.provisioning, logger: silentLogger });
const login = async (raw) => {
  const result = await provisioner.provisionClaims(raw, { ip: '127.0.0.1' });
  if (result.error) throw result.error;
  return result;
};
for (const raw of claims.slice(0, config.warmup)) await login(raw);
const measured = claims.slice(config.warmup);
const times = [];
let changed = 0;
const profiler = config.profile ? await startProfiler() : undefined;
const cpu = process.cpuUsage();
for (const raw of measured) {
  const t0 = performance.now();
  const result = await login(raw);
  times.push(performance.now() - t0);
  if (result.changes.fields.length || result.changes.rolesAdded.length || result.changes.rolesRemoved.length) changed++;
}
const used = process.cpuUsage(cpu);
if (profiler) await profiler.stop(config.profile);
await opened.close();
times.sort((a, b) => a - b);
process.send({
  count: measured.length,
  meanMs: times.reduce((s, t) => s + t, 0) / times.length,
  p50: times[Math.floor(times.length / 2)],
  p99: times[Math.min(times.length - 1, Math.ceil(times.length * 0.99) - 1)],
  cpuMs: (used.user + used.system) / 1000 / measured.length,
  changed,
});

/** With `profile` set: a CPU profile of the measured loop only (the validation before it left out). */
async function startProfiler() {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
