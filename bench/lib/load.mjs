// The load generator: a fixed number of requests at a fixed concurrency over keep-alive
// connections to a server on loopback. Warm-up requests are sent first and not counted.
import http from 'node:http';
import { percentile } from './common.mjs';

/**
 * Sends `count` requests, `concurrency` at a time. `request(i)` returns `{ method, path, headers, body }`
 * for the i-th request (i from `from` to `from + count - 1`); `expect(status)` says whether the answer is right.
 * Warm-up is a separate call whose figures the caller drops.
 * Resolves throughput, latency percentiles (ms), error count and the client's own CPU use.
 */
export async function runLoad({ port, request, from = 0, count, concurrency, expect, agent: given, keepLatencies = false }) {
  const agent = given ?? new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await drive({ port, agent, request, from, count, concurrency, expect });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const sorted = result.latencies.sort((a, b) => a - b);
    return {
      count,
      seconds,
      rps: count / seconds,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      errors: result.errors,
      firstError: result.firstError,
      clientCpu: (used.user + used.system) / 1e6 / seconds,
      ...(keepLatencies ? { latencies: sorted } : {}),
    };
  } finally {
    if (!given) agent.destroy();
  }
}

async function drive({ port, agent, request, from, count, concurrency, expect }) {
  const latencies = new Float64Array(count);
  let next = 0;
  let errors = 0;
  let firstError;
  const worker = async () => {
    while (next < count) {
      const k = next++;
      const spec = request(from + k);
      const t0 = performance.now();
      const { status, body } = await send(port, agent, spec);
      latencies[k] = performance.now() - t0;
      if (!expect(status)) {
        errors++;
        firstError ??= `${status} ${body.slice(0, 200)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latencies: Array.from(latencies), errors, firstError };
}

/** One request; resolves the status, the body as text and the response headers. */
export function send(port, agent, { method = 'GET', path, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: body ? { ...headers, 'content-length': body.length } : headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

/** The form body of a SAML HTTP-POST binding callback. */
export function samlPostBody(base64, relayState = '/me') {
  return Buffer.from(`SAMLResponse=${encodeURIComponent(base64)}&RelayState=${encodeURIComponent(relayState)}`);
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
