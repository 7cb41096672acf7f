/**
 * The open transaction of the current async call, for the stores whose outer instance must join a
 * transaction it is called from inside.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';

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
