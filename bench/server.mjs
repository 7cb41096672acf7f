// One server under test, in its own process: started by the parent with a JSON config as argv[2],
// it listens on 127.0.0.1 (a free port), says so over IPC, and exits when told.
import { bareApp, jitApp, openStore } from './lib/apps.mjs';

const config = JSON.parse(process.argv[2]);
let close = async () => {};
let app;
if (config.kind === 'bare') {
  ({ app } = bareApp(config));
} else {
  const opened = await openStore(config.store, config.roles);
  close = opened.close;
  ({ app } = jitApp({ ...config, store: opened.store }));
}

const server = app.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
server.keepAliveTimeout = 60_000;

process.on('message', async (msg) => {
  if (msg?.type === 'stats') {
    process.send({ type: 'stats', cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
  } else if (msg?.type === 'stop') {
    server.closeAllConnections?.();
    server.close();
    await close().catch(() => {});
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
