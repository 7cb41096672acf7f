// 1. Login: pre-signed IdP-initiated responses posted over loopback HTTP to A (bare passport-saml),
// B (jitSso + memory), C (+ SQLite), D (+ PostgreSQL); then node-saml's validation alone and
// jit-sso's own work alone, in process.
import fs from 'node:fs';
import path from 'node:path';
import { fork } from 'node:child_process';
import { APP_ROLES, BENCH_DIR, CALLBACK_PATH, DATA_DIR, benchUser, fmt, fmtInt, log, median, percentile } from '../lib/common.mjs';
import { startServer } from '../lib/child.mjs';
import { FORM, runLoad, samlPostBody } from '../lib/load.mjs';
import { idpKeys, signResponses } from '../lib/sign.mjs';
import { freshStore, loginVariants } from '../lib/variants.mjs';
import { sideBySide } from '../lib/interleave.mjs';

/**
 * Server throughput against the bare app, met only when every generation's ratio reaches it: targets sit
 * outside the bench's noise floor (A′/A swings 1.00–1.07), not inside it.
 */
export const LOGIN_TARGETS = { B: 0.9, C: 0.85 };
/**
 * jit-sso's own CPU per login (prechecks + checks + provisioning, timed in process) as a share of node-saml's
 * validation of the same response: the stable measure of what jit-sso adds.
 */
export const OWN_CPU_TARGETS = { memory: 0.05, sqlite: 0.1 };

/**
 * The sizes of a run: in each generation, a fresh server per variant, each user's first login as
 * warm-up, then `rounds` interleaved bursts of `burst` logins per variant.
 */
export function loginSizes(quick) {
  return quick ? { users: 150, generations: 1, burst: 100, rounds: 4, concurrency: 8, inproc: 300 } : { users: 200, generations: 5, burst: 100, rounds: 3, concurrency: 8, inproc: 600 };
}

/**
 * Signed responses for the login benchmark: the first `users` are each user's first login (the
 * warm-up, which creates them), the rest cycle through the same users (existing-user logins).
 */
export async function loginResponses(sizes) {
  const total = sizes.users + Math.max(sizes.burst * sizes.rounds, sizes.inproc);
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
  const expect = (status) => status === 303;
  const variants = loginVariants({ control: true, parts: true, others: true });
  // Each server has its own store and replay cache, so the same signed responses serve them all.
  const start = async (v, g) => {
    const store = v.kind === 'jit' ? await freshStore(v.store, `login${v.id.replace('*', 'o')}`) : undefined;
    const server = await startServer({ kind: v.kind, idpCert: keys.certificate, store: store && v.synchronous ? { ...store.spec, synchronous: v.synchronous } : store?.spec, roles: APP_ROLES, samlChecks: v.samlChecks, stubProvisioning: v.stubProvisioning, dist: v.dist }, `login-${v.id}-${g}`);
    const warm = await runLoad({ port: server.port, request, from: 0, count: sizes.users, concurrency: sizes.concurrency, expect });
    if (warm.errors) throw new Error(`${v.label}: warm-up logins failed: ${warm.firstError}`);
    // Provisioning timed inside the server: the measured logins only.
    const timed = v.kind === 'jit' && !v.stubProvisioning;
    if (timed) await server.provisionTimes({ reset: true });
    return { server, request, expect, next: sizes.users, cleanup: () => store?.cleanup(), ...(timed ? { collect: async () => timeStats(await server.provisionTimes()) } : {}) };
  };
  const summary = await sideBySide({
    variants, baseline: 'A', generations: Number(process.env.BENCH_GENERATIONS ?? sizes.generations), start, rounds: sizes.rounds, burst: sizes.burst, concurrency: sizes.concurrency,
    onGeneration: (g, m) => log(`  generation ${g + 1}: ${variants.map((v) => `${v.id} ${fmt(m[v.id].rps, 1)}/s (${fmt(m[v.id].serverCpuMs)} ms CPU)`).join(', ')}`),
  });
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
  for (const v of variants.filter((x) => x.kind === 'jit' && !x.part)) stores.push({ ...(await freshStore(v.store, `inproc${v.id}`)), label: v.store });
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
  lines.push(`### 1. Login (${sizes.users} users; ${sizes.generations} generation(s) of fresh servers; in each, after every user's first login, ${fmtInt(sizes.rounds * sizes.burst)} existing-user logins per variant in ${sizes.rounds} interleaved bursts of ${sizes.burst}, concurrency ${sizes.concurrency}; medians over generations)`, '');
  lines.push('| variant | logins/s | p50 ms | p99 ms | server CPU ms/login | throughput ratio vs A (range over generations) | CPU-cost ratio A/x |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const s of summary) lines.push(`| ${s.label} | ${fmt(s.rps, 1)} | ${fmt(s.p50, 1)} | ${fmt(s.p99, 1)} | ${fmt(s.serverCpuMs)} | ${s.id === 'A' ? '1' : `${fmt(s.ratio)} (${range(s.ratios)})`} | ${s.id === 'A' ? '1' : fmt(s.cpuRatio)} |`);
  lines.push('', `In process, one login at a time (node-saml: mean over ${sizes.inproc} responses; jit-sso parts: median of 3 passes over them). Wall ms, and in brackets the process CPU ms, which adds V8's helper threads (concurrent GC, compilation):`, '');
  lines.push('| part | memory | SQLite | PostgreSQL |', '|---|---:|---:|---:|');
  const t = (v) => `${fmt(v.wall, 3)} (${fmt(v.cpu, 3)})`;
  const cell = (store, key) => (inproc.stores[store] ? t(inproc.stores[store][key]) : '—');
  const same = (v) => `${t(v)} | ${t(v)} | ${t(v)}`;
  lines.push(`| node-saml validatePostResponseAsync alone | ${same(inproc.nodeSaml)} |`);
  lines.push(`| jit-sso prechecks before node-saml (base64, DOCTYPE, comments, the streaming XML guard: no DOM) | ${same(inproc.precheck)} |`);
  lines.push(`| jit-sso checks after node-saml: the one DOM parse, algorithm allow-list, Destination … attributes, replay cache (verify callback, provisioner stubbed) | ${same(inproc.checks)} |`);
  lines.push(`| jit-sso provisioning alone: provisionClaims (normalise, gate, plan, apply, audit) | ${cell('memory', 'provision')} | ${cell('sqlite', 'provision')} | ${cell('postgres', 'provision')} |`);
  lines.push(`| the same provisioning, each call right after a node-saml validation (caches left to node-saml, as in a server) | ${cell('memory', 'provisionBetween')} | ${cell('sqlite', 'provisionBetween')} | ${cell('postgres', 'provisionBetween')} |`);
  lines.push(`| **jit-sso's own work, total** (prechecks + checks + provisioning back to back) | ${cell('memory', 'own')} | ${cell('sqlite', 'own')} | ${cell('postgres', 'own')} |`);
  lines.push(`| own work as a share of node-saml's (wall) | ${share(inproc, 'memory')} | ${share(inproc, 'sqlite')} | ${share(inproc, 'postgres')} |`);
  const bare = summary.find((s) => s.id === 'A');
  if (bare) lines.push(`| login ratio these parts imply: A's server CPU per login / (A's + own work's CPU) | ${implied(inproc, bare, 'memory')} | ${implied(inproc, bare, 'sqlite')} | ${implied(inproc, bare, 'postgres')} |`);
  const parts = attribution(summary);
  if (parts.length) {
    lines.push('', "Where a jitSso login's server CPU goes beyond A's, from the attribution servers of the same run (AP: A with jit-sso's SAML strategy in place of passport-saml's; B0: B; both with provisioning answered at once). Each step is the median over generations of that generation's difference in server CPU per login:", '');
    lines.push('| step | server CPU ms/login (range over generations) | share of A\'s login | ratio A/x up to this step |', '|---|---:|---:|---:|');
    for (const p of parts) lines.push(`| ${p.label} | ${fmt(p.ms)} (${fmt(Math.min(...p.all))} to ${fmt(Math.max(...p.all))}) | ${fmt(p.share * 100, 1)} % | ${fmt(p.upTo)} |`);
  }
  const timed = provisioningInServers(summary);
  if (timed.length) {
    lines.push('', "The verify callback's call of `provisionClaims`, timed inside each server over its measured logins (wall ms per call; medians over generations). The median is what one call costs there; the mean adds the calls into which a garbage collection fell (and on PostgreSQL the other logins' work that runs while a call waits for the database):", '');
    lines.push('| variant | calls | median | p90 | mean |', '|---|---:|---:|---:|---:|');
    for (const t of timed) lines.push(`| ${t.label} | ${fmtInt(t.count)} | ${fmt(t.p50, 3)} | ${fmt(t.p90, 3)} | ${fmt(t.mean, 3)} |`);
  }
  return lines.join('\n');
}

/**
 * B's (and C's, D's) server CPU over A's, step by step: jit-sso's SAML checks (AP − A), jitSso's
 * request handling (B0 − AP), provisioning on each store (B − B0, C − B0, D − B0). Per generation,
 * since servers of one generation share the machine's state; medians over generations.
 */
export function attribution(summary) {
  const byId = Object.fromEntries(summary.map((s) => [s.id, s]));
  if (!byId.A || !byId.AP || !byId.B0) return [];
  const cpu = (id, g) => byId[id].generations[g].serverCpuMs;
  const gens = byId.A.generations.map((_, g) => g);
  const step = (label, to, from) => {
    const all = gens.map((g) => cpu(to, g) - cpu(from, g));
    return { label, all, ms: median(all), share: median(gens.map((g) => all[g] / cpu('A', g))), upTo: median(gens.map((g) => cpu('A', g) / cpu(to, g))) };
  };
  const rows = [step("jit-sso's SAML checks: text prechecks, one DOM parse of the message, algorithm allow-list, checks after node-saml, replay cache (AP − A)", 'AP', 'A'), step("jitSso's routes, its Passport instance, the session's SSO record (B0 − AP)", 'B0', 'AP')];
  for (const [id, store] of [['B', 'memory'], ['C', 'SQLite'], ['D', 'PostgreSQL']]) if (byId[id]) rows.push(step(`provisioning on ${store} (${id} − B0)`, id, 'B0'));
  if (byId.C && byId.CN) rows.push(step("of which SQLite's durable commit: synchronous 'full' over 'normal' (C − CN)", 'C', 'CN'));
  return rows;
}

/** Median, p90 and mean of one server's provisionClaims times (ms). */
function timeStats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), mean: sorted.reduce((sum, t) => sum + t, 0) / sorted.length };
}

/** Per jit server with real provisioning: the medians over generations of its provisionClaims time statistics. */
export function provisioningInServers(summary) {
  return summary
    .filter((s) => s.generations.some((g) => g.collected))
    .map((s) => {
      const stats = s.generations.map((g) => g.collected).filter(Boolean);
      const med = (key) => median(stats.map((x) => x[key]));
      return { id: s.id, label: s.label, count: med('count'), p50: med('p50'), p90: med('p90'), mean: med('mean') };
    });
}

/** What B/A, C/A, D/A would be if a jitSso login cost the bare app's login plus jit-sso's own work as timed alone. */
function implied(inproc, bare, store) {
  const s = inproc.stores[store];
  return s ? fmt(bare.serverCpuMs / (bare.serverCpuMs + s.own.cpu)) : '—';
}

/** The spread of per-burst ratios, as 'min–max'. */
export function range(values) {
  return `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;
}

function share(inproc, store) {
  const s = inproc.stores[store];
  return s ? `${fmt((100 * s.own.wall) / inproc.nodeSaml.wall, 1)} %` : '—';
}
