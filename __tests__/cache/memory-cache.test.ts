import { describe, expect, it } from '@jest/globals';
import { memoryCache } from '../../lib/cache/sso-cache.js';
import { JitSsoError } from '../../lib/errors.js';

describe('memoryCache', () => {
  it('add stores a key once: a second add of a live key answers false (take-and-mark)', async () => {
    const cache = memoryCache();
    expect(await cache.add('a', '1', 1000)).toBe(true);
    expect(await cache.add('a', '2', 1000)).toBe(false);
    expect(await cache.get('a')).toBe('1');
  });

  it('20 parallel adds of one key give exactly one true', async () => {
    const cache = memoryCache();
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.add('assertion-1', '1', 1000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('take removes and returns the value once', async () => {
    const cache = memoryCache();
    await cache.add('req', 'created', 1000);
    const taken = await Promise.all([cache.take('req'), cache.take('req')]);
    expect(taken.sort()).toEqual(['created', null].sort());
    expect(await cache.get('req')).toBeNull();
  });

  it('forgets keys when their time is up, and the key can be added again', async () => {
    let now = 1_000;
    const cache = memoryCache({ now: () => now });
    await cache.add('k', 'v', 500);
    now += 499;
    expect(await cache.get('k')).toBe('v');
    now += 1;
    expect(await cache.get('k')).toBeNull();
    expect(await cache.add('k', 'w', 500)).toBe(true);
  });

  it('stays bounded: expired keys make room, and when every key is live it refuses with a 503 rather than forget one', async () => {
    let now = 0;
    const cache = memoryCache({ max: 2, now: () => now });
    await cache.add('a', '1', 100);
    await cache.add('b', '1', 100);
    const full = await cache.add('c', '1', 100).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(JitSsoError);
    expect((full as JitSsoError).code).toBe('ERR_JIT_SSO_STORE_UNAVAILABLE');
    expect(await cache.add('a', '2', 100)).toBe(false);
    now = 200;
    expect(await cache.add('c', '1', 100)).toBe(true);
  });
});

describe('memoryCache memory and lock-out', () => {
  it('drops expired keys as new ones arrive, so its size follows the live keys', async () => {
    let now = 0;
    const cache = memoryCache({ now: () => now });
    for (let i = 0; i < 1000; i++) {
      await cache.add(`a${i}`, '1', 100);
      now += 1;
    }
    const sizeOf = async () => {
      let live = 0;
      for (let i = 0; i < 1000; i++) if ((await cache.get(`a${i}`)) !== null) live++;
      return live;
    };
    expect(await sizeOf()).toBeLessThanOrEqual(100);
  });

  it("with whenFull 'evict-oldest', a flood of new keys pushes out the oldest instead of refusing (login starts cannot lock everyone out)", async () => {
    const cache = memoryCache({ max: 3, whenFull: 'evict-oldest' });
    for (const key of ['r1', 'r2', 'r3', 'r4']) expect(await cache.add(key, '1', 60_000)).toBe(true);
    expect(await cache.get('r1')).toBeNull();
    expect(await cache.get('r4')).toBe('1');
  });
});
