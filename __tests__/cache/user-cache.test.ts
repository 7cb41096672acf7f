import { describe, expect, it } from '@jest/globals';
import { TtlLru } from '../../lib/internal/ttl-lru.js';

describe('the signed-in user cache (TtlLru)', () => {
  it('answers a cached user until ttlMs after it was set, however often it is read, then not at all', () => {
    let now = 1_000;
    const cache = new TtlLru<string>(10, 5_000, () => now);
    cache.set('u1', 'alice');
    for (; now < 5_999; now += 1_000) expect(cache.get('u1')).toBe('alice');
    now = 6_000;
    expect(cache.get('u1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('when full, drops a user nobody read before the ones signed-in requests keep reading', () => {
    const now = 1_000;
    const cache = new TtlLru<string>(3, 5_000, () => now);
    cache.set('busy', 'a');
    cache.set('idle', 'b');
    cache.set('also-busy', 'c');
    cache.get('busy');
    cache.get('also-busy');
    cache.set('new', 'd');
    expect(cache.size).toBe(3);
    expect(cache.get('idle')).toBeUndefined();
    expect([cache.get('busy'), cache.get('also-busy'), cache.get('new')]).toEqual(['a', 'c', 'd']);
  });

  it('stays within max when every user is being read, dropping the oldest', () => {
    const cache = new TtlLru<number>(100, 5_000, () => 0);
    for (let i = 0; i < 1_000; i++) {
      cache.set(`u${i}`, i);
      for (let k = Math.max(0, i - 99); k <= i; k++) cache.get(`u${k}`);
    }
    expect(cache.size).toBe(100);
    expect(cache.get('u899')).toBeUndefined();
    expect(cache.get('u999')).toBe(999);
  });

  it('a set replaces the entry and restarts its time; delete and a disabled cache hold nothing', () => {
    let now = 0;
    const cache = new TtlLru<string>(10, 100, () => now);
    cache.set('u', 'old');
    now = 90;
    cache.set('u', 'new');
    now = 150;
    expect(cache.get('u')).toBe('new');
    cache.delete('u');
    expect(cache.get('u')).toBeUndefined();
    const off = new TtlLru<string>(0, 100);
    off.set('u', 'x');
    expect(off.get('u')).toBeUndefined();
  });
});
