/**
 * Conformance cases of the audit trail: `appendAudit` and the Optional `listAuditEvents`.
 * @module
 */
import assert from 'node:assert/strict';
import type { AuditEvent, UserStore } from '../../store/user-store.js';
import { AT, newUser, event, json, type RegisterOptional } from './fixtures.js';

/** Cases of `appendAudit` and `listAuditEvents`. */
export function registerAuditCases(optional: RegisterOptional): void {
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
}
