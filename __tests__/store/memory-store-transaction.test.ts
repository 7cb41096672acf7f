import { describe, expect, it } from '@jest/globals';
import { JitSsoError } from '../../lib/errors.js';
import { UNTRACKED_TRANSACTION, runTransaction } from '../../lib/internal/transaction-context.js';
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

  it('reads outside an open transaction do not see its uncommitted writes', async () => {
    const store = new MemoryUserStore();
    const hold = gate();
    let seenInside: string | undefined;
    const tx = store.transaction(async (t) => {
      await t.createUser(newUser('draft'));
      seenInside = (await t.findUserByIdentity({ provider: 'entra', subject: 'sub-draft' }))?.username;
      await hold.opened;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-draft' })).toBeNull();
    hold.open();
    await tx;
    expect(seenInside).toBe('draft');
    expect((await store.findUserByIdentity({ provider: 'entra', subject: 'sub-draft' }))?.username).toBe('draft');
  });

  it('calls to the outer store made inside fn take part in the transaction instead of deadlocking', async () => {
    const store = new MemoryUserStore();
    await expect(
      store.transaction(async () => {
        await store.createUser(newUser('outer'));
        await store.appendAudit({ at: AT, type: 'login', subType: 'denied', provider: 'entra', subject: 'sub-outer' });
        throw refusal();
      }),
    ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-outer' })).toBeNull();
    expect(await store.listAuditEvents()).toEqual([]);
  });

  it('a call on the outer store at the very start of a nested transaction belongs to it and is undone with it', async () => {
    const store = new MemoryUserStore();
    await store.transaction(async (tx) => {
      await tx.createUser(newUser('kept'));
      await expect(
        tx.transaction!(() => {
          // Made before fn's first await, while the outer transaction's call (tx.transaction) is on the stack.
          const created = store.createUser(newUser('nested-outer'));
          return created.then(() => Promise.reject(refusal()));
        }),
      ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    });
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-kept' })).not.toBeNull();
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-nested-outer' })).toBeNull();
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
        const seen = await store.listAuditEvents({ limit: 3 });
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
    // Uncommitted events are not seen outside the transaction.
    const held = gate();
    const open = store.transaction(async (tx) => {
      await tx.appendAudit(event('uncommitted'));
      await held.opened;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect((await store.listAuditEvents({ limit: 1 }))[0]?.subject).toBe('inner');
    held.open();
    await open;
    expect((await store.listAuditEvents({ limit: 1 }))[0]?.subject).toBe('uncommitted');
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
        await store.createRole('Ghost');
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

  it('outer-store calls inside a transaction still join it after other transactions have come and gone', async () => {
    const { store } = await storeWithHistory(5);
    await store.transaction(async () => {});
    await expect(
      store.transaction(async () => {
        await store.createUser(newUser('outer-again'));
        throw refusal();
      }),
    ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-outer-again' })).toBeNull();
    await store.createUser(newUser('after-all'));
    expect(await store.findUserByIdentity({ provider: 'entra', subject: 'sub-after-all' })).not.toBeNull();
  });
});

describe("MemoryUserStore's untracked transaction (the provisioner's)", () => {
  const sub = (key: string) => ({ provider: 'entra', subject: `sub-${key}` });

  it('commits what fn writes through the store it is given, and undoes all of it when fn rejects', async () => {
    const store = new MemoryUserStore();
    await store[UNTRACKED_TRANSACTION](async (tx) => {
      await tx.createUser(newUser('kept'));
      await tx.appendAudit({ at: AT, type: 'login', subType: 'auto-provisioned-user', provider: 'entra', subject: 'sub-kept' });
    });
    await expect(
      store[UNTRACKED_TRANSACTION](async (tx) => {
        await tx.createUser(newUser('dropped'));
        await tx.appendAudit({ at: AT, type: 'login', subType: 'auto-provisioned-user', provider: 'entra', subject: 'sub-dropped' });
        throw refusal();
      }),
    ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
    expect(await store.findUserByIdentity(sub('kept'))).not.toBeNull();
    expect(await store.findUserByIdentity(sub('dropped'))).toBeNull();
    expect((await store.listAuditEvents()).map((e) => e.subject)).toEqual(['sub-kept']);
  });

  it('runs one at a time with tracked transactions and with writes outside', async () => {
    const store = new MemoryUserStore();
    const steps: string[] = [];
    const held = gate();
    const first = store[UNTRACKED_TRANSACTION](recording(steps, 'untracked', 'u', held.opened));
    const second = store.transaction(recording(steps, 'tracked', 't'));
    const outside = store.createUser(newUser('o')).then(() => steps.push('outside'));
    await new Promise((resolve) => setImmediate(resolve));
    held.open();
    await Promise.all([first, second, outside]);
    expect(steps).toEqual(['untracked:start', 'untracked:end', 'tracked:start', 'tracked:end', 'outside']);
  });

  it('does not track the async context: the outer store, read inside it, sees only what is committed', async () => {
    const store = new MemoryUserStore();
    let seen: unknown = 'not read';
    await store[UNTRACKED_TRANSACTION](async (tx) => {
      await tx.createUser(newUser('draft'));
      await Promise.resolve();
      seen = await store.findUserByIdentity(sub('draft'));
    });
    expect(seen).toBeNull();
    expect(await store.findUserByIdentity(sub('draft'))).not.toBeNull();
  });

  it('a subclass, or an instance with a method replaced, gets the tracked transaction (its methods may call the outer store)', async () => {
    class AuditedStore extends MemoryUserStore {}
    const patched = new MemoryUserStore();
    const createUser = patched.createUser.bind(patched);
    patched.createUser = (input) => createUser(input);
    for (const store of [new AuditedStore(), patched]) {
      let seen: unknown;
      await expect(
        store[UNTRACKED_TRANSACTION](async () => {
          await store.createUser(newUser('outer'));
          seen = await store.findUserByIdentity(sub('outer'));
          throw refusal();
        }),
      ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_LOGIN_REFUSED' });
      expect(seen).not.toBeNull();
      expect(await store.findUserByIdentity(sub('outer'))).toBeNull();
    }
  });

  it('runTransaction takes the untracked transaction where offered, else transaction(), else runs fn on the store', async () => {
    const calls: string[] = [];
    const untracked = { [UNTRACKED_TRANSACTION]: async (fn: (s: UserStore) => Promise<string>) => (calls.push('untracked'), fn(untracked as unknown as UserStore)), transaction: async () => 'no' };
    const tracked = { transaction: async (fn: (s: UserStore) => Promise<string>) => (calls.push('tracked'), fn(tracked as unknown as UserStore)) };
    const plain = {};
    expect(await runTransaction(untracked as unknown as UserStore, async (s) => (s === (untracked as unknown) ? 'u' : 'x'))).toBe('u');
    expect(await runTransaction(tracked as unknown as UserStore, async (s) => (s === (tracked as unknown) ? 't' : 'x'))).toBe('t');
    expect(await runTransaction(plain as unknown as UserStore, async (s) => (s === (plain as unknown) ? 'p' : 'x'))).toBe('p');
    expect(calls).toEqual(['untracked', 'tracked']);
  });
});
