/**
 * `redisCache()`: the {@link SsoCache} for several app instances, over an ioredis-compatible client
 * the app creates. jit-sso never imports ioredis, so the core entry loads nothing the app lacks.
 * @module
 */
import { z } from 'zod';
import { JitSsoError } from '../errors.js';
import { parseOptions } from '../internal/options.js';
import type { SsoCache } from './sso-cache.js';

/**
 * The few commands `redisCache` sends, as an ioredis `Redis` or `Cluster` instance offers them.
 * Every command names a single key, so a Redis Cluster client works as well as a single-node one.
 * A node-redis client does not fit (it takes `SET` options as an object, and would silently drop
 * `NX`): it is refused at start-up for its missing `getdel`.
 */
export interface RedisCacheClient {
  /** `SET key value PX ms NX`: `'OK'` when set, `null` when the key exists. Required. */
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>;
  /** `GET key`. Required. */
  get(key: string): Promise<string | null>;
  /** `GETDEL key`. Required (the method; a server before 6.2 answers it with an error, see `eval`). */
  getdel(key: string): Promise<string | null>;
  /** `EVAL script numkeys key`: the atomic take when the server is older than Redis 6.2. Optional. */
  eval?(script: string, numKeys: number, ...keys: string[]): Promise<unknown>;
}

/** Options of {@link redisCache}. */
export interface RedisCacheOptions {
  /**
   * Put before every key. Every instance of one app must use the same prefix; apps (or
   * environments) sharing one Redis must use different ones.
   * @default 'jit-sso:'
   */
  prefix?: string;
}

const clientSchema = z.custom<RedisCacheClient>(
  (v) => typeof v === 'object' && v !== null && ['set', 'get', 'getdel'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  'must be an ioredis-compatible client with set(), get() and getdel()',
);

const optionsSchema = z
  .object({ prefix: z.string().min(1, 'must not be empty').max(256, 'at most 256 characters').default('jit-sso:') })
  .strict();

/** GET then DEL in one script: Redis runs a script atomically, as it does GETDEL. */
const TAKE_SCRIPT = "local v = redis.call('GET', KEYS[1]) if v then redis.call('DEL', KEYS[1]) end return v";

/**
 * An {@link SsoCache} in Redis, so that several app instances behind a load balancer share the
 * SAML request cache (a login started on one instance finishes on another) and the assertion replay
 * cache (a response accepted by one instance is refused by every other).
 *
 * `add` is `SET key value PX ttl NX` and `take` is `GETDEL` (or, before Redis 6.2, a Lua script):
 * each is one atomic command, so racing instances get one `true` / one value between them. Keys
 * expire with their TTL; nothing needs cleaning up.
 *
 * Any Redis failure (refused connection, timeout, error reply) rejects with
 * `ERR_JIT_SSO_STORE_UNAVAILABLE` (HTTP 503, the client's error as `cause`): a login is never let
 * through, nor refused as an attack, because Redis could not be asked.
 *
 * How fast a failure shows depends on the client: ioredis queues commands while it reconnects, so
 * set `maxRetriesPerRequest` and `commandTimeout` low enough that a login answers 503 instead of hanging.
 *
 * WARNING: a replay mark that Redis drops early lets a replayed assertion in. Run this Redis with
 * `maxmemory-policy noeviction` (the `volatile-*` policies evict these keys too) and with a replica
 * failover in mind: Redis replicates asynchronously, so a failover can lose the last writes.
 *
 * @param client An ioredis `Redis` (or `Cluster`) instance; the app owns it and quits it on shutdown.
 * @param options See {@link RedisCacheOptions}.
 * @throws JitSsoError `ERR_JIT_SSO_INVALID_OPTIONS` at start-up when the client or an option is wrong.
 * @example
 * import { Redis } from 'ioredis';
 * import { jitSso, redisCache, samlProvider } from 'jit-sso';
 *
 * // One client for the whole app; every instance points at the same Redis and uses the same prefix.
 * const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1, commandTimeout: 2000 });
 * const cache = redisCache(redis, { prefix: 'billing-app:sso:' });
 * app.use(jitSso({
 *   store,
 *   providers: [samlProvider({ ...entraOptions, requestCache: cache, replayCache: cache })],
 * }));
 * @see https://redis.io/docs/latest/commands/set/
 * @see https://redis.io/docs/latest/commands/getdel/
 */
export function redisCache(client: RedisCacheClient, options: RedisCacheOptions = {}): SsoCache {
  const redis = parseOptions(clientSchema, client, 'redisCache(client)');
  const { prefix } = parseOptions(optionsSchema, options, 'redisCache(options)');
  // Switched once, the first time the server answers that it has no GETDEL (Redis < 6.2).
  let useGetdel = true;

  async function take(key: string): Promise<string | null> {
    if (useGetdel) {
      try {
        return await redis.getdel(key);
      } catch (err) {
        if (!(typeof redis.eval === 'function' && isUnknownCommand(err))) throw err;
        useGetdel = false;
      }
    }
    const value = await redis.eval!(TAKE_SCRIPT, 1, key);
    return typeof value === 'string' ? value : null;
  }

  return {
    add: (key, value, ttlMs) => call('add', async () => (await redis.set(prefix + key, value, 'PX', expiry(ttlMs), 'NX')) === 'OK'),
    get: (key) => call('get', () => redis.get(prefix + key)),
    take: (key) => call('take', () => take(prefix + key)),
  };
}

/** Redis wants a positive whole number of milliseconds; a key due to expire now lives 1 ms. */
function expiry(ttlMs: number): number {
  if (!Number.isFinite(ttlMs)) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: 'redisCache: ttlMs must be a finite number', details: { path: 'ttlMs', ttlMs } });
  }
  return Math.max(1, Math.ceil(ttlMs));
}

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof JitSsoError) throw err;
    throw new JitSsoError('ERR_JIT_SSO_STORE_UNAVAILABLE', { cause: err, details: { reason: `redis cache ${operation} failed`, error: messageOf(err) } });
  }
}

function isUnknownCommand(err: unknown): boolean {
  return /unknown command/i.test(messageOf(err));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
