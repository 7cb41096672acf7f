// The servers compared side by side, and the stores they need for one run.
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from './common.mjs';
import { dropPgTables, pgUrl, removeSqlite, runPrefix, sqlAvailable } from './sql.mjs';

/**
 * The variants of the login and request benchmarks: (A) bare passport-saml, (B) jitSso + memory
 * store, (C) + SQLite, (D) + PostgreSQL. C needs jit-sso/sql; D also needs JIT_SSO_PG_URL. With
 * `control`, a second bare app (A′) measured like the others: A′/A, which would be 1 on a quiet
 * machine, shows how far apart two servers of the same code land in the same run. With `parts`, two
 * servers that split B's cost over A in a server's conditions: (AP) the bare app with jit-sso's SAML
 * strategy in place of passport-saml's — prechecks, the one DOM parse of the message, algorithm
 * allow-list, checks, replay cache — and a provisioner that answers at once, (B0) B with such a
 * provisioner, and (CN) C with the weaker `synchronous: 'normal'` (`part: true`, no target). With `others` and JIT_SSO_BENCH_OTHER_DIST set, each jit
 * variant again on another build (see `otherBuild`).
 */
export function loginVariants({ all = false, control = false, parts = false, others = false } = {}) {
  const variants = [
    { id: 'A', label: 'A bare passport-saml', kind: 'bare' },
    ...(control ? [{ id: 'A2', label: 'A′ bare passport-saml again (control: the same code as A)', kind: 'bare' }] : []),
    ...(parts ? [{ id: 'AP', label: 'AP bare app with jit-sso\'s SAML strategy, provisioning answered at once (attribution)', kind: 'bare', samlChecks: true, part: true }] : []),
    { id: 'B', label: 'B jitSso + memory', kind: 'jit', store: 'memory' },
    ...(parts ? [{ id: 'B0', label: 'B0 jitSso + memory, provisioning answered at once (attribution)', kind: 'jit', store: 'memory', stubProvisioning: true, part: true }] : []),
  ];
  if (sqlAvailable()) variants.push({ id: 'C', label: 'C jitSso + SQLite', kind: 'jit', store: 'sqlite' });
  if (sqlAvailable() && parts) variants.push({ id: 'CN', label: "CN jitSso + SQLite with synchronous: 'normal' (attribution: the cost of C's durable commit)", kind: 'jit', store: 'sqlite', synchronous: 'normal', part: true });
  if (sqlAvailable() && pgUrl()) variants.push({ id: 'D', label: 'D jitSso + PostgreSQL', kind: 'jit', store: 'postgres' });
  const chosen = all ? variants : variants.filter(wanted);
  return others ? [...chosen, ...otherBuild(chosen)] : chosen;
}

/**
 * JIT_SSO_BENCH_OTHER_DIST=<dir holding index.js and sql.js, inside the repository>: each jit variant
 * again (B*, C*, D*) on that build — e.g. the previous commit's, built into bench/.data/ — measured
 * side by side with the current build in the same run (`part: true`: no target).
 */
function otherBuild(variants) {
  const dir = process.env.JIT_SSO_BENCH_OTHER_DIST;
  if (!dir) return [];
  return variants
    .filter((v) => v.kind === 'jit' && !v.stubProvisioning)
    .map((v) => ({ ...v, id: `${v.id}*`, label: `${v.id}* ${v.label.slice(v.id.length + 1)}, the build in ${dir}`, dist: path.resolve(dir), part: true }));
}

/** BENCH_VARIANTS=A,B (ids; B-nc etc. for the request variants) narrows a run while investigating. */
export function wanted(variant) {
  const list = process.env.BENCH_VARIANTS?.split(',');
  return !list || variant.kind === 'bare' || list.includes(variant.id);
}

/** A fresh, empty store spec for one server: a new SQLite file or a new PostgreSQL table prefix. */
export async function freshStore(type, name) {
  if (type === 'memory') return { spec: { type: 'memory' }, cleanup: async () => {} };
  if (type === 'sqlite') {
    const dir = path.join(DATA_DIR, 'tmp');
    fs.mkdirSync(dir, { recursive: true });
    const filename = path.join(dir, `${name}-${process.pid}.sqlite`);
    removeSqlite(filename);
    return { spec: { type: 'sqlite', filename }, cleanup: async () => removeSqlite(filename) };
  }
  const url = pgUrl();
  const prefix = runPrefix(name);
  await dropPgTables(url, prefix);
  return { spec: { type: 'postgres', url, prefix }, cleanup: () => dropPgTables(url, prefix) };
}
