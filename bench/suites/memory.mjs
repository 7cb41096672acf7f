// 4. Memory: RSS and heap after GC, after 100,000 logins vs after 1,000 (bench/memory.mjs says
// exactly what one loop iteration exercises).
import path from 'node:path';
import fs from 'node:fs';
import { fork } from 'node:child_process';
import { BENCH_DIR, DATA_DIR, fmt, fmtInt, log, mib } from '../lib/common.mjs';
import { removeSqlite, sqlAvailable } from '../lib/sql.mjs';

export const MEMORY_TARGET = 1.1;

export function memorySizes(quick) {
  return quick ? { checkpoints: [1_000, 5_000, 10_000, 20_000], users: 5_000 } : { checkpoints: [1_000, 10_000, 25_000, 50_000, 100_000], users: 20_000 };
}

export async function runMemory(ctx) {
  if (!sqlAvailable()) {
    log('  memory: jit-sso/sql is not built; skipped');
    return (ctx.results.memory = { skipped: 'jit-sso/sql not available' });
  }
  const sizes = memorySizes(ctx.quick);
  fs.mkdirSync(path.join(DATA_DIR, 'tmp'), { recursive: true });
  const filename = path.join(DATA_DIR, 'tmp', `memory-${process.pid}.sqlite`);
  removeSqlite(filename);
  try {
    const child = fork(path.join(BENCH_DIR, 'memory.mjs'), [JSON.stringify({ filename, checkpoints: sizes.checkpoints, users: sizes.users })], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const out = await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`memory child exited (${code})`)));
    });
    const first = out.checkpoints[0];
    const last = out.checkpoints.at(-1);
    const steady = out.checkpoints.find((c) => c.logins >= 25_000) ?? out.checkpoints[Math.floor(out.checkpoints.length / 2)];
    const result = { sizes, ...out, rssRatio: last.rss / first.rss, heapRatio: last.heapUsed / first.heapUsed, steadyRssRatio: last.rss / steady.rss, steadyHeapRatio: last.heapUsed / steady.heapUsed, steady: steady.logins };
    ctx.results.memory = result;
    return result;
  } finally {
    removeSqlite(filename);
  }
}

export function formatMemory(result) {
  if (result.skipped) return `### 4. Memory\n\nSkipped: ${result.skipped}.`;
  const lines = [];
  lines.push(`### 4. Memory (in process, SQLite store, ${fmtInt(result.sizes.users)} distinct users, simulated clock at one login per ${result.intervalMs} ms; after two full GCs)`, '');
  lines.push('| logins | RSS MiB | of which anonymous / file-backed | V8 heap used / committed MiB | external MiB | seconds |', '|---:|---:|---:|---:|---:|---:|');
  for (const c of result.checkpoints) lines.push(`| ${fmtInt(c.logins)} | ${fmt(mib(c.rss), 1)} | ${fmt(mib(c.anonymous), 1)} / ${fmt(mib(c.file), 1)} | ${fmt(mib(c.heapUsed), 1)} / ${fmt(mib(c.heapTotal), 1)} | ${fmt(mib(c.external), 1)} | ${fmt(c.seconds, 1)} |`);
  const first = result.checkpoints[0].logins;
  const last = result.checkpoints.at(-1).logins;
  lines.push('', `RSS ratio ${fmtInt(last)}/${fmtInt(first)}: **${fmt(result.rssRatio)}** (heap ${fmt(result.heapRatio)}); from ${fmtInt(result.steady)} (caches at their steady size) to ${fmtInt(last)}: RSS ${fmt(result.steadyRssRatio)}, heap ${fmt(result.steadyHeapRatio)}. ${fmtInt(result.users)} users in the store.`);
  lines.push(`A replay cache at its bound (memoryCache default max, 100,000 live assertion ids): +${fmt(mib(result.fullReplayCache.heapUsed), 1)} MiB heap, +${fmt(mib(result.fullReplayCache.rss), 1)} MiB RSS.`);
  lines.push(`A signed-in-user cache at its bound (default max, ${fmtInt(result.fullUserCache.users)} users): +${fmt(mib(result.fullUserCache.heapUsed), 1)} MiB heap, +${fmt(mib(result.fullUserCache.rss), 1)} MiB RSS.`);
  return lines.join('\n');
}
