// Starting and stopping a server under test in a child process of its own.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, DATA_DIR } from './common.mjs';
import { SERVER_CPU, pin } from './pin.mjs';

let profileDir;
/** With `--cpu-prof`, every server child writes a .cpuprofile here. */
export function enableProfiles(label) {
  profileDir = path.join(DATA_DIR, 'prof', label);
  fs.mkdirSync(profileDir, { recursive: true });
}

/** Starts bench/server.mjs with `config`; resolves `{ port, stats(), stop() }` once it listens. */
export function startServer(config, name = config.kind) {
  const execArgv = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`] : [];
  // `config.dist`: the server runs that build of jit-sso (bench/lib/jit.mjs) instead of this run's.
  const env = config.dist ? { ...process.env, JIT_SSO_BENCH_DIST: config.dist } : process.env;
  const child = fork(path.join(BENCH_DIR, 'server.mjs'), [JSON.stringify(config)], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (type) =>
    new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg?.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(msg);
      };
      const onExit = (code) => reject(new Error(`server ${name} exited (${code}) before "${type}"`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return next('ready').then(({ port }) => (pin(child.pid, SERVER_CPU), {
    port,
    pid: child.pid,
    /** The child's CPU time so far, in seconds. */
    async cpuSeconds() {
      child.send({ type: 'stats' });
      const { cpu } = await next('stats');
      return (cpu.user + cpu.system) / 1e6;
    },
    /** Wall ms of each provisionClaims call the server made since the last reset (none for bare or stubbed servers); `reset` starts over. */
    async provisionTimes({ reset = false } = {}) {
      child.send({ type: 'provisioning', reset });
      return (await next('provisioning')).times;
    },
    async stats() {
      child.send({ type: 'stats' });
      return next('stats');
    },
    stop() {
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      });
    },
  }));
}
