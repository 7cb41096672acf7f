/**
 * The store part of jit-sso: the {@link UserStore} contract and {@link MemoryUserStore}, its reference implementation.
 * @example
 * import { MemoryUserStore, type UserStore } from './store/index.js';
 * @module
 */
export * from './user-store.js';
export * from './memory-store.js';
export * from './user-admin.js';
