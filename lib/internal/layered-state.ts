/**
 * Copy-on-write layers for `MemoryUserStore` transactions: a layer reads through to the one below,
 * keeps its own writes, and hands them down on `commit()`. A transaction so costs what it writes,
 * not the size of the store (the audit trail only grows). Nothing is ever deleted — users, links,
 * roles and audit events are only added or replaced — which keeps reading through simple.
 * @module
 */

/** A map without `delete`, over another one or at the bottom. Values are never `undefined`. */
export class LayeredMap<K, V> {
  readonly #own = new Map<K, V>();

  constructor(private readonly below?: LayeredMap<K, V>) {}

  get(key: K): V | undefined {
    const value = this.#own.get(key);
    return value !== undefined || this.below === undefined ? value : this.below.get(key);
  }

  has(key: K): boolean {
    return this.#own.has(key) || (this.below !== undefined && this.below.has(key));
  }

  set(key: K, value: V): void {
    this.#own.set(key, value);
  }

  /** In the order one Map holding every write would have: a key keeps the place of its first write. */
  entries(): IterableIterator<[K, V]> {
    return this.below === undefined ? this.#own.entries() : this.#throughEntries(this.below);
  }

  keys(): IterableIterator<K> {
    return this.below === undefined ? this.#own.keys() : mapIterator(this.entries(), ([key]) => key);
  }

  values(): IterableIterator<V> {
    return this.below === undefined ? this.#own.values() : mapIterator(this.entries(), ([, value]) => value);
  }

  /** Writes this layer's entries into the one below. */
  commit(): void {
    for (const [key, value] of this.#own) this.below!.set(key, value);
  }

  *#throughEntries(below: LayeredMap<K, V>): IterableIterator<[K, V]> {
    for (const [key, value] of below.entries()) yield [key, this.#own.has(key) ? this.#own.get(key)! : value];
    for (const entry of this.#own) if (!below.has(entry[0])) yield entry;
  }
}

/** A list that is only appended to, over another one or at the bottom. */
export class LayeredList<T> {
  readonly #own: T[] = [];

  constructor(private readonly below?: LayeredList<T>) {}

  push(item: T): void {
    this.#own.push(item);
  }

  /** Every item, oldest first. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.below === undefined ? this.#own.values() : this.#through(this.below);
  }

  /** Appends this layer's items to the one below. */
  commit(): void {
    for (const item of this.#own) this.below!.push(item);
  }

  *#through(below: LayeredList<T>): IterableIterator<T> {
    yield* below;
    yield* this.#own;
  }
}

function* mapIterator<T, U>(items: Iterable<T>, map: (item: T) => U): IterableIterator<U> {
  for (const item of items) yield map(item);
}
