/**
 * `runUserStoreConformance`: the contract suite every {@link UserStore} runs — the memory store, the SQL
 * stores and yours. Works in Jest, Vitest (globals) and node:test (pass `describe` and `it`).
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { JitSsoError } from '../../errors.js';
import type { UserStore } from '../../store/user-store.js';
import { registerAuditCases } from './audit.js';
import type { Body, OptionalMethod } from './fixtures.js';
import { registerIdentityCases, registerLinkCases, registerLookupCases } from './identity.js';
import { registerProfileCases } from './profile.js';
import { registerRoleCases } from './roles.js';
import { registerTransactionCases } from './transaction.js';

/**
 * The roles every conformance test needs; the factory receives them as `{ roles }`.
 * @example
 * await db.insertInto('roles').values(CONFORMANCE_ROLES.map((name) => ({ name }))).execute();
 */
export const CONFORMANCE_ROLES = ['Admin', 'Editor', 'Viewer'] as const;

/** What the factory is asked for: a fresh, empty store in which these roles exist. */
export interface ConformanceStoreSetup {
  roles: readonly string[];
}

/** A store under test; `createRole`, when offered, is used for roles the factory did not create. */
export type ConformanceStore = UserStore & { createRole?(name: string): Promise<unknown> | unknown };

/**
 * Builds a fresh, empty store per test, in which `setup.roles` exist.
 * @example
 * const factory: ConformanceStoreFactory = ({ roles }) => new MemoryUserStore({ roles });
 */
export type ConformanceStoreFactory = (setup: ConformanceStoreSetup) => Promise<ConformanceStore> | ConformanceStore;

/** The `describe` of Jest, Vitest or node:test. */
export type ConformanceDescribe = (name: string, fn: () => void) => unknown;

/** The `it` of Jest, Vitest or node:test. */
export interface ConformanceIt {
  (name: string, fn: () => Promise<void>, timeout?: number): unknown;
}

/**
 * Options of {@link runUserStoreConformance}; all optional under Jest and Vitest.
 * @example
 * import { describe, it } from 'node:test';
 * runUserStoreConformance('MyStore', makeStore, { describe, it, teardown: (store) => store.close() });
 */
export interface ConformanceOptions {
  /** @default globalThis.describe (Jest, Vitest with `globals: true`); pass node:test's. */
  describe?: ConformanceDescribe;
  /** @default globalThis.it */
  it?: ConformanceIt;
  /** Per-test timeout in ms (Jest, Vitest). @default the framework's */
  timeout?: number;
  /** Runs after each test with its store, e.g. to close a connection pool. */
  teardown?: (store: ConformanceStore) => Promise<void> | void;
  /** Receives the note of an optional test skipped under Jest (which cannot skip at run time). @default console.info */
  log?: (message: string) => void;
}

/**
 * Registers the `UserStore` contract suite (about thirty tests). Each test gets a fresh store from
 * `createStore({ roles: ['Admin', 'Editor', 'Viewer'] })` — the factory must create those roles,
 * or the store must offer `createRole(name)`. Ids, subjects and usernames are unique per test, so a
 * store over a shared database works too. Tests of Optional methods the store lacks are skipped
 * with a note. Assertions use `node:assert/strict`.
 *
 * @throws JitSsoError `ERR_JIT_SSO_INVALID_OPTIONS` when no `describe`/`it` is global or given.
 * @example
 * // Jest or Vitest (globals)
 * import { runUserStoreConformance } from 'jit-sso/testing';
 * runUserStoreConformance('MyStore', async ({ roles }) => {
 *   const store = new MyStore(await freshDatabase());
 *   for (const role of roles) await store.createRole(role);
 *   return store;
 * }, { teardown: (store) => store.close() });
 * @example
 * // node:test
 * import { describe, it } from 'node:test';
 * runUserStoreConformance('MyStore', makeStore, { describe, it });
 */
export function runUserStoreConformance(
  name: string,
  createStore: ConformanceStoreFactory,
  options: ConformanceOptions = {},
): void {
  const globals = globalThis as Record<string, unknown>;
  const describe = options.describe ?? (globals.describe as ConformanceDescribe | undefined);
  const it = options.it ?? ((globals.it ?? globals.test) as ConformanceIt | undefined);
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message:
        'runUserStoreConformance needs global describe/it (Jest, Vitest globals) or options.describe and options.it (node:test).',
      details: { path: typeof describe === 'function' ? 'it' : 'describe' },
    });
  }
  const log = options.log ?? ((message: string) => console.info(message));
  const register = (title: string, body: Body, needs?: OptionalMethod) =>
    it(
      title,
      async function conformanceTest() {
        // Vitest and node:test pass a context that can skip at run time; Jest passes nothing.
        const context = arguments[0] as { skip?: (note?: string) => void } | undefined;
        const store = await setUp(createStore);
        try {
          if (needs && typeof store[needs] !== 'function') {
            const note = `skipped: the store has no ${needs}() (Optional)`;
            if (typeof context?.skip === 'function') context.skip(note);
            else log(`[jit-sso conformance] ${name} › ${title}: ${note}`);
            return;
          }
          await body(store, randomUUID().slice(0, 8));
        } finally {
          await options.teardown?.(store);
        }
      },
      options.timeout,
    );
  const test = (title: string, body: Body) => register(title, body);
  /** Tests of an Optional method, skipped with a note when the store lacks it. */
  const optional = (needs: OptionalMethod, fn: (test: (title: string, body: Body) => void) => void) =>
    describe(`${needs} (Optional)`, () => fn((title, body) => register(title, body, needs)));

  describe(`UserStore conformance: ${name}`, () => {
    registerIdentityCases(test);
    registerRoleCases(test);
    registerProfileCases(test);
    registerLinkCases(test);
    registerLookupCases(optional);
    registerAuditCases(optional);
    registerTransactionCases(optional);
  });
}

async function setUp(createStore: ConformanceStoreFactory): Promise<ConformanceStore> {
  const store = await createStore({ roles: CONFORMANCE_ROLES });
  const present = new Set(await store.existingRoles(CONFORMANCE_ROLES));
  for (const role of CONFORMANCE_ROLES) if (!present.has(role)) await store.createRole?.(role);
  assert.deepEqual(
    [...(await store.existingRoles(CONFORMANCE_ROLES))].sort(),
    [...CONFORMANCE_ROLES].sort(),
    'the factory must create the roles it is given, or the store must offer createRole(name)',
  );
  return store;
}
