/**
 * `redisCache` against a real Redis (JIT_SSO_REDIS_URL): the atomic add/take a replay check relies
 * on, expiry, prefixes, and two app instances sharing one Redis. Failures to reach Redis need no
 * server and always run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis, type RedisOptions } from 'ioredis';
import net from 'node:net';
import request from 'supertest';
import { redisCache, type RedisCacheClient } from '../../lib/cache/redis-cache.js';
import { memoryCache, type SsoCache } from '../../lib/cache/sso-cache.js';
import { JitSsoError } from '../../lib/errors.js';
import { CALLBACK_URL, samlApp, SP_ENTITY_ID, startLogin, testIdp } from '../helpers/saml-app.js';
import { postAcs } from '../helpers/saml-attacks.js';

const REDIS_URL = process.env.JIT_SSO_REDIS_URL;
const ON_CI = process.env.CI === 'true';
/** Every key this run writes starts with this, so parallel runs never meet and cleanup is exact. */
const RUN = `jit-sso-test:${process.pid}-${Date.now()}:`;
let prefixes = 0;
const freshPrefix = () => `${RUN}${++prefixes}:`;

if (!REDIS_URL && !ON_CI) {
  console.warn('SKIPPED: the Redis tests of redisCache need JIT_SSO_REDIS_URL (e.g. redis://127.0.0.1:6379); only the no-server tests ran.');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection(promise: Promise<unknown>): Promise<JitSsoError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(JitSsoError);
  return err as JitSsoError;
}

/** A client that cannot reach Redis and says so at once instead of retrying. */
function unreachableClient(port: number, extra: RedisOptions = {}): Redis {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...extra });
  client.on('error', () => undefined);
  return client;
}

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('redisCache options', () => {
  const client = { set: async () => 'OK' as const, get: async () => null, getdel: async () => null };

  it('refuses at start-up an empty prefix or an unknown option, naming the option', () => {
    for (const [options, path] of [
      [{ prefix: '' }, 'redisCache(options).prefix'],
      [{ prefix: 7 }, 'redisCache(options).prefix'],
      [{ prefx: 'x:' }, 'redisCache(options)'],
    ] as const) {
      expect(() => redisCache(client, options as never)).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: expect.objectContaining({ path }) }));
    }
  });

  it('refuses a client without getdel, such as node-redis (whose set() would silently drop NX)', () => {
    const nodeRedisLike = { set: async () => 'OK', get: async () => null, getDel: async () => null, eval: async () => null };
    for (const bad of [nodeRedisLike, null, 'redis://127.0.0.1']) {
      expect(() => redisCache(bad as unknown as RedisCacheClient)).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: expect.objectContaining({ path: 'redisCache(client)' }) }));
    }
  });
});

describe('redisCache when Redis cannot be reached', () => {
  const clients: Redis[] = [];
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => void sockets.add(socket));
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    // disconnect() on a client that already gave up would arm a 2 s timer for its dead socket.
    for (const client of clients) if (client.status !== 'end') client.disconnect();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('a refused connection rejects every operation with ERR_JIT_SSO_STORE_UNAVAILABLE (503), the client error as cause', async () => {
    const client = unreachableClient(await closedPort());
    clients.push(client);
    const cache = redisCache(client);
    for (const operation of [cache.add('k', 'v', 1000), cache.get('k'), cache.take('k')]) {
      const err = await rejection(operation);
      expect(err).toMatchObject({ code: 'ERR_JIT_SSO_STORE_UNAVAILABLE', status: 503 });
      expect(err.cause).toBeInstanceOf(Error);
    }
  });

  it('a Redis that accepts the connection but never answers times out into ERR_JIT_SSO_STORE_UNAVAILABLE', async () => {
    silent.listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const client = unreachableClient((silent.address() as net.AddressInfo).port, { commandTimeout: 200, enableReadyCheck: false });
    clients.push(client);
    const err = await rejection(redisCache(client).add('assertion', '1', 1000));
    expect(err.code).toBe('ERR_JIT_SSO_STORE_UNAVAILABLE');
    expect(err.details.error).toMatch(/timed out/i);
  });

  it('a login answers 503, not a 401 refusal, when the request cache or the replay cache is down', async () => {
    const down = unreachableClient(await closedPort());
    clients.push(down);
    const idp = await testIdp();

    const noRequestCache = await samlApp({ idp, provider: { requestCache: redisCache(down) } });
    const start = await request(noRequestCache.app).get('/auth/entra/login').set('Accept', 'application/json');
    expect(start.status).toBe(503);
    expect(start.body.error.code).toBe('ERR_JIT_SSO_STORE_UNAVAILABLE');

    const noReplayCache = await samlApp({ idp, provider: { requestCache: memoryCache(), replayCache: redisCache(down) } });
    const agent = request.agent(noReplayCache.app);
    const authn = idp.parseAuthnRequest((await startLogin(agent)).samlRequest);
    const response = idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
    const res = await postAcs(agent, response.base64);
    expect(res.status).toBe(503);
    expect(res.text).toContain('unavailable right now');
    expect(noReplayCache.events.filter((e) => e.subType === 'denied')).toEqual([]);
    expect(await noReplayCache.store.listUsers()).toEqual([]);
  });
});

if (!REDIS_URL && ON_CI) {
  describe('redisCache on CI', () => {
    it('has JIT_SSO_REDIS_URL (set by .ci/run), so the Redis tests are not skipped', () => {
      throw new Error('JIT_SSO_REDIS_URL is unset on CI: the Redis tests of redisCache would be skipped. Run the tests through .ci/run.');
    });
  });
}

(REDIS_URL ? describe : describe.skip)('redisCache on a real Redis', () => {
  let client: Redis;
  beforeAll(() => {
    client = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await client.keys(`${RUN}*`);
    if (keys.length) await client.del(...keys);
    await client.quit();
  });

  it('add stores a key once: a second add of a live key answers false and keeps the first value', async () => {
    const cache = redisCache(client, { prefix: freshPrefix() });
    expect(await cache.add('a', '1', 10_000)).toBe(true);
    expect(await cache.add('a', '2', 10_000)).toBe(false);
    expect(await cache.get('a')).toBe('1');
  });

  it('20 parallel adds of one assertion id, from two instances, give exactly one true', async () => {
    const prefix = freshPrefix();
    const other = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
    try {
      const instances = [redisCache(client, { prefix }), redisCache(other, { prefix })];
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => instances[i % 2]!.add('assertion-1', '1', 10_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      await other.quit();
    }
  });

  it('take hands the value to exactly one of two parallel takers and removes the key', async () => {
    const prefix = freshPrefix();
    const cache = redisCache(client, { prefix });
    await cache.add('req', 'created', 10_000);
    const taken = await Promise.all([cache.take('req'), cache.take('req')]);
    expect(taken.sort()).toEqual(['created', null].sort());
    expect(await cache.get('req')).toBeNull();
    expect(await client.exists(`${prefix}req`)).toBe(0);
  });

  it('keys expire in Redis with their TTL, and the key can be added again after', async () => {
    const prefix = freshPrefix();
    const cache = redisCache(client, { prefix });
    expect(await cache.add('k', 'v', 150)).toBe(true);
    expect(await client.pttl(`${prefix}k`)).toBeGreaterThan(0);
    expect(await cache.add('k', 'w', 150)).toBe(false);
    await sleep(300);
    expect(await client.exists(`${prefix}k`)).toBe(0);
    expect(await cache.get('k')).toBeNull();
    expect(await cache.take('k')).toBeNull();
    expect(await cache.add('k', 'w', 150)).toBe(true);
  });

  it('a TTL already due (0 or less) still stores the key for a moment rather than failing the login', async () => {
    const cache = redisCache(client, { prefix: freshPrefix() });
    expect(await cache.add('late', '1', 0)).toBe(true);
    expect(await cache.add('fractional', '1', 0.4)).toBe(true);
  });

  it('keeps apps with different prefixes apart; the default prefix is jit-sso:', async () => {
    const [p1, p2] = [freshPrefix(), freshPrefix()];
    const one = redisCache(client, { prefix: p1 });
    const two = redisCache(client, { prefix: p2 });
    expect(await one.add('k', 'one', 10_000)).toBe(true);
    expect(await two.add('k', 'two', 10_000)).toBe(true);
    expect(await two.take('k')).toBe('two');
    expect(await one.get('k')).toBe('one');
    expect(await client.get(`${p1}k`)).toBe('one');

    const key = `${RUN}default`;
    try {
      await redisCache(client).add(key, 'v', 10_000);
      expect(await client.get(`jit-sso:${key}`)).toBe('v');
    } finally {
      await client.del(`jit-sso:${key}`);
    }
  });

  it('on a Redis older than 6.2 (no GETDEL) take stays atomic through a Lua script', async () => {
    let getdelCalls = 0;
    const oldServer: RedisCacheClient = {
      set: (...args) => client.set(...args),
      get: (key) => client.get(key),
      getdel: async () => {
        getdelCalls += 1;
        throw new Error("ERR unknown command 'getdel', with args beginning with: ");
      },
      eval: (script, numKeys, ...keys) => client.eval(script, numKeys, ...keys),
    };
    const cache = redisCache(oldServer, { prefix: freshPrefix() });
    await cache.add('req', 'created', 10_000);
    expect(await cache.take('req')).toBe('created');
    expect(await cache.take('req')).toBeNull();
    await cache.add('race', 'v', 10_000);
    expect((await Promise.all([cache.take('race'), cache.take('race')])).sort()).toEqual(['v', null].sort());
    expect(getdelCalls).toBe(1);
  });

  describe('two app instances sharing one Redis', () => {
    /** Two apps of one SP (same IdP, own user stores) whose SAML caches live in one Redis. */
    async function twoInstances(caches: () => SsoCache, provider: { allowUnsolicited?: boolean } = {}) {
      const idp = await testIdp();
      const a = await samlApp({ idp, provider: { ...provider, requestCache: caches(), replayCache: caches() } });
      const b = await samlApp({ idp, provider: { ...provider, requestCache: caches(), replayCache: caches() } });
      return { idp, a, b };
    }
    const shared = () => {
      const prefix = freshPrefix();
      return () => redisCache(client, { prefix });
    };
    const idpInitiated = (idp: Awaited<ReturnType<typeof testIdp>>) => idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID }).base64;

    it('an assertion accepted by instance A and replayed to instance B is refused there (401, audited as a replay)', async () => {
      const { idp, a, b } = await twoInstances(shared(), { allowUnsolicited: true });
      const samlResponse = idpInitiated(idp);
      expect((await postAcs(request.agent(a.app), samlResponse, '/me')).status).toBe(303);

      const attacker = request.agent(b.app);
      const replayed = await postAcs(attacker, samlResponse, '/me');
      expect(replayed.status).toBe(401);
      expect(b.events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: expect.stringMatching(/replay/) })]);
      expect(await b.store.listUsers()).toEqual([]);
      await attacker.get('/me').set('Accept', 'application/json').expect(401);
    });

    it('the same replay gets through when each instance keeps its own memory cache (why several instances need Redis)', async () => {
      const { idp, a, b } = await twoInstances(() => memoryCache(), { allowUnsolicited: true });
      const samlResponse = idpInitiated(idp);
      expect((await postAcs(request.agent(a.app), samlResponse, '/me')).status).toBe(303);
      expect((await postAcs(request.agent(b.app), samlResponse, '/me')).status).toBe(303);
    });

    it('one response posted 20 times in parallel, split across both instances, signs in exactly once', async () => {
      const { idp, a, b } = await twoInstances(shared(), { allowUnsolicited: true });
      const samlResponse = idpInitiated(idp);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => postAcs(request.agent((i % 2 ? b : a).app), samlResponse, '/me')));
      expect(results.map((r) => r.status).sort()).toEqual([...Array(19).fill(401), 303].sort());
      expect((await a.store.listUsers()).length + (await b.store.listUsers()).length).toBe(1);
    });

    it('a login started on instance A finishes on instance B, and its response cannot then be used on A', async () => {
      const { idp, a, b } = await twoInstances(shared());
      const started = await startLogin(request.agent(a.app));
      const authn = idp.parseAuthnRequest(started.samlRequest);
      const response = idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });

      // One browser: its binding cookie goes to whichever instance the load balancer picks.
      const browser = request.agent(b.app);
      const finished = await browser.post('/auth/entra/callback').type('form').set('Cookie', started.cookie!).send({ SAMLResponse: response.base64, RelayState: started.relayState });
      expect(finished.status).toBe(303);
      expect(finished.headers.location).toBe('/me');
      const me = await browser.get('/me').set('Accept', 'application/json').expect(200);
      expect(me.body).toMatchObject({ username: 'alice.johnson' });
      expect(await b.store.listUsers()).toHaveLength(1);

      const replayed = await request(a.app).post('/auth/entra/callback').type('form').set('Cookie', started.cookie!).send({ SAMLResponse: response.base64, RelayState: started.relayState });
      expect(replayed.status).toBe(401);
      expect(a.events).toEqual([expect.objectContaining({ subType: 'denied', reason: expect.stringMatching(/replay|InResponseTo|login not started in this browser/i) })]);
    });
  });
});
