import { describe, expect, it } from '@jest/globals';
import { JitSsoError } from '../../lib/errors.js';
import { MemoryUserStore, type NewUser, type UserStore } from '../../lib/store/index.js';

const AT = new Date('2024-05-01T10:00:00.000Z');

function newUser(key: string): NewUser {
  return {
    profile: { username: key, fields: {} },
    status: 'active',
    userType: 'employee',
    identity: { provider: 'entra', subject: `sub-${key}` },
    roles: [],
    at: AT,
  };
}

function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A transaction's fn that records its start, waits for `hold` (when given), creates user `key` and records its end. */
function recording(steps: string[], label: string, key: string, hold?: Promise<void>) {
  return async (tx: UserStore) => {
    steps.push(`${label}:start`);
    if (hold) await hold;
    await tx.createUser(newUser(key));
    steps.push(`${label}:end`);
  };
}

const refusal = () => new JitSsoError('ERR_JIT_SSO_LOGIN_REFUSED', { message: 'test: roll back' });

describe('MemoryUserStore transactions', () => {
  it('runs concurrent transactions one after the other, never interleaved', async () => {
    const store = new MemoryUserStore();
    const steps: string[] = [];
    const first = gate();
    const a = store.transaction(recording(steps, 'a', 'a', first.opened));
    const b = store.transaction(recording(steps, 'b', 'b'));
    await new Promise((resolve) => setImmediate(resolve));
    first.open();
    await Promise.all([a, b]);
    expect(steps).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
  });

  it('a write outside an open transaction waits for it and survives its rollback', async () => {
    const store = new MemoryUserStore();
    const hold = gate();
    const tx = store.transaction(async (t) => {
      await t.createUser(newUser('inside'));
      await hold.opened;
      throw refusal();
    });
    const outside = store.createUser(newUser('outside'));
    await new Promise((resolve) => setImmediate(resolve));
    hold.open();
    await expect(tx).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    const created = await outside;
    expect((await store.findUserByIdentity({ provider: 'entra', subject: 'sub-outside' }))?.id).toBe(created.id);
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-inside' })).toBeNull();
  });

  it('a nested transaction that rejects undoes only its own writes', async () => {
    const store = new MemoryUserStore();
    await store.transaction(async (tx) => {
      await tx.createUser(newUser('kept'));
      await expect(
        tx.transaction!(async (inner) => {
          await inner.createUser(newUser('dropped'));
          throw refusal();
        }),
      ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    });
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-kept' })).not.toBeNull();
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-dropped' })).toBeNull();
  });

  it('audit events: seen inside the transaction after those before it, kept on commit, gone on rollback, nested levels alike', async () => {
    const store = new MemoryUserStore();
    const event = (subject: string) => ({ at: AT, type: 'login' as const, subType: 'denied' as const, provider: 'entra', subject });
    for (let i = 0; i < 1000; i++) await store.appendAudit(event(`before-${i}`));
    await expect(
      store.transaction(async (tx) => {
        await tx.appendAudit(event('rolled-back'));
        throw refusal();
      }),
    ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    await store.transaction(async (tx) => {
      await tx.appendAudit(event('outer'));
      await tx.transaction!(async (inner) => {
        await inner.appendAudit(event('inner'));
        const seen = await inner.listAuditEvents!({ limit: 3 });
        expect(seen.map((e) => e.subject)).toEqual(['inner', 'outer', 'before-999']);
      });
      await expect(
        tx.transaction!(async (inner) => {
          await inner.appendAudit(event('inner-dropped'));
          throw refusal();
        }),
      ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    });
    const all = await store.listAuditEvents({ limit: 2000 });
    expect(all).toHaveLength(1002);
    expect(all.slice(0, 3).map((e) => e.subject)).toEqual(['inner', 'outer', 'before-999']);
    expect(all.some((e) => e.subject === 'rolled-back' || e.subject === 'inner-dropped')).toBe(false);
  });

  it('a store handed out by a finished transaction writes to the store itself', async () => {
    const store = new MemoryUserStore();
    const leaked = await store.transaction(async (tx) => tx);
    await leaked.createUser(newUser('late'));
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-late' })).not.toBeNull();
  });

  it('a transaction whose fn throws synchronously rejects and leaves the store usable', async () => {
    const store = new MemoryUserStore();
    await expect(
      store.transaction(() => {
        throw refusal();
      }),
    ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    await expect(store.createUser(newUser('after'))).resolves.toMatchObject({ username: 'after' });
  });
});

describe('MemoryUserStore transactions on a store with a history', () => {
  async function storeWithHistory(logins: number) {
    const store = new MemoryUserStore({ roles: ['Viewer', 'Admin'] });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await store.createUser(newUser(`u${i}`))).id);
    for (let i = 0; i < logins; i++) {
      await store.transaction(async (tx) => {
        const id = ids[i % ids.length]!;
        await tx.changeRoles(id, { add: [{ role: i % 2 ? 'Viewer' : 'Admin', source: 'idp', provider: 'entra' }], remove: [{ role: i % 2 ? 'Admin' : 'Viewer', source: 'idp', provider: 'entra' }] });
        await tx.updateUser(id, { lastLoginAt: new Date(AT.getTime() + i), fields: { seen: String(i) } });
        await tx.appendAudit({ at: new Date(AT.getTime() + i), type: 'login', subType: 'existing-user', provider: 'entra', subject: `sub-u${i % ids.length}`, userId: id });
      });
    }
    return { store, ids };
  }

  async function snapshot(store: MemoryUserStore) {
    return {
      users: await store.listUsers({ limit: 1_000 }),
      roles: await store.listRoles(),
      audit: await store.listAuditEvents({ limit: 10_000 }),
    };
  }

  it('a rollback after a thousand committed logins leaves no trace: users, links, roles and audit as before', async () => {
    const { store, ids } = await storeWithHistory(1_000);
    const before = await snapshot(store);
    expect(before.audit).toHaveLength(1_000);
    await expect(
      store.transaction(async (tx) => {
        await tx.createUser(newUser('intruder'));
        await tx.linkIdentity(ids[3]!, { provider: 'other', subject: 'sub-stolen' });
        await tx.changeRoles(ids[3]!, { add: [{ role: 'Admin', source: 'manual' }], remove: [{ role: 'Viewer', source: 'idp', provider: 'entra' }] });
        await tx.updateUser(ids[3]!, { username: 'renamed', fields: { seen: null } });
        await tx.appendAudit({ at: AT, type: 'login', subType: 'auto-provisioned-user', provider: 'entra', subject: 'sub-intruder' });
        await (tx as MemoryUserStore).createRole('Ghost');
        throw refusal();
      }),
    ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    expect(await snapshot(store)).toEqual(before);
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-intruder' })).toBeNull();
    expect(await store.findUserByIdentity({ provider: 'other', subject: 'sub-stolen' })).toBeNull();
    expect(await store.findUserByUsername('renamed')).toBeNull();
  });

  it('a committed transaction replaces a user in place: listUsers keeps the oldest-first order', async () => {
    const { store, ids } = await storeWithHistory(50);
    await store.transaction(async (tx) => {
      await tx.updateUser(ids[0]!, { username: 'first-renamed' });
      await tx.createUser(newUser('newest'));
    });
    const names = (await store.listUsers({ limit: 1_000 })).map((u) => u.username);
    expect(names[0]).toBe('first-renamed');
    expect(names.at(-1)).toBe('newest');
    expect(names).toHaveLength(21);
  });

  it('a savepoint that resolves hands its writes to the enclosing transaction, and they go when that one rolls back', async () => {
    const { store } = await storeWithHistory(10);
    const before = await snapshot(store);
    let seenInOuter: string | undefined;
    await expect(
      store.transaction(async (tx) => {
        await tx.transaction!(async (inner) => {
          await inner.createUser(newUser('saved'));
          await inner.appendAudit({ at: new Date(AT.getTime() + 60_000), type: 'login', subType: 'auto-provisioned-user', provider: 'entra', subject: 'sub-saved' });
        });
        seenInOuter = (await tx.findUserByIdentity({ provider: 'entra', subject: 'sub-saved' }))?.username;
        expect(await tx.listAuditEvents!({ limit: 1 })).toEqual([expect.objectContaining({ subject: 'sub-saved' })]);
        throw refusal();
      }),
    ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    expect(seenInOuter).toBe('saved');
    expect(await snapshot(store)).toEqual(before);
  });
});
