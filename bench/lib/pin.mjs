// CPU pinning (Linux, taskset): the load generator on one core, the server under test on another,
// the same for every variant — so that no variant gains or loses by where the scheduler put it.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

let available;
function canPin() {
  if (available === undefined) {
    try {
      available = os.platform() === 'linux' && os.availableParallelism() >= 2 && Boolean(execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }));
    } catch {
      available = false;
    }
  }
  return available;
}

/** Restricts every thread of `pid` to `cpus` (e.g. '1'); true when done. */
export function pin(pid, cpus) {
  if (!canPin()) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The core the load generator keeps, and the one servers under test get. */
export const CLIENT_CPU = '0';
export const SERVER_CPU = '1';
export const ALL_CPUS = () => `0-${os.availableParallelism() - 1}`;
export const pinning = () => canPin();
