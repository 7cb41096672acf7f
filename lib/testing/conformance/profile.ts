/**
 * Conformance cases of `updateUser`: profile fields, custom fields, status and user type.
 * @module
 */
import assert from 'node:assert/strict';
import { UNKNOWN_IDS, newUser, manual, profileOf, roleKeys, json, type RegisterTest } from './fixtures.js';

/** Cases of `updateUser`. */
export function registerProfileCases(test: RegisterTest): void {
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
}
