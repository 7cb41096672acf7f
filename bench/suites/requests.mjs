// 2. Authenticated requests: GET /me with a session cookie — bare express-session + passport with a
// constant deserialize (A) against jitSso on each store, with its user cache and without it.
import { APP_ROLES, CALLBACK_PATH, benchUser, fmt, fmtInt, log } from '../lib/common.mjs';
import { startServer } from '../lib/child.mjs';
import { FORM, runLoad, samlPostBody, send } from '../lib/load.mjs';
import { idpKeys, signResponses } from '../lib/sign.mjs';
import { freshStore, loginVariants, wanted } from '../lib/variants.mjs';
import http from 'node:http';

export const REQUESTS_TARGET = 0.95;

export function requestSizes(quick) {
  return quick ? { sessions: 16, warmup: 1000, measured: 6000, rounds: 1, concurrency: 16 } : { sessions: 16, warmup: 2000, measured: 20000, rounds: 2, concurrency: 16 };
}

function requestVariants() {
  const out = [];
  for (const v of loginVariants({ all: true })) {
    if (v.kind === 'bare') out.push({ ...v, label: 'A bare session + passport, constant deserialize' });
    else {
      out.push({ ...v, id: `${v.id}`, label: `${v.label}, user cache on`, userCache: undefined });
      out.push({ ...v, id: `${v.id}-nc`, label: `${v.label}, userCache: false`, userCache: false });
    }
  }
  return out;
}

export async function runRequests(ctx) {
  const sizes = requestSizes(ctx.quick);
  const keys = await idpKeys();
  // The first `sessions` responses of the login set are first logins of distinct users.
  const responses = ctx.responses?.slice(0, sizes.sessions) ?? (await signResponses(Array.from({ length: sizes.sessions }, (_, i) => benchUser(i))));
  const variants = requestVariants().filter(wanted);
  const runs = new Map(variants.map((v) => [v.id, []]));

  for (let round = 1; round <= sizes.rounds; round++) {
    for (const v of variants) {
      const store = v.kind === 'jit' ? await freshStore(v.store, `req${v.id.replace('-', '')}`) : undefined;
      const server = await startServer({ kind: v.kind, idpCert: keys.certificate, store: store?.spec, roles: APP_ROLES, userCache: v.userCache }, `requests-${v.id}`);
      try {
        const cookies = await signIn(server.port, responses);
        const request = (i) => ({ method: 'GET', path: '/me', headers: { cookie: cookies[i % cookies.length], accept: 'application/json' } });
        const expect = (status) => status === 200;
        const warm = await runLoad({ port: server.port, request, from: 0, count: sizes.warmup, concurrency: sizes.concurrency, expect });
        if (warm.errors) throw new Error(`${v.label}: ${warm.firstError}`);
        const cpu0 = await server.cpuSeconds();
        const r = await runLoad({ port: server.port, request, from: sizes.warmup, count: sizes.measured, concurrency: sizes.concurrency, expect });
        const cpu1 = await server.cpuSeconds();
        if (r.errors) throw new Error(`${v.label}: ${r.errors} requests failed: ${r.firstError}`);
        r.serverCpuUs = ((cpu1 - cpu0) * 1e6) / sizes.measured;
        runs.get(v.id).push(r);
        log(`  round ${round} ${v.label}: ${fmtInt(r.rps)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, server CPU ${fmt(r.serverCpuUs, 0)} µs/req, client CPU ${fmt(r.clientCpu * 100, 0)} %`);
      } finally {
        await server.stop();
        await store?.cleanup();
      }
    }
  }
  const a = runs.get('A');
  const summary = variants.map((v) => {
    const rs = runs.get(v.id);
    const mean = (key) => rs.reduce((s, r) => s + r[key], 0) / rs.length;
    return {
      ...v,
      rps: mean('rps'),
      p50: mean('p50'),
      p99: mean('p99'),
      serverCpuUs: mean('serverCpuUs'),
      clientCpu: mean('clientCpu'),
      ratio: rs.reduce((sum, r, i) => sum + r.rps / a[i].rps, 0) / rs.length,
      cpuRatio: a.reduce((s, r) => s + r.serverCpuUs, 0) / a.length / mean('serverCpuUs'),
    };
  });
  const result = { sizes, summary };
  ctx.results.requests = result;
  return result;
}

/** Signs each response's user in through the ACS and returns their session cookies. */
async function signIn(port, responses) {
  const agent = new http.Agent({ keepAlive: false });
  const cookies = [];
  for (const b64 of responses) {
    const res = await send(port, agent, { method: 'POST', path: CALLBACK_PATH, headers: FORM, body: samlPostBody(b64) });
    const cookie = res.headers['set-cookie']?.[0]?.split(';')[0];
    if (res.status !== 303 || !cookie) throw new Error(`sign-in failed: ${res.status} ${res.body.slice(0, 200)}`);
    cookies.push(cookie);
  }
  agent.destroy();
  return cookies;
}

export function formatRequests({ sizes, summary }) {
  const lines = [];
  lines.push(`### 2. Authenticated requests (GET /me, ${sizes.sessions} sessions, ${fmtInt(sizes.measured)} measured requests per variant, concurrency ${sizes.concurrency}, ${sizes.rounds} round(s))`, '');
  lines.push('| variant | req/s | p50 ms | p99 ms | server CPU µs/req | throughput ratio vs A | CPU-cost ratio A/x | client CPU |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of summary) lines.push(`| ${s.label} | ${fmtInt(s.rps)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.serverCpuUs, 0)} | ${s.id === 'A' ? '1' : fmt(s.ratio)} | ${s.id === 'A' ? '1' : fmt(s.cpuRatio)} | ${fmt(s.clientCpu * 100, 0)} % |`);
  return lines.join('\n');
}
