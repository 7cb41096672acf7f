// Signing responses ahead of time, on every core, with jit-sso's own test IdP: real RSA-SHA256
// signatures on the Response and on the Assertion, each with a unique ID.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { generateTestKeys } from 'jit-sso/testing';
import { ASSERTION_LIFETIME_MS } from './common.mjs';
import { ALL_CPUS, CLIENT_CPU, pin } from './pin.mjs';

let keysPromise;
/** One IdP key pair per run. */
export function idpKeys() {
  keysPromise ??= generateTestKeys();
  return keysPromise;
}

/**
 * One signed, unsolicited (IdP-initiated: no InResponseTo) response per user in `users`, as base64.
 * Valid from now for ASSERTION_LIFETIME_MS.
 */
export async function signResponses(users) {
  const keys = await idpKeys();
  const notOnOrAfter = Date.now() + ASSERTION_LIFETIME_MS;
  const workers = Math.max(1, Math.min(os.availableParallelism(), Math.ceil(users.length / 50)));
  const per = Math.ceil(users.length / workers);
  // Signing uses every core; the load generator is pinned to one again afterwards.
  pin(process.pid, ALL_CPUS());
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const slice = users.slice(w * per, (w + 1) * per);
      return new Promise((resolve, reject) => {
        const worker = new Worker(new URL('./sign-worker.mjs', import.meta.url), { workerData: { keys, users: slice, notOnOrAfter } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  pin(process.pid, CLIENT_CPU);
  return parts.flat();
}
