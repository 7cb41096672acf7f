// One server under test, in its own process: started by the parent with a JSON config as argv[2],
// it listens on 127.0.0.1 (a free port), says so over IPC, and exits when told.
import { bareApp, jitApp, openStore } from './lib/apps.mjs';

const config = JSON.parse(process.argv[2]);
let close = async () => {};
let app;
/** Wall ms of each provisionClaims call since the last 'provisioning-reset' (jit servers with real provisioning). */
let provisionTimes = [];
if (config.kind === 'bare') {
  ({ app } = bareApp(config));
} else {
  const opened = await openStore(config.store, config.roles);
  close = opened.close;
  let middleware;
  ({ app, middleware } = jitApp({ ...config, store: opened.store }));
  if (!config.stubProvisioning) for (const provisioner of middleware.provisioners.values()) timeProvisioning(provisioner);
}

/** Times each call of the provider's provisionClaims as the verify callback makes it (two clock reads a login). */
function timeProvisioning(provisioner) {
  const provisionClaims = provisioner.provisionClaims;
  provisioner.provisionClaims = async (...args) => {
    const t0 = performance.now();
    try {
      return await provisionClaims(...args);
    } finally {
      provisionTimes.push(performance.now() - t0);
    }
  };
}

const server = app.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
server.keepAliveTimeout = 60_000;

process.on('message', async (msg) => {
  if (msg?.type === 'stats') {
    process.send({ type: 'stats', cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
  } else if (msg?.type === 'provisioning') {
    process.send({ type: 'provisioning', times: provisionTimes });
    if (msg.reset) provisionTimes = [];
  } else if (msg?.type === 'stop') {
    server.closeAllConnections?.();
    server.close();
    await close().catch(() => {});
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
