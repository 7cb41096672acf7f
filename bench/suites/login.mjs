// 1. Login: pre-signed IdP-initiated responses posted over loopback HTTP to A (bare passport-saml),
// B (jitSso + memory), C (+ SQLite), D (+ PostgreSQL); then node-saml's validation alone and
// jit-sso's own work alone, in process.
import fs from 'node:fs';
import path from 'node:path';
import { fork } from 'node:child_process';
import { APP_ROLES, BENCH_DIR, CALLBACK_PATH, DATA_DIR, benchUser, fmt, fmtInt, log } from '../lib/common.mjs';
import { startServer } from '../lib/child.mjs';
import { FORM, runLoad, samlPostBody } from '../lib/load.mjs';
import { idpKeys, signResponses } from '../lib/sign.mjs';
import { freshStore, loginVariants } from '../lib/variants.mjs';

export const LOGIN_TARGETS = { B: 0.95, C: 0.9 };

/** The sizes of a run. */
export function loginSizes(quick) {
  return quick ? { users: 150, measured: 600, rounds: 1, concurrency: 8, inproc: 300 } : { users: 300, measured: 1200, rounds: 2, concurrency: 8, inproc: 600 };
}

/**
 * Signed responses for the login benchmark: the first `users` are each user's first login (the
 * warm-up, which creates them), the rest cycle through the same users (existing-user logins).
 */
export async function loginResponses(sizes) {
  const total = sizes.users + Math.max(sizes.measured, sizes.inproc);
  const started = performance.now();
  const responses = await signResponses(Array.from({ length: total }, (_, i) => benchUser(i % sizes.users)));
  log(`  signed ${responses.length} responses in ${fmt((performance.now() - started) / 1000, 1)} s`);
  return responses;
}

export async function runLogin(ctx) {
  const sizes = loginSizes(ctx.quick);
  const keys = await idpKeys();
  const responses = ctx.responses ?? (ctx.responses = await loginResponses(sizes));
  const bodies = responses.map((b64) => samlPostBody(b64));
  const request = (i) => ({ method: 'POST', path: CALLBACK_PATH, headers: FORM, body: bodies[i] });
  const variants = loginVariants();
  const runs = new Map(variants.map((v) => [v.id, []]));

  for (let round = 1; round <= sizes.rounds; round++) {
    for (const v of variants) {
      const store = v.kind === 'jit' ? await freshStore(v.store, `login${v.id}`) : undefined;
      const server = await startServer({ kind: v.kind, idpCert: keys.certificate, store: store?.spec, roles: APP_ROLES }, `login-${v.id}`);
      try {
        const expect = (status) => status === 303;
        const warm = await runLoad({ port: server.port, request, from: 0, count: sizes.users, concurrency: sizes.concurrency, expect });
        if (warm.errors) throw new Error(`${v.label}: warm-up logins failed: ${warm.firstError}`);
        const cpu0 = await server.cpuSeconds();
        const r = await runLoad({ port: server.port, request, from: sizes.users, count: sizes.measured, concurrency: sizes.concurrency, expect });
        const cpu1 = await server.cpuSeconds();
        if (r.errors) throw new Error(`${v.label}: ${r.errors} logins failed: ${r.firstError}`);
        r.serverCpuMs = ((cpu1 - cpu0) * 1000) / sizes.measured;
        runs.get(v.id).push(r);
        log(`  round ${round} ${v.label}: ${fmt(r.rps, 1)} logins/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, server CPU ${fmt(r.serverCpuMs)} ms/login`);
      } finally {
        await server.stop();
        await store?.cleanup();
      }
    }
  }

  const summary = variants.map((v) => {
    const rs = runs.get(v.id);
    const mean = (key) => rs.reduce((s, r) => s + r[key], 0) / rs.length;
    return { ...v, rps: mean('rps'), p50: mean('p50'), p99: mean('p99'), serverCpuMs: mean('serverCpuMs'), clientCpu: mean('clientCpu'), rounds: rs };
  });
  const a = summary.find((s) => s.id === 'A');
  for (const s of summary) {
    // Per round, each variant against the A of the same round; then the mean of those ratios.
    s.ratio = s.rounds.reduce((sum, r, i) => sum + r.rps / a.rounds[i].rps, 0) / s.rounds.length;
    s.cpuRatio = a.serverCpuMs / s.serverCpuMs;
  }

  const inproc = await runInProcess(ctx, sizes, responses, keys, variants);
  const result = { sizes, summary, inproc };
  ctx.results.login = result;
  return result;
}

/** node-saml alone and jit-sso's own work alone, in a fresh child process. */
async function runInProcess(ctx, sizes, responses, keys, variants) {
  const dir = path.join(DATA_DIR, 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `responses-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(responses.slice(0, sizes.users + sizes.inproc)));
  const stores = [];
  for (const v of variants.filter((x) => x.kind === 'jit')) stores.push({ ...(await freshStore(v.store, `inproc${v.id}`)), label: v.store });
  try {
    const child = fork(path.join(BENCH_DIR, 'inprocess.mjs'), [JSON.stringify({ responsesFile: file, idpCert: keys.certificate, warmup: sizes.users, count: sizes.inproc, stores: stores.map((s) => ({ ...s.spec, label: s.label })) })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`in-process timing exited (${code})`)));
    });
  } finally {
    fs.rmSync(file, { force: true });
    for (const s of stores) await s.cleanup();
  }
}

export function formatLogin({ sizes, summary, inproc }) {
  const lines = [];
  lines.push(`### 1. Login (${sizes.users} users, ${fmtInt(sizes.measured)} measured existing-user logins per variant after ${sizes.users} first logins, concurrency ${sizes.concurrency}, ${sizes.rounds} round(s))`, '');
  lines.push('| variant | logins/s | p50 ms | p99 ms | server CPU ms/login | throughput ratio vs A | CPU-cost ratio A/x |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const s of summary) lines.push(`| ${s.label} | ${fmt(s.rps, 1)} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} | ${fmt(s.serverCpuMs)} | ${s.id === 'A' ? '1' : fmt(s.ratio)} | ${s.id === 'A' ? '1' : fmt(s.cpuRatio)} |`);
  lines.push('', `In process, per login (mean of ${sizes.inproc}; CPU ms, wall ms in brackets where they differ):`, '');
  lines.push('| part | memory | SQLite | PostgreSQL |', '|---|---:|---:|---:|');
  const cell = (store, key) => {
    const s = inproc.stores[store];
    if (!s) return '—';
    return Math.abs(s[key].wall - s[key].cpu) > 0.1 * s[key].cpu + 0.02 ? `${fmt(s[key].cpu, 3)} (${fmt(s[key].wall, 3)})` : fmt(s[key].cpu, 3);
  };
  const same = (v) => `${fmt(v.cpu, 3)} | ${fmt(v.cpu, 3)} | ${fmt(v.cpu, 3)}`;
  lines.push(`| node-saml validatePostResponseAsync alone | ${same(inproc.nodeSaml)} |`);
  lines.push(`| jit-sso prechecks (size, DOCTYPE, comments, algorithm allow-list: one DOM parse) | ${same(inproc.precheck)} |`);
  lines.push(`| jit-sso post-validation checks + replay cache (verify callback, provisioner stubbed) | ${same(inproc.checks)} |`);
  lines.push(`| jit-sso provisioning alone: provisionClaims (normalise, gate, plan, apply, audit) | ${cell('memory', 'provision')} | ${cell('sqlite', 'provision')} | ${cell('postgres', 'provision')} |`);
  lines.push(`| **jit-sso's own work, total** | ${cell('memory', 'own')} | ${cell('sqlite', 'own')} | ${cell('postgres', 'own')} |`);
  lines.push(`| own work as a share of node-saml's | ${share(inproc, 'memory')} | ${share(inproc, 'sqlite')} | ${share(inproc, 'postgres')} |`);
  return lines.join('\n');
}

function share(inproc, store) {
  const s = inproc.stores[store];
  return s ? `${fmt((100 * s.own.cpu) / inproc.nodeSaml.cpu, 1)} %` : '—';
}
