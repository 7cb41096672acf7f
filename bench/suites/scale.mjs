// 3. Scale: login latency with 1,000 vs 1,000,000 users in SQLite and PostgreSQL (seeded in bulk
// SQL, reused across runs), and for a user in 5 vs 500 groups (every-login sync, each group mapped
// to an existing role). Logins one at a time (concurrency 1): latency without queueing.
// Each backend runs twice per size: with the database files evicted from the OS page cache first
// ("cold": dd iflag=nocache) and read into it first ("warm") — for PostgreSQL when its files are
// local and readable, else as found.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, fork } from 'node:child_process';
import { APP_ROLES, BENCH_DIR, CALLBACK_PATH, DATA_DIR, benchUser, fmt, log } from '../lib/common.mjs';
import { startServer } from '../lib/child.mjs';
import { claimsOf } from '../lib/claims.mjs';
import { FORM, runLoad, samlPostBody } from '../lib/load.mjs';
import { idpKeys, signResponses } from '../lib/sign.mjs';
import { seededPostgres, seededSqlite } from '../lib/seed.mjs';
import { pgUrl, sqlAvailable, withPg } from '../lib/sql.mjs';
import { freshStore } from '../lib/variants.mjs';

export const SCALE_TARGET = 1.2;
const SMALL = 1_000;
const LARGE = 1_000_000;

export function scaleSizes(quick) {
  return quick ? { warmup: 50, measured: 200, rounds: 1, groupUsers: 10, groupLogins: 100 } : { warmup: 100, measured: 300, rounds: 2, groupUsers: 20, groupLogins: 150 };
}

/** A reproducible pseudo-random sequence (mulberry32). */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct seeded user indexes spread over [0, users). */
function sampleUsers(users, count, seed) {
  const next = random(seed);
  const picked = new Set();
  while (picked.size < Math.min(count, users)) picked.add(Math.floor(next() * users));
  return [...picked];
}

const groupNames = (n) => Array.from({ length: n }, (_, g) => `grp-${String(g + 1).padStart(3, '0')}`);

/**
 * Puts database files in the OS page cache ('warm': read through once) or evicts them ('cold':
 * dd iflag=nocache, which asks the kernel to drop that file's cached pages); false when this system
 * cannot (no dd, files not readable, a remote PostgreSQL).
 */
function setCacheState(files, state) {
  try {
    for (const file of files) {
      if (state === 'cold') execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
      else {
        const fd = fs.openSync(file, 'r');
        const buf = Buffer.allocUnsafe(8 << 20);
        while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
        fs.closeSync(fd);
      }
    }
    return files.length > 0;
  } catch {
    return false;
  }
}

/** The files of a SQLite database. */
const sqliteFiles = (filename) => [filename, `${filename}-wal`].filter((f) => fs.existsSync(f));

/** The data files of every table and index of a PostgreSQL store (local server, readable files), or []. */
async function postgresFiles(url, prefix) {
  try {
    return await withPg(url, async (c) => {
      const dir = (await c.query(`select current_setting('data_directory') as d`)).rows[0].d;
      const rels = await c.query(`select pg_relation_filepath(oid) as f from pg_class where relname like $1 and relkind in ('r', 'i', 't')`, [`${prefix.replace(/_/g, '\\_')}%`]);
      const files = [];
      for (const { f } of rels.rows) {
        if (!f) continue;
        const base = path.join(dir, f);
        for (const name of fs.readdirSync(path.dirname(base))) if (name === path.basename(base) || name.startsWith(`${path.basename(base)}.`)) files.push(path.join(path.dirname(base), name));
      }
      return files;
    });
  } catch {
    return [];
  }
}

export async function runScale(ctx) {
  if (!sqlAvailable()) {
    log('  scale: jit-sso/sql is not built; skipped');
    return (ctx.results.scale = { skipped: 'jit-sso/sql not available' });
  }
  const sizes = scaleSizes(ctx.quick);
  const keys = await idpKeys();
  const backends = [{ type: 'sqlite', label: 'SQLite' }, ...(pgUrl() ? [{ type: 'postgres', label: 'PostgreSQL' }] : [])];
  const perSize = sizes.warmup + sizes.measured;

  const dbs = {};
  for (const b of backends) {
    for (const users of [SMALL, LARGE]) {
      if (b.type === 'sqlite') {
        fs.mkdirSync(DATA_DIR, { recursive: true });
        const filename = path.join(DATA_DIR, `scale-${users}.sqlite`);
        dbs[`${b.type}-${users}`] = { seed: await seededSqlite(filename, users, APP_ROLES), spec: { type: 'sqlite', filename } };
      } else {
        const prefix = `jsb_scale_${users}_`;
        dbs[`${b.type}-${users}`] = { seed: await seededPostgres(pgUrl(), prefix, users, APP_ROLES), spec: { type: 'postgres', url: pgUrl(), prefix } };
      }
    }
  }

  // Logins of distinct seeded users: the same user indexes for both backends, other ones per size.
  const signed = {};
  const claims = {};
  for (const [users, seed] of [[SMALL, 1], [LARGE, 2]]) {
    signed[users] = await signResponses(sampleUsers(users, perSize, seed).map((i) => benchUser(i)));
    claims[users] = await claimsOf(signed[users], keys.certificate);
  }

  for (const db of Object.values(dbs)) {
    db.files = db.spec.type === 'sqlite' ? async () => sqliteFiles(db.spec.filename) : () => postgresFiles(db.spec.url, db.spec.prefix);
  }
  const rows = [];
  for (const b of backends) {
    // The OS page cache holding the database files or not; PostgreSQL's shared_buffers stay as they are.
    const canSet = (await dbs[`${b.type}-${LARGE}`].files()).length > 0;
    const states = canSet ? ['cold', 'warm'] : ['as found'];
    for (const state of states) {
      const runs = { [SMALL]: [], [LARGE]: [] };
      let stateOk = true;
      for (let round = 1; round <= sizes.rounds && stateOk; round++) {
        for (const users of [SMALL, LARGE]) {
          const spec = dbs[`${b.type}-${users}`].spec;
          if (state !== 'as found' && !setCacheState(await dbs[`${b.type}-${users}`].files(), state)) stateOk = false;
          if (!stateOk) break;
          const r = await loginLatency({ keys, spec, responses: signed[users], sizes, name: `scale-${b.type}-${users}` });
          runs[users].push(r);
          log(`  round ${round} ${b.label} (${state}) ${users.toLocaleString('en-US')} users: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, mean ${fmt(r.mean)} ms`);
        }
      }
      if (!stateOk) {
        log(`  ${b.label}: cannot make the page cache ${state} here; skipped`);
        continue;
      }
      const avg = (rs, k) => rs.reduce((s, r) => s + r[k], 0) / rs.length;
      const pick = (rs) => ({ p50: avg(rs, 'p50'), p99: avg(rs, 'p99'), mean: avg(rs, 'mean') });
      rows.push({ kind: 'users', backend: b.label, state, small: pick(runs[SMALL]), large: pick(runs[LARGE]) });
    }
    // Provisioning alone, on the seeded databases with their files in the page cache.
    const prov = {};
    for (const users of [SMALL, LARGE]) {
      const spec = dbs[`${b.type}-${users}`].spec;
      if (canSet) setCacheState(await dbs[`${b.type}-${users}`].files(), 'warm');
      prov[users] = await provisionTiming({ spec, claims: claims[users], warmup: sizes.warmup, roles: APP_ROLES, provisioning: { createUsers: true, sync: 'every-login' } });
    }
    for (const row of rows.filter((r) => r.backend === b.label)) Object.assign(row, { provSmall: prov[SMALL], provLarge: prov[LARGE] });
  }
  for (const r of rows) Object.assign(r, { ratio: r.large.p50 / r.small.p50, meanRatio: r.large.mean / r.small.mean, provRatio: r.provLarge.meanMs / r.provSmall.meanMs });

  // 5 vs 500 groups, on a fresh store per backend and size.
  const roles = [...APP_ROLES, ...groupNames(500).map((g) => `Role-${g.slice(4)}`)];
  const roleMap = Object.fromEntries(groupNames(500).map((g) => [g, `Role-${g.slice(4)}`]));
  const provisioning = { createUsers: true, sync: 'every-login', roleMap };
  const groupSigned = {};
  const groupClaims = {};
  for (const [n, base] of [[5, 500_000], [500, 600_000]]) {
    const users = Array.from({ length: sizes.groupUsers + sizes.groupLogins }, (_, k) => benchUser(base + (k % sizes.groupUsers), { groups: groupNames(n) }));
    groupSigned[n] = await signResponses(users);
    const distinct = await claimsOf(groupSigned[n].slice(0, sizes.groupUsers), keys.certificate);
    groupClaims[n] = users.map((_, k) => distinct[k % sizes.groupUsers]);
  }
  for (const b of backends) {
    const res = {};
    for (const n of [5, 500]) {
      const store = await freshStore(b.type, `groups${n}`);
      try {
        res[n] = await loginLatency({ keys, spec: store.spec, responses: groupSigned[n], sizes: { warmup: sizes.groupUsers, measured: sizes.groupLogins }, name: `groups-${b.type}-${n}`, roles, provisioning });
      } finally {
        await store.cleanup();
      }
      const store2 = await freshStore(b.type, `groupsp${n}`);
      try {
        res[n].prov = await provisionTiming({ spec: store2.spec, claims: groupClaims[n], warmup: sizes.groupUsers, roles, provisioning });
      } finally {
        await store2.cleanup();
      }
      log(`  ${b.label} ${n} groups: login p50 ${fmt(res[n].p50)} ms; provisioning alone ${fmt(res[n].prov.meanMs, 3)} ms`);
    }
    rows.push({ kind: 'groups', backend: b.label, state: '', small: res[5], large: res[500], ratio: res[500].p50 / res[5].p50, meanRatio: res[500].mean / res[5].mean, provSmall: res[5].prov, provLarge: res[500].prov, provRatio: res[500].prov.meanMs / res[5].prov.meanMs });
  }
  const seeds = Object.entries(dbs).map(([key, d]) => ({ key, ...d.seed }));
  const result = { sizes, rows, seeds };
  ctx.results.scale = result;
  return result;
}

/** Logins one at a time against a fresh server on `spec`: the first `warmup` responses untimed. */
async function loginLatency({ keys, spec, responses, sizes, name, roles = APP_ROLES, provisioning }) {
  const server = await startServer({ kind: 'jit', idpCert: keys.certificate, store: spec, roles, ...(provisioning ? { provisioning } : {}) }, name);
  try {
    const bodies = responses.map((b64) => samlPostBody(b64));
    const request = (i) => ({ method: 'POST', path: CALLBACK_PATH, headers: FORM, body: bodies[i] });
    const expect = (status) => status === 303;
    const warm = await runLoad({ port: server.port, request, from: 0, count: sizes.warmup, concurrency: 1, expect });
    if (warm.errors) throw new Error(`${name}: ${warm.firstError}`);
    const r = await runLoad({ port: server.port, request, from: sizes.warmup, count: sizes.measured, concurrency: 1, expect });
    if (r.errors) throw new Error(`${name}: ${r.errors} logins failed: ${r.firstError}`);
    r.mean = (r.seconds * 1000) / r.count;
    return r;
  } finally {
    await server.stop();
  }
}

/** provisionClaims alone on `spec`, in a child (bench/provision.mjs). */
async function provisionTiming({ spec, claims, warmup, roles, provisioning }) {
  const dir = path.join(DATA_DIR, 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `claims-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(claims));
  try {
    const child = fork(path.join(BENCH_DIR, 'provision.mjs'), [JSON.stringify({ claimsFile: file, warmup, store: spec, roles, provisioning })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`provision timing exited (${code})`)));
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export function formatScale(result) {
  if (result.skipped) return `### 3. Scale\n\nSkipped: ${result.skipped}.`;
  const { sizes, rows, seeds } = result;
  const lines = [];
  lines.push(`### 3. Scale (logins one at a time; users: ${sizes.measured} measured logins of distinct seeded users per size after ${sizes.warmup} warm-up, ${sizes.rounds} round(s); groups: ${sizes.groupUsers} users, ${sizes.groupLogins} measured logins)`, '');
  lines.push('| case | backend (page cache) | small: login p50 / p99 ms | large: login p50 / p99 ms | login p50 ratio | provisioning alone, small → large ms | provisioning ratio |');
  lines.push('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const [a, b] = r.kind === 'users' ? ['1k', '1M'] : ['5', '500'];
    const name = r.kind === 'users' ? '1,000 vs 1,000,000 users' : '5 vs 500 groups, every-login sync';
    lines.push(`| ${name} | ${r.backend}${r.state ? ` (${r.state})` : ''} | ${a}: ${fmt(r.small.p50)} / ${fmt(r.small.p99)} | ${b}: ${fmt(r.large.p50)} / ${fmt(r.large.p99)} | ${fmt(r.ratio)} | ${fmt(r.provSmall.meanMs, 3)} → ${fmt(r.provLarge.meanMs, 3)} | ${fmt(r.provRatio)} |`);
  }
  lines.push('', `Seeding: ${seeds.map((s) => `${s.key} ${s.reused ? 'reused' : `${fmt(s.seconds, 1)} s`}`).join(', ')}.`);
  return lines.join('\n');
}
