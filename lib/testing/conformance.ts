/**
 * `runUserStoreConformance`: the contract suite every {@link UserStore} runs — the memory store, the SQL
 * stores and yours. Works in Jest, Vitest (globals) and node:test (pass `describe` and `it`).
 * @module
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { JitSsoError } from '../errors.js';
import type { AuditEvent, NewUser, RoleAssignment, StoredUser, UserProfile, UserStore } from '../store/user-store.js';

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

type OptionalMethod = 'findUserByUsername' | 'findUserByEmail' | 'listAuditEvents' | 'transaction';
type Body = (store: ConformanceStore, run: string) => Promise<void>;

const AT = new Date('2024-05-01T10:00:00.000Z');
const CONFLICT = 'ERR_JIT_SSO_IDENTITY_CONFLICT';
const NOT_FOUND = 'ERR_JIT_SSO_USER_NOT_FOUND';
const UNKNOWN_IDS = ['999999999', 'no-such-user', '', "' OR '1'='1"];

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
    test('findUserByIdentity resolves null for an identity that was never linked', async (store, run) => {
      assert.equal(await store.findUserByIdentity({ provider: 'entra', subject: `${run}-nobody` }), null);
    });

    test('findUserById resolves null for unknown ids, also of another shape', async (store) => {
      for (const id of UNKNOWN_IDS)
        assert.equal(await store.findUserById(id), null, `findUserById(${JSON.stringify(id)})`);
    });

    test('createUser stores profile, custom fields, status, user type, roles and dates; both finds return them', async (store, run) => {
      const input = newUser(run, 'alice', {
        profile: {
          domain: 'contoso.com',
          email: `alice.${run}@contoso.com`,
          emailVerified: true,
          displayName: 'Alice Example',
          firstName: 'Alice',
          lastName: 'Example',
          fields: { dept: 'Sales', groups: ['g1', 'g2'] },
        },
        status: 'pending',
        userType: 'portal',
        roles: [idp('Admin'), byDefault('Viewer')],
      });
      const created = await store.createUser(input);
      assert.ok(typeof created.id === 'string' && created.id !== '', 'the id is a non-empty string');
      for (const user of [
        created,
        await store.findUserByIdentity(input.identity),
        await store.findUserById(created.id),
      ]) {
        assert.ok(user);
        assert.deepEqual(
          json({ ...profileOf(user), status: user.status, userType: user.userType, id: user.id }),
          json({ ...profileOf(input.profile), status: 'pending', userType: 'portal', id: created.id }),
        );
        assert.deepEqual(roleKeys(user), ['Admin|idp|entra', 'Viewer|default|entra']);
        for (const date of [user.createdAt, user.updatedAt, user.lastLoginAt])
          assert.ok(date instanceof Date && !Number.isNaN(date.getTime()));
        assert.equal(user.createdAt.getTime(), AT.getTime(), 'createdAt is NewUser.at');
        assert.equal(user.lastLoginAt?.getTime(), AT.getTime(), 'lastLoginAt is NewUser.at');
      }
    });

    test('optional profile fields a user lacks read back as undefined, not null', async (store, run) => {
      const user = await store.findUserById((await store.createUser(newUser(run, 'min'))).id);
      assert.ok(user);
      for (const key of ['domain', 'email', 'emailVerified', 'displayName', 'firstName', 'lastName'] as const)
        assert.equal(user[key], undefined, key);
      assert.deepEqual(json(user.fields), {});
    });

    test('a returned user is the caller’s copy: changing it changes nothing stored', async (store, run) => {
      const created = await store.createUser(newUser(run, 'copy', { roles: [manual('Viewer')] }));
      created.username = 'mallory';
      created.roles.push(manual('Admin'));
      created.fields.injected = 'x';
      const again = await store.findUserById(created.id);
      assert.equal(again?.username, `copy.${run}`);
      assert.deepEqual(again && roleKeys(again), ['Viewer|manual|']);
      assert.deepEqual(again && json(again.fields), {});
    });

    test('a second createUser for a linked identity rejects with ERR_JIT_SSO_IDENTITY_CONFLICT and creates no user', async (store, run) => {
      const first = await store.createUser(newUser(run, 'bob'));
      const second = newUser(run, 'bob', { profile: { username: `bob2.${run}` } });
      await rejectsWith(store.createUser(second), CONFLICT);
      const found = await store.findUserByIdentity(second.identity);
      assert.equal(found?.id, first.id);
      assert.equal(found?.username, first.username);
      if (store.findUserByUsername) assert.equal(await store.findUserByUsername(second.profile.username), null);
    });

    test('the same subject at another provider is another identity', async (store, run) => {
      const entra = await store.createUser(newUser(run, 'sam'));
      const okta = await store.createUser(
        newUser(run, 'sam', { identity: { provider: 'okta', subject: `${run}-sam` } }),
      );
      assert.notEqual(okta.id, entra.id);
      assert.equal((await store.findUserByIdentity({ provider: 'okta', subject: `${run}-sam` }))?.id, okta.id);
    });

    test('50 concurrent createUser calls for one identity end as exactly one user and 49 conflicts', async (store, run) => {
      const inputs = Array.from({ length: 50 }, (_, i) =>
        newUser(run, 'racer', { profile: { username: `racer${i}.${run}` } }),
      );
      const results = await Promise.allSettled(inputs.map((input) => store.createUser(input)));
      const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: unknown }).code] : []));
      assert.equal(created.length, 1, 'exactly one createUser resolves');
      assert.deepEqual(codes, Array(49).fill(CONFLICT), 'the 49 others reject with ERR_JIT_SSO_IDENTITY_CONFLICT');
      assert.equal((await store.findUserByIdentity(inputs[0]!.identity))?.id, created[0]!.id);
      for (const input of store.findUserByUsername ? inputs : []) {
        if (input.profile.username === created[0]!.username) continue;
        assert.equal(
          await store.findUserByUsername!(input.profile.username),
          null,
          'a losing createUser left a user behind',
        );
      }
    });

    test('role assignments keep their source and provider', async (store, run) => {
      const roles: RoleAssignment[] = [idp('Admin'), idp('Admin', 'okta'), manual('Editor'), byDefault('Viewer')];
      const user = await store.findUserById((await store.createUser(newUser(run, 'prov', { roles }))).id);
      assert.deepEqual(user && roleKeys(user), [
        'Admin|idp|entra',
        'Admin|idp|okta',
        'Editor|manual|',
        'Viewer|default|entra',
      ]);
    });

    test('changeRoles adds an assignment once, however often it is added', async (store, run) => {
      const { id } = await store.createUser(newUser(run, 'twice'));
      const admin: RoleAssignment = idp('Admin');
      await store.changeRoles(id, { add: [admin, { ...admin }], remove: [] });
      await store.changeRoles(id, { add: [admin], remove: [] });
      assert.deepEqual(await rolesOf(store, id), ['Admin|idp|entra']);
    });

    test('changeRoles removing an IdP role keeps a manual grant and another provider’s grant of that role', async (store, run) => {
      const roles: RoleAssignment[] = [idp('Admin'), idp('Admin', 'okta'), manual('Admin')];
      const { id } = await store.createUser(newUser(run, 'keep', { roles }));
      await store.changeRoles(id, { add: [], remove: [idp('Admin')] });
      assert.deepEqual(await rolesOf(store, id), ['Admin|idp|okta', 'Admin|manual|']);
    });

    test('changeRoles ignores the removal of an assignment the user does not have', async (store, run) => {
      const { id } = await store.createUser(newUser(run, 'noop', { roles: [idp('Admin')] }));
      const remove: RoleAssignment[] = [idp('Editor'), byDefault('Admin')];
      await store.changeRoles(id, { add: [idp('Viewer')], remove });
      assert.deepEqual(await rolesOf(store, id), ['Admin|idp|entra', 'Viewer|idp|entra']);
    });

    test('roles that do not exist are neither assigned nor created, by createUser or changeRoles', async (store, run) => {
      const ghost: RoleAssignment = { role: 'Ghost', source: 'idp', provider: 'entra' };
      const { id } = await store.createUser(newUser(run, 'ghost', { roles: [ghost, idp('Viewer')] }));
      await store.changeRoles(id, { add: [{ ...ghost, role: 'Phantom' }], remove: [] });
      assert.deepEqual(await rolesOf(store, id), ['Viewer|idp|entra']);
      assert.deepEqual(await store.existingRoles(['Ghost', 'Phantom']), []);
    });

    test('changeRoles on an unknown user rejects with ERR_JIT_SSO_USER_NOT_FOUND', async (store) => {
      for (const id of UNKNOWN_IDS)
        await rejectsWith(store.changeRoles(id, { add: [manual('Admin')], remove: [] }), NOT_FOUND);
    });

    test('existingRoles answers which names exist, in the store’s spelling', async (store) => {
      assert.deepEqual([...(await store.existingRoles(['Viewer', 'Ghost', 'Admin']))].sort(), ['Admin', 'Viewer']);
      assert.deepEqual(await store.existingRoles([]), []);
      for (const name of await store.existingRoles(['admin']))
        assert.equal(name, 'Admin', 'a match is reported as the store spells it');
    });

    test('updateUser changes the named fields, clears null ones, and leaves the rest and the roles alone', async (store, run) => {
      const input = newUser(run, 'upd', {
        profile: { email: 'old@contoso.com', firstName: 'Old', lastName: 'Name' },
        roles: [manual('Viewer')],
      });
      const { id, updatedAt } = await store.createUser(input);
      const updated = await store.updateUser(id, { email: 'new@contoso.com', firstName: null, domain: null });
      for (const user of [updated, await store.findUserById(id)]) {
        assert.ok(user);
        assert.deepEqual(
          json(profileOf(user)),
          json({ ...profileOf(input.profile), email: 'new@contoso.com', firstName: undefined }),
        );
        assert.deepEqual(roleKeys(user), ['Viewer|manual|']);
        assert.ok(user.updatedAt.getTime() >= updatedAt.getTime(), 'updatedAt does not go back');
      }
    });

    test('updateUser merges custom fields per key and a null value removes the key', async (store, run) => {
      const { id } = await store.createUser(
        newUser(run, 'fld', {
          profile: { fields: { dept: 'Sales', site: 'Oslo', tags: ['a'] } },
        }),
      );
      await store.updateUser(id, { fields: { dept: 'Support', site: null, cost: ['1', '2'] } });
      assert.deepEqual(json((await store.findUserById(id))!.fields), {
        dept: 'Support',
        tags: ['a'],
        cost: ['1', '2'],
      });
    });

    test('updateUser sets status, userType and lastLoginAt', async (store, run) => {
      const { id } = await store.createUser(newUser(run, 'st'));
      const later = new Date('2024-06-01T08:30:00.000Z');
      await store.updateUser(id, { status: 'disabled', userType: 'portal', lastLoginAt: later });
      const user = (await store.findUserById(id))!;
      assert.deepEqual(
        [user.status, user.userType, user.lastLoginAt?.getTime()],
        ['disabled', 'portal', later.getTime()],
      );
    });

    test('updateUser resolves null for an unknown user', async (store) => {
      for (const id of UNKNOWN_IDS) assert.equal(await store.updateUser(id, { displayName: 'x' }), null);
    });

    test('linkIdentity links another identity: both find the user, and createUser for it then conflicts', async (store, run) => {
      const user = await store.createUser(newUser(run, 'link'));
      const okta = { provider: 'okta', subject: `${run}-link-okta`, issuer: 'https://okta.example' };
      await store.linkIdentity(user.id, okta);
      assert.equal((await store.findUserByIdentity(okta))?.id, user.id);
      assert.equal((await store.findUserByIdentity({ provider: 'entra', subject: `${run}-link` }))?.id, user.id);
      await rejectsWith(store.createUser(newUser(run, 'link-okta', { identity: okta })), CONFLICT);
    });

    test('linkIdentity of an identity linked to another user rejects with a conflict and leaves it there', async (store, run) => {
      const owner = await store.createUser(newUser(run, 'owner'));
      const other = await store.createUser(newUser(run, 'other'));
      await rejectsWith(store.linkIdentity(other.id, { provider: 'entra', subject: `${run}-owner` }), CONFLICT);
      await rejectsWith(store.linkIdentity(owner.id, { provider: 'entra', subject: `${run}-owner` }), CONFLICT);
      assert.equal((await store.findUserByIdentity({ provider: 'entra', subject: `${run}-owner` }))?.id, owner.id);
    });

    test('linkIdentity for an unknown user rejects with ERR_JIT_SSO_USER_NOT_FOUND and links nothing', async (store, run) => {
      const link = { provider: 'entra', subject: `${run}-orphan` };
      for (const id of UNKNOWN_IDS) await rejectsWith(store.linkIdentity(id, link), NOT_FOUND);
      assert.equal(await store.findUserByIdentity(link), null);
    });

    optional('findUserByUsername', (test) => {
      test('findUserByUsername finds one user case-insensitively, narrowed by domain; null when none or several', async (store, run) => {
        const solo = await store.createUser(newUser(run, 'solo', { profile: { domain: 'contoso.com' } }));
        await store.createUser(newUser(run, 'dup1', { profile: { username: `dup.${run}`, domain: 'contoso.com' } }));
        const dup2 = await store.createUser(
          newUser(run, 'dup2', { profile: { username: `dup.${run}`, domain: 'fabrikam.com' } }),
        );
        const find = store.findUserByUsername!.bind(store);
        assert.equal((await find(`SOLO.${run}`.toUpperCase()))?.id, solo.id);
        assert.equal((await find(`solo.${run}`, 'CONTOSO.COM'))?.id, solo.id);
        assert.equal(await find(`solo.${run}`, 'fabrikam.com'), null);
        assert.equal(await find(`dup.${run}`), null, 'several users match');
        assert.equal((await find(`dup.${run}`, 'fabrikam.com'))?.id, dup2.id);
        assert.equal(await find(`nobody.${run}`), null);
      });
    });

    optional('findUserByEmail', (test) => {
      test('findUserByEmail finds one user case-insensitively; null when none or several', async (store, run) => {
        const one = await store.createUser(newUser(run, 'm1', { profile: { email: `One.${run}@Contoso.com` } }));
        const shared = { profile: { email: `shared.${run}@contoso.com` } };
        for (const key of ['m2', 'm3']) await store.createUser(newUser(run, key, shared));
        const find = store.findUserByEmail!.bind(store);
        assert.equal((await find(`one.${run}@contoso.com`.toUpperCase()))?.id, one.id);
        assert.equal(await find(`shared.${run}@contoso.com`), null, 'several users match');
        assert.equal(await find(`nobody.${run}@contoso.com`), null);
      });
    });

    optional('listAuditEvents', (test) => {
      test('appended audit events read back with every field, newest first', async (store, run) => {
        const { id } = await store.createUser(newUser(run, 'aud'));
        const older = event(run, id, 'existing-user', 0);
        const newer: AuditEvent = {
          ...event(run, id, 'denied', 1),
          code: 'ERR_JIT_SSO_GROUP_NOT_ALLOWED',
          reason: 'not in Staff',
          ip: '192.0.2.7',
          requestId: 'req-1',
          changes: {
            fields: [{ field: 'email', before: 'a@x.com', after: 'b@x.com' }],
            rolesAdded: ['Viewer'],
            rolesRemoved: [],
            rolesSkipped: ['Ghost'],
          },
        };
        await store.appendAudit(older);
        await store.appendAudit(newer);
        const listed = await store.listAuditEvents!({ userId: id });
        assert.deepEqual(json(listed), json([newer, older]));
        assert.ok(
          listed.every((e) => e.at instanceof Date),
          'at is a Date',
        );
      });

      test('listAuditEvents filters by userId and subType and pages with limit and offset', async (store, run) => {
        const [a, b] = [await store.createUser(newUser(run, 'a')), await store.createUser(newUser(run, 'b'))];
        const subTypes = ['existing-user', 'denied', 'existing-user', 'denied', 'existing-user'] as const;
        for (const [i, subType] of subTypes.entries()) await store.appendAudit(event(run, a.id, subType, i));
        await store.appendAudit(event(run, b.id, 'denied', 9));
        const minutes = async (q: Parameters<NonNullable<UserStore['listAuditEvents']>>[0]) =>
          (await store.listAuditEvents!(q)).map((e) => (e.at.getTime() - AT.getTime()) / 60_000);
        assert.deepEqual(await minutes({ userId: a.id }), [4, 3, 2, 1, 0]);
        assert.deepEqual(await minutes({ userId: a.id, subType: 'denied' }), [3, 1]);
        assert.deepEqual(await minutes({ userId: a.id, limit: 2, offset: 1 }), [3, 2]);
        assert.deepEqual(await minutes({ userId: b.id }), [9]);
      });

      test('listAuditEvents returns at most 100 events unless given a limit', async (store, run) => {
        const { id } = await store.createUser(newUser(run, 'many'));
        for (let i = 0; i < 101; i += 1) await store.appendAudit(event(run, id, 'existing-user', i));
        const listed = await store.listAuditEvents!({ userId: id });
        assert.equal(listed.length, 100);
        assert.equal(listed[0]!.at.getTime(), AT.getTime() + 100 * 60_000, 'the newest comes first');
      });
    });

    optional('transaction', (test) => {
      test('a rejected transaction leaves no user and no identity link, and rejects with fn’s error', async (store, run) => {
        const input = newUser(run, 'tx', { roles: [idp('Admin')] });
        const refusal = new JitSsoError('ERR_JIT_SSO_LOGIN_REFUSED', { message: 'conformance: roll back' });
        let createdId = '';
        await assert.rejects(
          store.transaction!(async (tx) => {
            createdId = (await tx.createUser(input)).id;
            throw refusal;
          }),
          (err) => err === refusal,
        );
        assert.equal(await store.findUserByIdentity(input.identity), null);
        assert.equal(await store.findUserById(createdId), null);
        assert.ok(await store.createUser(input), 'the identity can be linked again: the link was undone');
      });

      test('a rejected transaction undoes updates and role changes to an existing user', async (store, run) => {
        const { id } = await store.createUser(newUser(run, 'undo', { roles: [manual('Viewer')] }));
        await assert.rejects(
          store.transaction!(async (tx) => {
            await tx.updateUser(id, { displayName: 'Changed', fields: { dept: 'X' } });
            await tx.changeRoles(id, {
              add: [manual('Admin')],
              remove: [manual('Viewer')],
            });
            throw new JitSsoError('ERR_JIT_SSO_LOGIN_REFUSED');
          }),
        );
        const user = (await store.findUserById(id))!;
        assert.deepEqual([user.displayName, json(user.fields), roleKeys(user)], [undefined, {}, ['Viewer|manual|']]);
      });

      test('a resolved transaction keeps its writes and resolves with fn’s value', async (store, run) => {
        const input = newUser(run, 'commit');
        const id = await store.transaction!(async (tx) => {
          const user = await tx.createUser(input);
          await tx.changeRoles(user.id, { add: [idp('Editor')], remove: [] });
          return user.id;
        });
        const user = await store.findUserByIdentity(input.identity);
        assert.equal(user?.id, id);
        assert.deepEqual(roleKeys(user!), ['Editor|idp|entra']);
      });
    });
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

/** A new user keyed `key` for this test run; `profile` is merged onto `{ username: key.run, fields: {} }`. */
function newUser(
  run: string,
  key: string,
  extra: Partial<Omit<NewUser, 'profile'>> & { profile?: Partial<UserProfile> } = {},
): NewUser {
  const { profile, ...rest } = extra;
  return {
    profile: { username: `${key}.${run}`, fields: {}, ...profile },
    status: 'active',
    userType: 'employee',
    identity: { provider: 'entra', subject: `${run}-${key}` },
    roles: [],
    at: AT,
    ...rest,
  };
}

const idp = (role: string, provider = 'entra'): RoleAssignment => ({ role, source: 'idp', provider });
const byDefault = (role: string): RoleAssignment => ({ role, source: 'default', provider: 'entra' });
const manual = (role: string): RoleAssignment => ({ role, source: 'manual' });
const rolesOf = async (store: UserStore, id: string) => roleKeys((await store.findUserById(id)) ?? { roles: [] });

/** A login event for `userId`, `minute` minutes after {@link AT}. */
function event(run: string, userId: string, subType: AuditEvent['subType'], minute: number): AuditEvent {
  const at = new Date(AT.getTime() + minute * 60_000);
  return { at, type: 'login', subType, provider: 'entra', subject: `${run}-audit`, userId };
}

function profileOf(user: UserProfile): UserProfile {
  const { username, domain, email, emailVerified, displayName, firstName, lastName, fields } = user;
  return { username, domain, email, emailVerified, displayName, firstName, lastName, fields };
}

/** Assignments as sorted `role|source|provider` strings; a `null` provider shows as `null` and fails the match. */
function roleKeys(user: Pick<StoredUser, 'roles'>): string[] {
  return user.roles.map((r) => `${r.role}|${r.source}|${r.provider === undefined ? '' : String(r.provider)}`).sort();
}

/** JSON round trip: drops `undefined` (absent) keys but keeps `null`, which the contract's types do not allow. */
function json(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal((err as { code?: unknown } | null)?.code, code);
    return true;
  });
}
