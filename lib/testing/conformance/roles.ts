/**
 * Conformance cases of role assignments: `changeRoles`, `existingRoles`, and roles that do not exist.
 * @module
 */
import assert from 'node:assert/strict';
import type { RoleAssignment } from '../../store/user-store.js';
import {
  NOT_FOUND,
  UNKNOWN_IDS,
  newUser,
  idp,
  byDefault,
  manual,
  rolesOf,
  roleKeys,
  rejectsWith,
  type RegisterTest,
} from './fixtures.js';

/** Cases of role assignments, `changeRoles` and `existingRoles`. */
export function registerRoleCases(test: RegisterTest): void {
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
    assert.deepEqual(await store.existingRoles(['admin']), [], 'names match exactly by default');
    assert.deepEqual(await store.existingRoles(['admin', 'VIEWER'], { caseInsensitive: true }).then((r) => [...r].sort()), ['Admin', 'Viewer'], 'caseInsensitive matches ignoring case, in the store’s spelling');
  });
}
