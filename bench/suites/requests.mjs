// 2. Authenticated requests: GET /me with a session cookie — bare express-session + passport with a
// constant deserialize (A) against jitSso on each store, with its user cache and without it.
import { APP_ROLES, CALLBACK_PATH, benchUser, fmt, fmtInt, log } from '../lib/common.mjs';
import { startServer } from '../lib/child.mjs';
import { FORM, runLoad, samlPostBody, send } from '../lib/load.mjs';
import { idpKeys, signResponses } from '../lib/sign.mjs';
import { freshStore, loginVariants, wanted } from '../lib/variants.mjs';
import { sideBySide } from '../lib/interleave.mjs';
import { range } from './login.mjs';
import http from 'node:http';

/** GET /me with the user cache against the bare app, in every generation. */
export const REQUESTS_TARGET = 0.9;

/** Per generation and variant: a fresh server, a warm-up, then `rounds` interleaved bursts of `burst` requests. */
export function requestSizes(quick) {
  return quick ? { sessions: 16, generations: 1, warmup: 1000, burst: 2000, rounds: 4, concurrency: 16 } : { sessions: 16, generations: 5, warmup: 2000, burst: 2000, rounds: 4, concurrency: 16 };
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
  const expect = (status) => status === 200;
  const start = async (v, g) => {
    const store = v.kind === 'jit' ? await freshStore(v.store, `req${v.id.replace('-', '')}`) : undefined;
    const server = await startServer({ kind: v.kind, idpCert: keys.certificate, store: store?.spec, roles: APP_ROLES, userCache: v.userCache }, `requests-${v.id}-${g}`);
    const cookies = await signIn(server.port, responses);
    const request = (i) => ({ method: 'GET', path: '/me', headers: { cookie: cookies[i % cookies.length], accept: 'application/json' } });
    const warm = await runLoad({ port: server.port, request, from: 0, count: sizes.warmup, concurrency: sizes.concurrency, expect });
    if (warm.errors) throw new Error(`${v.label}: ${warm.firstError}`);
    return { server, request, expect, next: sizes.warmup, cleanup: () => store?.cleanup() };
  };
  const summary = await sideBySide({
    variants, baseline: 'A', generations: Number(process.env.BENCH_GENERATIONS ?? sizes.generations), start, rounds: sizes.rounds, burst: sizes.burst, concurrency: sizes.concurrency,
    onGeneration: (g, m) => log(`  generation ${g + 1}: ${variants.map((v) => `${v.id} ${fmtInt(m[v.id].rps)}/s (${fmt(m[v.id].serverCpuMs * 1000, 0)} µs CPU)`).join(', ')}`),
  });
  for (const s of summary) s.serverCpuUs = s.serverCpuMs * 1000;
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
  lines.push(`### 2. Authenticated requests (GET /me, ${sizes.sessions} sessions; ${sizes.generations} generation(s) of fresh servers; in each, after ${fmtInt(sizes.warmup)} warm-up requests, ${fmtInt(sizes.rounds * sizes.burst)} per variant in ${sizes.rounds} interleaved bursts of ${fmtInt(sizes.burst)}, concurrency ${sizes.concurrency}; medians over generations)`, '');
  lines.push('| variant | req/s | p50 ms | p99 ms | server CPU µs/req | throughput ratio vs A (range over generations) | CPU-cost ratio A/x | client CPU |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of summary) lines.push(`| ${s.label} | ${fmtInt(s.rps)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.serverCpuUs, 0)} | ${s.id === 'A' ? '1' : `${fmt(s.ratio)} (${range(s.ratios)})`} | ${s.id === 'A' ? '1' : fmt(s.cpuRatio)} | ${fmt(s.clientCpu * 100, 0)} % |`);
  return lines.join('\n');
}
