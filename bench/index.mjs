// `npm run bench`: every benchmark of jit-sso in one process tree, printing ratios measured side by
// side in the same run. Servers under test run in child processes (fresh ones per variant); the
// load comes from this process over loopback. Benchmarks measure and print: they are not tests.
//
//   npm run bench                      everything (about 13 minutes on 2 cores; the first run also seeds 1M users)
//   npm run bench -- --quick           smaller counts, one generation of servers
//   npm run bench -- --only login,hostile,requests,scale,memory   (hostile: ~10 s alone)
//   npm run bench -- --cpu-prof        servers write V8 CPU profiles to bench/.data/prof/
//                                      (node bench/lib/profile-summary.mjs <file> sums them up)
//   npm run bench -- --reseed          seed the 1k / 1M databases again
// PostgreSQL variants run when JIT_SSO_PG_URL is set (e.g. postgres://postgres@127.0.0.1:5432/test).
// While investigating: BENCH_VARIANTS=B,C-nc narrows the variants (A always runs), BENCH_GENERATIONS=n
// overrides the number of server generations, JIT_SSO_BENCH_DIST=<dir with index.js, sql.js>
// measures another build of jit-sso (e.g. a candidate fix) in place of dist/, and
// JIT_SSO_BENCH_OTHER_DIST=<such a dir> adds the login suite's jit variants on that build (B*, C*, D*)
// beside this run's, in the same generations: a change measured side by side with the build before it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATA_DIR, fmt, log } from './lib/common.mjs';
import { enableProfiles } from './lib/child.mjs';
import { CLIENT_CPU, pin } from './lib/pin.mjs';
import { pgUrl, removeSqlite, sqlAvailable, dropPgTables, withPg } from './lib/sql.mjs';
import { LOGIN_TARGETS, OWN_CPU_TARGETS, formatLogin, range, runLogin } from './suites/login.mjs';
import { REQUESTS_TARGET, formatRequests, runRequests } from './suites/requests.mjs';
import { SCALE_TARGET, formatScale, runScale } from './suites/scale.mjs';
import { MEMORY_TARGET, formatMemory, runMemory } from './suites/memory.mjs';
import { HOSTILE_TARGET_MS, formatHostile, runHostile } from './suites/hostile.mjs';

const SUITES = ['login', 'hostile', 'requests', 'scale', 'memory'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1] ?? '').split(',').filter(Boolean) : SUITES;
const unknown = only.filter((s) => !SUITES.includes(s));
if (unknown.length || only.length === 0) {
  console.error(`--only takes a comma-separated list of: ${SUITES.join(', ')}`);
  process.exit(2);
}
if (args.includes('--cpu-prof')) enableProfiles(new Date().toISOString().replace(/[:.]/g, '-'));

async function reseed() {
  for (const users of [1_000, 1_000_000]) removeSqlite(path.join(DATA_DIR, `scale-${users}.sqlite`));
  if (pgUrl()) for (const users of [1_000, 1_000_000]) await dropPgTables(pgUrl(), `jsb_scale_${users}_`).then(() => withPg(pgUrl(), (c) => c.query(`drop table if exists "jsb_scale_${users}_bench_seed"`)));
}

async function machine() {
  const cpus = os.cpus();
  const info = {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model ?? 'unknown',
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
  if (pgUrl() && sqlAvailable()) {
    info.postgres = await withPg(pgUrl(), async (c) => (await c.query('show server_version')).rows[0].server_version).catch((err) => `unreachable (${err.message})`);
  }
  return info;
}

const started = performance.now();
fs.mkdirSync(DATA_DIR, { recursive: true });
if (args.includes('--reseed')) await reseed();
const info = await machine();
log(`jit-sso benchmarks${quick ? ' (--quick)' : ''}: ${only.join(', ')} — ${info.nproc} cores, ${info.cpu}, Node ${info.node}`);
if (!sqlAvailable()) log('  jit-sso/sql is not built: SQLite and PostgreSQL parts are skipped');
if (!pgUrl()) log('  JIT_SSO_PG_URL is not set: PostgreSQL parts are skipped');

// The load generator on core 0, each server under test on core 1 (bench/lib/pin.mjs).
const pinned = pin(process.pid, CLIENT_CPU);
if (!pinned) log('  taskset is not available: processes are not pinned to cores');
info.pinning = pinned ? 'load generator on CPU 0, servers under test on CPU 1 (taskset)' : 'none';

const ctx = { quick, results: {} };
const sections = [];
const runners = { login: [runLogin, formatLogin], requests: [runRequests, formatRequests], scale: [runScale, formatScale], memory: [runMemory, formatMemory], hostile: [runHostile, formatHostile] };
let failed = false;
for (const name of SUITES.filter((s) => only.includes(s))) {
  const t0 = performance.now();
  log(`\n== ${name}`);
  const [run, format] = runners[name];
  try {
    sections.push(format(await run(ctx)));
  } catch (err) {
    // One suite failing does not lose the others' figures.
    failed = true;
    log(`  ${name} failed: ${err?.stack ?? err}`);
    sections.push(`### ${name}\n\nFailed: ${String(err?.message ?? err)}`);
  }
  log(`  (${fmt((performance.now() - t0) / 1000, 0)} s)`);
  writeReport();
}
const report = writeReport();
console.log(`\n${report}\n`);
log(`(also written to ${path.relative(process.cwd(), path.join(DATA_DIR, 'last-run.md'))} and last-run.json)`);
if (failed) process.exitCode = 1;

/** The report so far, also written to bench/.data/last-run.md and .json after every suite. */
function writeReport() {
  const header = [
    `## jit-sso benchmarks — ${info.date.slice(0, 10)}${quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${info.nproc} cores (${info.cpu}), ${info.memory}, ${info.os}; Node ${info.node}${info.postgres ? `; PostgreSQL ${info.postgres}` : ''}. Pinning: ${info.pinning}. Total ${fmt((performance.now() - started) / 1000, 0)} s.`,
    '',
  ].join('\n');
  const report = [header, targetsTable(ctx.results), ...sections].join('\n\n');
  fs.writeFileSync(path.join(DATA_DIR, 'last-run.md'), `${report}\n`);
  fs.writeFileSync(path.join(DATA_DIR, 'last-run.json'), JSON.stringify({ info, quick, results: ctx.results }, null, 2));
  return report;
}

function targetsTable(results) {
  const rows = [];
  const row = (what, value, target, met) => rows.push(`| ${what} | ${value} | ${target} | ${met === undefined ? '—' : met ? 'met' : '**missed**'} |`);
  if (results.login) {
    for (const s of results.login.summary.filter((x) => x.id !== 'A' && !x.part)) {
      const target = LOGIN_TARGETS[s.id];
      const what = s.kind === 'bare' ? 'login throughput A′/A (control: a second bare app; 1 on a quiet machine)' : `login throughput ${s.id}/A (${s.label.slice(2)})`;
      row(what, `${fmt(s.ratio)} (${range(s.ratios)})`, target ? `≥ ${target} in every generation` : 'none', target ? Math.min(...s.ratios) >= target : undefined);
    }
    const { inproc } = results.login;
    for (const [store, target] of Object.entries(OWN_CPU_TARGETS)) {
      const own = inproc?.stores?.[store]?.own;
      if (!own) continue;
      const shareOf = own.cpu / inproc.nodeSaml.cpu;
      row(`jit-sso's own CPU per login / node-saml's validation, ${store} (in process)`, `${fmt(100 * shareOf, 1)} %`, `≤ ${100 * target} %`, shareOf <= target);
    }
  }
  if (results.hostile) {
    // Beside the login ratio: the guard that holds these figures is one streaming pass per login.
    for (const r of results.hostile.rows) row(`worst event-loop stall, hostile SAML message, ${r.endpoint}`, `${fmt(r.worstMs, 1)} ms`, `≤ ${HOSTILE_TARGET_MS} ms`, r.worstMs <= HOSTILE_TARGET_MS);
  }
  if (results.requests) {
    for (const s of results.requests.summary.filter((x) => x.id !== 'A')) {
      // A target only with the user cache: without it every request reads the store, which is not free.
      const cached = !s.id.endsWith('-nc');
      row(`GET /me throughput ${s.id}/A (${s.label.slice(2)})`, `${fmt(s.ratio)} (${range(s.ratios)})`, cached ? `≥ ${REQUESTS_TARGET} in every generation` : 'none', cached ? Math.min(...s.ratios) >= REQUESTS_TARGET : undefined);
    }
  }
  if (results.scale && !results.scale.skipped) {
    for (const r of results.scale.rows) {
      if (r.kind === 'users') row(`login p50 1M/1k users, ${r.backend} (${r.state})`, `${fmt(r.ratio)} (provisioning alone ${fmt(r.provRatio)})`, `≤ ${SCALE_TARGET}`, r.ratio <= SCALE_TARGET);
      else row(`login p50 500/5 groups, ${r.backend}`, `${fmt(r.ratio)} (provisioning alone ${fmt(r.provRatio)})`, 'none', undefined);
    }
  }
  if (results.memory && !results.memory.skipped) {
    const m = results.memory;
    const first = m.checkpoints[0].logins;
    const last = m.checkpoints.at(-1).logins;
    row(`RSS after ${last.toLocaleString('en-US')} / ${first.toLocaleString('en-US')} logins (heap)`, `${fmt(m.rssRatio)} (${fmt(m.heapRatio)})`, `flat: ≤ ${MEMORY_TARGET}`, m.rssRatio <= MEMORY_TARGET);
  }
  return ['### Targets', '', '| measure | value | target | |', '|---|---:|---|---|', ...rows].join('\n');
}
