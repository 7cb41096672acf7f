/**
 * Conformance cases of the Optional `transaction`: rollback on rejection, commit on resolution.
 * @module
 */
import assert from 'node:assert/strict';
import { JitSsoError } from '../../errors.js';
import { newUser, idp, manual, roleKeys, json, type RegisterOptional } from './fixtures.js';

/** Cases of `transaction`. */
export function registerTransactionCases(optional: RegisterOptional): void {
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
}
