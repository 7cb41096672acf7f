// Side by side: every server of a comparison runs at once (each in its own process, idle while the
// others are measured), and the load goes to them in short bursts in turn, round after round. A
// slow spell of the machine then falls on all of them alike instead of on whichever ran then.
import http from 'node:http';
import { median, percentile } from './common.mjs';
import { runLoad } from './load.mjs';

/**
 * `targets`: [{ id, server, request(i), expect(status), next }] — `next` is the index of the target's
 * next request (after its warm-up). Runs `rounds` rounds; in each, every target gets `burst`
 * requests at `concurrency` (the order rotates per round). Resolves per-target totals: requests,
 * seconds, rps, latency percentiles, server CPU per request (ms), client CPU share, and the
 * per-round throughputs.
 */
export async function interleave({ targets, rounds, burst, concurrency }) {
  const acc = new Map(targets.map((t) => [t.id, { latencies: [], seconds: 0, count: 0, serverCpu: 0, clientCpu: 0, perRound: [] }]));
  const agents = new Map(targets.map((t) => [t.id, new http.Agent({ keepAlive: true, maxSockets: concurrency })]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(k + round) % targets.length];
        const a = acc.get(t.id);
        const cpu0 = await t.server.cpuSeconds();
        const r = await runLoad({ port: t.server.port, request: t.request, from: t.next, count: burst, concurrency, expect: t.expect, agent: agents.get(t.id), keepLatencies: true });
        const cpu1 = await t.server.cpuSeconds();
        if (r.errors) throw new Error(`${t.id}: ${r.errors} of ${burst} requests failed: ${r.firstError}`);
        t.next += burst;
        a.latencies.push(...r.latencies);
        a.seconds += r.seconds;
        a.count += r.count;
        a.serverCpu += cpu1 - cpu0;
        a.clientCpu += r.clientCpu * r.seconds;
        a.perRound.push(r.rps);
      }
    }
  } finally {
    for (const agent of agents.values()) agent.destroy();
  }
  const out = {};
  for (const [id, a] of acc) {
    const sorted = a.latencies.sort((x, y) => x - y);
    out[id] = {
      count: a.count,
      seconds: a.seconds,
      rps: a.count / a.seconds,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      serverCpuMs: (a.serverCpu * 1000) / a.count,
      clientCpu: a.clientCpu / a.seconds,
      perRound: a.perRound,
    };
  }
  return out;
}

/**
 * `generations` times: start a fresh server for every variant (`start(v)` resolves { server, request,
 * expect, next, cleanup, collect? }, warm-up done), measure them in interleaved bursts, read what
 * `collect()` gathers from each server (kept per generation as `collected`), stop them. One server
 * process can run well or badly for its whole life (JIT and GC decisions, memory layout: seen here
 * up to ±30 % for the same code), so each variant gets a fresh process per generation, and its
 * figures are the medians over generations; its ratio to `baseline` is the median of the
 * per-generation ratios.
 */
export async function sideBySide({ variants, baseline, generations, start, rounds, burst, concurrency, onGeneration }) {
  const perVariant = new Map(variants.map((v) => [v.id, []]));
  for (let g = 0; g < generations; g++) {
    const running = [];
    try {
      for (const v of variants) running.push({ v, ...(await start(v, g)) });
      const measured = await interleave({ targets: running.map((r) => ({ id: r.v.id, server: r.server, request: r.request, expect: r.expect, next: r.next })), rounds, burst, concurrency });
      for (const r of running) if (r.collect) measured[r.v.id].collected = await r.collect();
      for (const v of variants) perVariant.get(v.id).push(measured[v.id]);
      onGeneration?.(g, measured);
    } finally {
      for (const r of running) await r.server.stop();
      for (const r of running) await r.cleanup?.();
    }
  }
  const med = (list, key) => median(list.map((m) => m[key]));
  const base = perVariant.get(baseline);
  return variants.map((v) => {
    const list = perVariant.get(v.id);
    const ratios = list.map((m, g) => m.rps / base[g].rps);
    const cpuRatios = list.map((m, g) => base[g].serverCpuMs / m.serverCpuMs);
    return { ...v, rps: med(list, 'rps'), p50: med(list, 'p50'), p99: med(list, 'p99'), serverCpuMs: med(list, 'serverCpuMs'), clientCpu: med(list, 'clientCpu'), ratio: median(ratios), ratios, cpuRatio: median(cpuRatios), generations: list.map((m) => ({ rps: m.rps, serverCpuMs: m.serverCpuMs, ...(m.collected !== undefined ? { collected: m.collected } : {}) })) };
  });
}
