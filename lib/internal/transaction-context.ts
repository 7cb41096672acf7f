/**
 * The open transaction of the current async call, for the stores whose outer instance must join a
 * transaction it is called from inside.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UserStore } from '../store/user-store.js';

/**
 * An `AsyncLocalStorage` that is enabled only while a `run` is in progress. While one is enabled,
 * Node 20 tracks the async context of every promise in the process (node-saml's, Express's, the
 * session store's); between transactions there is no context to find, so tracking is switched off.
 */
export class TransactionContext<T> {
  readonly #storage = new AsyncLocalStorage<T>();
  #running = 0;

  /** The transaction the current async call runs in, if any. */
  current(): T | undefined {
    return this.#storage.getStore();
  }

  /** Runs `fn` inside `scope`; tracking stays on until the last run in progress settles. */
  async run<R>(scope: T, fn: () => Promise<R>): Promise<R> {
    this.#running++;
    try {
      return await this.#storage.run(scope, fn);
    } finally {
      if (--this.#running === 0) this.#storage.disable();
    }
  }
}

/**
 * jit-sso's own stores answer this key with a transaction that does not track the async context: for a
 * caller whose `fn` calls only the store it is given (the provisioner's does), so calls on the outer
 * store from inside `fn` need not find the transaction. While the async context is tracked, Node 20
 * runs its promise hooks for every promise in the process — a database driver makes many. A key in
 * the global symbol registry, so that the store of `jit-sso/sql` and the provisioner of `jit-sso` (and
 * their ESM and CommonJS builds) agree on it.
 */
export const UNTRACKED_TRANSACTION = Symbol.for('jit-sso.untracked-transaction.v1');

/** A store that offers {@link UNTRACKED_TRANSACTION}. */
export interface UntrackedTransactions {
  [UNTRACKED_TRANSACTION]<T>(fn: (store: UserStore) => Promise<T>): Promise<T>;
}

/**
 * Runs `fn` in a transaction of `store` — untracked where the store offers it — or on the store itself
 * when it has no transactions. `fn` must call only the store it is given.
 */
export function runTransaction<T>(store: UserStore, fn: (store: UserStore) => Promise<T>): Promise<T> {
  const untracked = (store as Partial<UntrackedTransactions>)[UNTRACKED_TRANSACTION];
  if (typeof untracked === 'function') return untracked.call(store, fn) as Promise<T>;
  return store.transaction ? store.transaction(fn) : fn(store);
}

/**
 * Whether `store` is a plain instance of `cls`: not a subclass, no methods replaced on the instance.
 * Only then does the untracked shortcut know every method it runs keeps to the store it is given.
 */
export function isPlainInstance(store: object, cls: { prototype: unknown }): boolean {
  return Object.getPrototypeOf(store) === cls.prototype && Reflect.ownKeys(store).length === 0;
}
