/**
 * A bounded map whose entries expire `ttlMs` after they were set (`Infinity`: never). When it is
 * full, entries not read since they were set (or since their last second chance) go first: a
 * "second chance" approximation of least-recently-used, so that `get` — once per authenticated
 * request, or per query for the SQL caches — is a lookup and a flag instead of a delete and a
 * re-insert.
 */
export class TtlLru<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number; read: boolean }>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    entry.read = true;
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.max <= 0 || this.ttlMs <= 0) return;
    // Room is made before the new entry goes in, so that the sweep never reaches it.
    if (!this.#entries.delete(key) && this.#entries.size >= this.max) this.#evictOne();
    this.#entries.set(key, { value, expiresAt: this.now() + this.ttlMs, read: false });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Drops the oldest entry not read since it was set or last passed over; a read one moves to the
   * back, unread. Each pass over an entry undoes one read, so a sweep costs no more than the reads
   * before it.
   */
  #evictOne(): void {
    const now = this.now();
    for (;;) {
      const [key, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(key);
      if (!entry.read || entry.expiresAt <= now) return;
      entry.read = false;
      this.#entries.set(key, entry);
    }
  }
}
