import { describe, expect, it, jest } from '@jest/globals';
import { MemoryUserStore, type UserStore } from '../../lib/store/index.js';
import {
  CONFORMANCE_ROLES,
  runUserStoreConformance,
  type ConformanceStore,
  type ConformanceStoreFactory,
} from '../../lib/testing/conformance/index.js';

type Registered = { title: string; fn: (context?: unknown) => Promise<void> };

/** Registers the suite with node:test-style injected describe/it and returns the tests, unrun. */
function collect(factory: ConformanceStoreFactory, log: (message: string) => void = () => undefined): Registered[] {
  const tests: Registered[] = [];
  runUserStoreConformance('under test', factory, {
    describe: (_name, fn) => fn(),
    it: (title, fn) => void tests.push({ title, fn: fn as Registered['fn'] }),
    log,
  });
  return tests;
}

/** Runs every registered test; returns the titles of those that failed. */
async function failures(tests: Registered[], context?: unknown): Promise<string[]> {
  const failed: string[] = [];
  for (const test of tests) await test.fn.call(undefined, context).catch(() => failed.push(test.title));
  return failed;
}

const REQUIRED = [
  'findUserByIdentity',
  'findUserById',
  'createUser',
  'updateUser',
  'linkIdentity',
  'existingRoles',
  'changeRoles',
  'appendAudit',
] as const;

/** A store offering only the Required methods, over a memory store. */
function requiredOnly(inner: MemoryUserStore): ConformanceStore {
  const store: Record<string, unknown> = { createRole: (name: string) => inner.createRole(name) };
  for (const name of REQUIRED) store[name] = (inner[name] as (...a: unknown[]) => unknown).bind(inner);
  return store as unknown as ConformanceStore;
}

const OPTIONAL_TESTS = 9;

describe('runUserStoreConformance', () => {
  it('throws ERR_JIT_SSO_INVALID_OPTIONS naming describe when no test framework is around', () => {
    const globals = globalThis as Record<string, unknown>;
    const saved = { describe: globals.describe, it: globals.it, test: globals.test };
    Object.assign(globals, { describe: undefined, it: undefined, test: undefined });
    try {
      expect(() => runUserStoreConformance('x', () => new MemoryUserStore())).toThrow(
        expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path: 'describe' } }),
      );
    } finally {
      Object.assign(globals, saved);
    }
  });

  it('asks the factory for a fresh store per test with the roles Admin, Editor and Viewer', async () => {
    const factory = jest.fn<ConformanceStoreFactory>(({ roles }) => new MemoryUserStore({ roles }));
    const tests = collect(factory);
    expect(tests.length).toBeGreaterThanOrEqual(30);
    expect(await failures(tests)).toEqual([]);
    expect(factory).toHaveBeenCalledTimes(tests.length);
    expect(factory.mock.calls.every(([setup]) => setup.roles.join() === CONFORMANCE_ROLES.join())).toBe(true);
  });

  it('creates the roles through createRole when the factory does not', async () => {
    expect(await failures(collect(() => new MemoryUserStore()))).toEqual([]);
  });

  it('fails a test with a message saying the factory must create the roles when they cannot be created', async () => {
    const bare = requiredOnly(new MemoryUserStore());
    delete (bare as { createRole?: unknown }).createRole;
    const [first] = collect(() => bare);
    await expect(first!.fn()).rejects.toThrow(/must create the roles/);
  });

  it('skips the Optional tests of a Required-only store through the context skip() of Vitest and node:test', async () => {
    const skip = jest.fn<(note?: string) => void>();
    const tests = collect(() => requiredOnly(new MemoryUserStore()));
    expect(await failures(tests, { skip })).toEqual([]);
    expect(skip).toHaveBeenCalledTimes(OPTIONAL_TESTS);
    expect(skip.mock.calls.map(([note]) => note)).toContain('skipped: the store has no transaction() (Optional)');
  });

  it('logs a skip note for each Optional test under Jest, which passes no context', async () => {
    const log = jest.fn<(message: string) => void>();
    expect(await failures(collect(() => requiredOnly(new MemoryUserStore()), log))).toEqual([]);
    expect(log).toHaveBeenCalledTimes(OPTIONAL_TESTS);
    expect(log.mock.calls[0]![0]).toMatch(
      /^\[jit-sso conformance\] under test › .*skipped: the store has no findUserByUsername\(\)/,
    );
  });

  it('calls teardown with each test’s store, also when the test fails', async () => {
    const teardown = jest.fn<(store: ConformanceStore) => void>();
    const stores: ConformanceStore[] = [];
    const tests: Registered[] = [];
    runUserStoreConformance(
      't',
      () => {
        const store = requiredOnly(new MemoryUserStore());
        store.findUserById = async () => {
          throw new TypeError('backend down');
        };
        stores.push(store);
        return store;
      },
      { describe: (_n, fn) => fn(), it: (title, fn) => void tests.push({ title, fn }), teardown, log: () => undefined },
    );
    expect((await failures(tests)).length).toBeGreaterThan(0);
    expect(teardown.mock.calls.map(([store]) => store)).toEqual(stores);
  });

  it('catches a store that answers a duplicate identity with the existing user instead of a conflict', async () => {
    const upserting = (): ConformanceStore => {
      const inner = new MemoryUserStore({ roles: [...CONFORMANCE_ROLES] });
      const createUser: UserStore['createUser'] = async (user) =>
        inner.createUser(user).catch(async () => (await inner.findUserByIdentity(user.identity))!);
      return Object.assign(requiredOnly(inner), { createUser });
    };
    const failed = await failures(collect(upserting));
    expect(failed).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^50 concurrent createUser calls/),
        expect.stringMatching(/^a second createUser for a linked identity/),
      ]),
    );
  });

  it('catches a transaction() that does not roll back', async () => {
    const noRollback = (): ConformanceStore => {
      const inner = new MemoryUserStore({ roles: [...CONFORMANCE_ROLES] });
      return Object.assign(requiredOnly(inner), { transaction: <T>(fn: (s: UserStore) => Promise<T>) => fn(inner) });
    };
    const failed = await failures(collect(noRollback));
    expect(failed.filter((title) => title.startsWith('a rejected transaction'))).toHaveLength(2);
  });
});
