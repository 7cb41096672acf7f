/**
 * The store part of jit-sso: the {@link UserStore} contract and the in-memory reference store.
 * @module
 */
export * from './user-store.js';
export * from './memory-store.js';
