import { describe, expect, it } from '@jest/globals';
import { JitSsoError } from '../../lib/errors.js';
import { MemoryUserStore, type NewUser } from '../../lib/store/index.js';

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

const refusal = () => new JitSsoError('ERR_JIT_SSO_LOGIN_REFUSED', { message: 'test: roll back' });

describe('MemoryUserStore transactions', () => {
  it('runs concurrent transactions one after the other, never interleaved', async () => {
    const store = new MemoryUserStore();
    const steps: string[] = [];
    const first = gate();
    const a = store.transaction(async (tx) => {
      steps.push('a:start');
      await first.opened;
      await tx.createUser(newUser('a'));
      steps.push('a:end');
    });
    const b = store.transaction(async (tx) => {
      steps.push('b:start');
      await tx.createUser(newUser('b'));
      steps.push('b:end');
    });
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
