// One app instance for the two-process test: Express + express-session on Redis (connect-redis),
// jitSso with the SQL store on PostgreSQL and the SAML caches on Redis — the multi-instance set-up
// the README describes. It runs the built package, as an app would. Configured by environment:
// PG_URL, REDIS_URL, TABLE_PREFIX, KEY_PREFIX, IDP_CERT, IDP_ISSUER. Prints {"port": n} when listening.
import express from 'express';
import session from 'express-session';
import RedisStore from 'connect-redis';
import Redis from 'ioredis';
import { jitSso, samlProvider, redisCache, requireAuth, currentUser, silentLogger } from 'jit-sso';
import { SqlUserStore } from 'jit-sso/sql';

const env = process.env;
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
const store = await SqlUserStore.open({ dialect: 'postgres', connectionString: env.PG_URL }, { tablePrefix: env.TABLE_PREFIX });
const cache = redisCache(redis, { prefix: `${env.KEY_PREFIX}cache:` });

const app = express();
app.use(express.json());
app.use(session({ store: new RedisStore({ client: redis, prefix: `${env.KEY_PREFIX}sess:` }), secret: 'two-process-test', resave: false, saveUninitialized: false, name: 'sid' }));
const sso = jitSso({
  store,
  providers: [
    samlProvider({
      id: 'entra',
      preset: 'entra-saml',
      entryPoint: 'https://idp.test.local/saml/sso',
      idpIssuer: env.IDP_ISSUER,
      idpCert: env.IDP_CERT,
      spEntityId: 'https://app.test/saml',
      callbackUrl: 'https://app.test/auth/entra/callback',
      requestCache: cache,
      replayCache: cache,
    }),
  ],
  provisioning: { createUsers: true, sync: 'every-login' },
  logger: silentLogger,
  userCache: false,
});
app.use(sso);
app.get('/me', requireAuth(), (req, res) => res.json({ ...currentUser(req), instance: env.INSTANCE }));
// A stand-in for the app's own admin page (no auth: this is a test app on loopback).
app.post('/admin/roles', async (req, res) => {
  await store.createRole(String(req.body.name));
  res.status(201).json({ created: req.body.name, instance: env.INSTANCE });
});

const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
const stop = async () => {
  server.close();
  await store.close();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
