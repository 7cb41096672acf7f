import { describe, expect, it } from '@jest/globals';
import { JitSsoError } from '../../lib/errors.js';
import type { RoleAssignment } from '../../lib/store/user-store.js';
import { AT, event, newUser } from '../../lib/testing/conformance/fixtures.js';
import { eachDatabase } from './databases.js';

const manual = (role: string): RoleAssignment => ({ role, source: 'manual' });
const idp = (role: string): RoleAssignment => ({ role, source: 'idp', provider: 'entra' });
const keys = (roles: RoleAssignment[]) => roles.map((r) => `${r.role}|${r.source}|${r.provider ?? ''}`).sort();

describe('SqlUserStore admin API', () => {
  eachDatabase((open) => {
    it('creates a role once however often it is created, and lists roles in creation order', async () => {
      const store = await open();
      for (const role of ['Viewer', 'Admin', 'Viewer', 'Editor', 'Admin']) await store.createRole(role);
      expect(await store.listRoles()).toEqual(['Viewer', 'Admin', 'Editor']);
      await expect(store.createRole('  ')).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS' });
    });

    it('lists users in creation order, pages them with limit and offset, and counts them', async () => {
      const store = await open();
      const ids: string[] = [];
      for (const key of ['u0', 'u1', 'u2', 'u3', 'u4']) ids.push((await store.createUser(newUser('page', key))).id);
      expect((await store.listUsers()).map((u) => u.id)).toEqual(ids);
      expect((await store.listUsers({ limit: 2, offset: 1 })).map((u) => u.id)).toEqual(ids.slice(1, 3));
      expect(await store.listUsers({ offset: 5 })).toEqual([]);
      expect(await store.countUsers()).toBe(5);
      await expect(store.listUsers({ limit: -1 })).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path: 'limit' } });
      await expect(store.listUsers({ offset: 1.5 })).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path: 'offset' } });
    });

    it('searches username, domain, email and names ignoring case, and takes % and _ literally', async () => {
      const store = await open();
      const ann = await store.createUser(newUser('s', 'ann', { profile: { domain: 'Contoso.com', email: 'ann@contoso.com', lastName: 'Ångström' } }));
      const bob = await store.createUser(newUser('s', 'bob', { profile: { displayName: 'Bob 100%_sure', firstName: 'Robert' } }));
      await store.createUser(newUser('s', 'cyd', { profile: { domain: 'fabrikam.com' } }));
      const found = async (search: string) => (await store.listUsers({ search })).map((u) => u.id);
      expect(await found('CONTOSO')).toEqual([ann.id]);
      expect(await found('ångSTRÖM')).toEqual([ann.id]);
      expect(await found('robert')).toEqual([bob.id]);
      expect(await found('100%_')).toEqual([bob.id]);
      expect(await found('%')).toEqual([bob.id]);
      expect(await found('_')).toEqual([bob.id]);
      expect(await store.countUsers({ search: '.s' })).toBe(3);
    });

    it('grantRole adds a manual grant that survives the removal of the IdP assignment; false for a role that does not exist', async () => {
      const store = await open();
      await store.createRole('Admin');
      const { id } = await store.createUser(newUser('g', 'gil', { roles: [idp('Admin')] }));
      expect(await store.grantRole(id, 'Admin')).toBe(true);
      expect(await store.grantRole(id, 'Admin')).toBe(true);
      expect(await store.grantRole(id, 'Ghost')).toBe(false);
      await store.changeRoles(id, { add: [], remove: [idp('Admin')] });
      expect(keys((await store.findUserById(id))!.roles)).toEqual(['Admin|manual|']);
      expect(await store.existingRoles(['Ghost'])).toEqual([]);
    });

    it('revokeRole removes only the manual grant, keeps the IdP one, and says whether there was one', async () => {
      const store = await open();
      await store.createRole('Editor');
      const { id } = await store.createUser(newUser('r', 'rae', { roles: [idp('Editor'), manual('Editor')] }));
      expect(await store.revokeRole(id, 'Editor')).toBe(true);
      expect(await store.revokeRole(id, 'Editor')).toBe(false);
      expect(keys((await store.findUserById(id))!.roles)).toEqual(['Editor|idp|entra']);
    });

    it('grantRole, revokeRole and setStatus reject ERR_JIT_SSO_USER_NOT_FOUND for an unknown or malformed user id', async () => {
      const store = await open();
      await store.createRole('Admin');
      for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', "' OR 1=1 --"]) {
        await expect(store.grantRole(id, 'Admin')).rejects.toMatchObject({ code: 'ERR_JIT_SSO_USER_NOT_FOUND' });
        await expect(store.revokeRole(id, 'Admin')).rejects.toMatchObject({ code: 'ERR_JIT_SSO_USER_NOT_FOUND' });
        await expect(store.setStatus(id, 'active')).rejects.toMatchObject({ code: 'ERR_JIT_SSO_USER_NOT_FOUND' });
      }
    });

    it('setStatus activates a pending user and disables one, and refuses a status that does not exist', async () => {
      const store = await open();
      const { id, updatedAt } = await store.createUser(newUser('st', 'pat', { status: 'pending' }));
      const active = await store.setStatus(id, 'active');
      expect(active.status).toBe('active');
      expect(active.updatedAt.getTime()).toBeGreaterThan(updatedAt.getTime());
      expect((await store.setStatus(id, 'disabled')).status).toBe('disabled');
      await expect(store.setStatus(id, 'banned' as 'disabled')).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path: 'status' } });
      expect((await store.findUserById(id))!.status).toBe('disabled');
    });

    it('listAuditEvents reads every user’s events newest first, filters by sub-type, and keeps events without a user', async () => {
      const store = await open();
      const a = await store.createUser(newUser('au', 'a'));
      const b = await store.createUser(newUser('au', 'b'));
      await store.appendAudit(event('au', a.id, 'existing-user', 1));
      await store.appendAudit(event('au', b.id, 'denied', 2));
      const { userId: _dropped, ...anonymous } = event('au', '', 'denied', 3);
      await store.appendAudit({ ...anonymous, code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED' });
      const minutes = (events: { at: Date }[]) => events.map((e) => (e.at.getTime() - AT.getTime()) / 60_000);
      expect(minutes(await store.listAuditEvents())).toEqual([3, 2, 1]);
      const denied = await store.listAuditEvents({ subType: 'denied' });
      expect(minutes(denied)).toEqual([3, 2]);
      expect(denied[0]).not.toHaveProperty('userId');
      expect(denied[0]).toMatchObject({ code: 'ERR_JIT_SSO_USER_NOT_PROVISIONED', subject: 'au-audit' });
      await expect(store.listAuditEvents({ limit: 1.5 })).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS' });
    });
  });
});

describe('SqlUserStore lookups and transactions', () => {
  eachDatabase((open) => {
    it('finds users by username and email ignoring case beyond ASCII, like the memory store (Åsa = åsa)', async () => {
      const store = await open();
      const asa = await store.createUser(newUser('f', 'x', { profile: { username: 'Åsa.Öberg', domain: 'Exämple.SE', email: 'Åsa@Exämple.se' } }));
      expect((await store.findUserByUsername('åsa.öberg'))?.id).toBe(asa.id);
      expect((await store.findUserByUsername('ÅSA.ÖBERG', 'exämple.se'))?.id).toBe(asa.id);
      expect(await store.findUserByUsername('åsa.öberg', 'example.se')).toBeNull();
      expect((await store.findUserByEmail('åsa@EXÄMPLE.SE'))?.id).toBe(asa.id);
    });

    it('keeps custom fields named like Object.prototype members as plain keys', async () => {
      const store = await open();
      const fields = JSON.parse('{"__proto__":"p","constructor":["c"]}') as Record<string, string | string[]>;
      const { id } = await store.createUser(newUser('proto', 'pam', { profile: { fields } }));
      const read = (await store.findUserById(id))!.fields;
      expect(Object.getPrototypeOf(read)).toBeNull();
      expect(Object.entries(read)).toEqual([['__proto__', 'p'], ['constructor', ['c']]]);
    });

    it('a nested transaction that rejects undoes only its own writes; the outer one commits the rest', async () => {
      const store = await open();
      const outer = newUser('nest', 'outer');
      const inner = newUser('nest', 'inner');
      const refusal = new JitSsoError('ERR_JIT_SSO_LOGIN_REFUSED');
      await store.transaction(async (tx) => {
        await tx.createUser(outer);
        await expect(tx.transaction!(async (nested) => {
          await nested.createUser(inner);
          throw refusal;
        })).rejects.toBe(refusal);
      });
      expect(await store.findUserByIdentity(outer.identity)).not.toBeNull();
      expect(await store.findUserByIdentity(inner.identity)).toBeNull();
    });

    it('an identity conflict inside a transaction undoes the losing user and leaves the transaction usable', async () => {
      const store = await open();
      const taken = await store.createUser(newUser('tx', 'taken'));
      const other = newUser('tx', 'other');
      await store.transaction(async (tx) => {
        await expect(tx.createUser(newUser('tx', 'taken', { profile: { username: 'loser' } }))).rejects.toMatchObject({ code: 'ERR_JIT_SSO_IDENTITY_CONFLICT' });
        await tx.createUser(other);
      });
      expect(await store.findUserByUsername('loser')).toBeNull();
      expect((await store.findUserByIdentity(newUser('tx', 'taken').identity))?.id).toBe(taken.id);
      expect(await store.findUserByIdentity(other.identity)).not.toBeNull();
    });

    it('a transaction commits what fn writes through the store it is given, audit events included, and undoes all of it when fn rejects', async () => {
      const store = await open();
      const kept = newUser('untracked', 'kept');
      const dropped = newUser('untracked', 'dropped');
      await store.transaction(async (tx) => {
        const user = await tx.createUser(kept);
        await tx.appendAudit(event('untracked', user.id, 'auto-provisioned-user', 1));
      });
      await expect(
        store.transaction(async (tx) => {
          const user = await tx.createUser(dropped);
          await tx.appendAudit(event('untracked', user.id, 'auto-provisioned-user', 2));
          await tx.updateUser(user.id, { displayName: 'changed' });
          throw new JitSsoError('ERR_JIT_SSO_LOGIN_REFUSED');
        }),
      ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
      const user = await store.findUserByIdentity(kept.identity);
      expect(user).not.toBeNull();
      expect(await store.findUserByIdentity(dropped.identity)).toBeNull();
      expect((await store.listAuditEvents({ limit: 10 })).filter((e) => e.subject === 'untracked-audit').map((e) => e.userId)).toEqual([user!.id]);
    });
  });
});
