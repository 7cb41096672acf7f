// Reads a V8 .cpuprofile and sums self time by function and by package, to find where a login goes.
import fs from 'node:fs';

/**
 * Top `n` entries of self time, by function (`name file:line`) and by package / module area. With
 * `under`, only samples with a frame of that function name on the stack count (e.g. 'provisionClaims').
 */
export function summarizeProfile(file, n = 25, under) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const hasFrame = (id) => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur).callFrame.functionName === under) return true;
    return false;
  };
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    if (under && !hasFrame(profile.samples[i])) continue;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  }
  const fnTotals = new Map();
  const areaTotals = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    const cf = node.callFrame;
    const fn = `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
    fnTotals.set(fn, (fnTotals.get(fn) ?? 0) + us);
    const area = areaOf(cf.url, cf.functionName);
    areaTotals.set(area, (areaTotals.get(area) ?? 0) + us);
    total += us;
  }
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => ({ name: k, ms: us / 1000, share: us / total }));
  return { totalMs: total / 1000, functions: top(fnTotals), areas: top(areaTotals) };
}

function shortUrl(url) {
  return url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/main\//, '');
}

function areaOf(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.startsWith('node:')) return url;
  if (url.includes('/dist/')) return 'jit-sso (dist)';
  return shortUrl(url);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarizeProfile(process.argv[2], Number(process.argv[3] ?? 25), process.argv[4]);
  console.log(`total ${s.totalMs.toFixed(0)} ms`);
  console.log('\nby area:');
  for (const a of s.areas) console.log(`${(a.share * 100).toFixed(1).padStart(5)}%  ${a.ms.toFixed(0).padStart(7)} ms  ${a.name}`);
  console.log('\nby function:');
  for (const f of s.functions) console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
}
