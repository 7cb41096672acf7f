/**
 * The key-value cache behind the SAML request cache (InResponseTo) and the assertion replay cache.
 * In memory by default; `redisCache` for several app instances.
 * @module
 */
import { JitSsoError } from '../errors.js';

/**
 * A small async cache with expiring keys. `add` and `take` must be atomic: two callers racing on
 * one key get one `true` / one value between them (that is what stops a replayed assertion).
 */
export interface SsoCache {
  /** Stores `value` under `key` for `ttlMs` unless the key is live; `true` when this call stored it. */
  add(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** The live value under `key`, or `null`. */
  get(key: string): Promise<string | null>;
  /** Removes `key` and returns its live value, or `null` when there was none. */
  take(key: string): Promise<string | null>;
}

/** Options of {@link memoryCache}. */
export interface MemoryCacheOptions {
  /**
   * At most this many live keys. When full, expired keys are dropped first; if all are live, `add`
   * fails with `ERR_JIT_SSO_STORE_UNAVAILABLE` (503) rather than forget a key a replay check needs.
   * @default 100000
   */
  max?: number;
  /**
   * When every key is live and the cache is full: `'refuse'` (503 — right for a replay cache, which
   * must not forget an assertion it accepted) or `'evict-oldest'` (right for a request cache, so
   * that anonymous login starts cannot lock everyone out by filling it).
   * @default 'refuse'
   */
  whenFull?: 'refuse' | 'evict-oldest';
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * An in-process {@link SsoCache}. Right for one app instance; several instances need a shared one
 * (`redisCache`), or a login started on one instance cannot finish on another.
 * @example
 * samlProvider({ ..., requestCache: memoryCache(), replayCache: memoryCache({ max: 500_000 }) })
 */
export function memoryCache(options: MemoryCacheOptions = {}): SsoCache {
  const max = options.max ?? 100_000;
  const now = options.now ?? Date.now;
  const whenFull = options.whenFull ?? 'refuse';
  const entries = new Map<string, { value: string; expiresAt: number }>();

  function live(key: string): { value: string; expiresAt: number } | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Drops expired keys from the oldest end (keys of one cache mostly share one lifetime), so memory follows the live keys. */
  function sweep(): void {
    const t = now();
    for (const [key, entry] of entries) {
      if (entry.expiresAt > t) break;
      entries.delete(key);
    }
  }

  function prune(): void {
    const t = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key);
  }

  return {
    async add(key, value, ttlMs) {
      if (live(key)) return false;
      sweep();
      if (entries.size >= max) prune();
      if (entries.size >= max && whenFull === 'evict-oldest') entries.delete(entries.keys().next().value as string);
      if (entries.size >= max) {
        throw new JitSsoError('ERR_JIT_SSO_STORE_UNAVAILABLE', { details: { reason: 'memory cache full', max } });
      }
      entries.set(key, { value, expiresAt: now() + Math.max(1, ttlMs) });
      return true;
    },
    async get(key) {
      return live(key)?.value ?? null;
    },
    async take(key) {
      const entry = live(key);
      if (!entry) return null;
      entries.delete(key);
      return entry.value;
    },
  };
}
