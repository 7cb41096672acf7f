/**
 * Conformance cases of identities: creating users, finding them, linking identities, and the conflicts
 * that keep one identity on one user.
 * @module
 */
import assert from 'node:assert/strict';
import {
  AT,
  CONFLICT,
  NOT_FOUND,
  UNKNOWN_IDS,
  newUser,
  idp,
  byDefault,
  manual,
  profileOf,
  roleKeys,
  json,
  rejectsWith,
  type RegisterOptional,
  type RegisterTest,
} from './fixtures.js';

/** Cases of `findUserByIdentity`, `findUserById` and `createUser`, including concurrent first logins. */
export function registerIdentityCases(test: RegisterTest): void {
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
}

/** Cases of `linkIdentity`. */
export function registerLinkCases(test: RegisterTest): void {
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
}

/** Cases of the Optional `findUserByUsername` and `findUserByEmail`. */
export function registerLookupCases(optional: RegisterOptional): void {
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

  optional('listIdentities', (test) => {
    test("listIdentities lists a user's identity links, [] for a user without one or an unknown id", async (store, run) => {
      const user = await store.createUser(newUser(run, 'li'));
      await store.linkIdentity(user.id, { provider: `other-${run}`, subject: `li2.${run}` });
      const other = await store.createUser(newUser(run, 'li-other'));
      const links = await store.listIdentities!(user.id);
      assert.deepEqual(
        links.map((l) => [l.provider, l.subject]).sort(),
        [[`other-${run}`, `li2.${run}`], ['entra', `${run}-li`]].sort(),
      );
      assert.ok(!(await store.listIdentities!(other.id)).some((l) => l.subject === `li2.${run}`));
      for (const id of UNKNOWN_IDS) assert.deepEqual(await store.listIdentities!(id), []);
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
}
