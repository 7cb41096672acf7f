import { describe, expect, it, jest } from '@jest/globals';
import { MemoryUserStore, type NewUser } from '../../lib/store/index.js';
import { runUserStoreConformance } from '../../lib/testing/conformance/index.js';
import { silentLogger, type Logger } from '../../lib/internal/logger.js';

runUserStoreConformance('MemoryUserStore', ({ roles }) => new MemoryUserStore({ roles }), { describe, it });

const AT = new Date('2024-05-01T10:00:00.000Z');

function newUser(key: string, extra: Partial<NewUser> = {}): NewUser {
  return {
    profile: { username: key, fields: {} },
    status: 'active',
    userType: 'employee',
    identity: { provider: 'entra', subject: `sub-${key}` },
    roles: [],
    at: AT,
    ...extra,
  };
}

const roleKeys = (user: { roles: { role: string; source: string; provider?: string }[] } | null) =>
  (user?.roles ?? []).map((r) => `${r.role}|${r.source}|${r.provider ?? ''}`).sort();

describe('MemoryUserStore admin helpers', () => {
  it('createRole makes a role assignable, is idempotent, and listRoles lists roles in creation order', async () => {
    const store = new MemoryUserStore({ roles: ['Viewer'] });
    const { id } = await store.createUser(
      newUser('ann', { roles: [{ role: 'Auditor', source: 'idp', provider: 'entra' }] }),
    );
    expect(roleKeys(await store.findUserById(id))).toEqual([]);
    await store.createRole('Auditor');
    await store.createRole('Auditor');
    await store.changeRoles(id, { add: [{ role: 'Auditor', source: 'idp', provider: 'entra' }], remove: [] });
    expect(roleKeys(await store.findUserById(id))).toEqual(['Auditor|idp|entra']);
    expect(await store.listRoles()).toEqual(['Viewer', 'Auditor']);
  });

  it('refuses an empty role name with ERR_JIT_SSO_INVALID_OPTIONS, at construction and in createRole', async () => {
    expect(() => new MemoryUserStore({ roles: ['Admin', ' '] })).toThrow(
      expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path: 'roles[1]' } }),
    );
    await expect(new MemoryUserStore().createRole('')).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS' });
  });

  it('grantRole gives a manual grant that removing the IdP assignment of the same role leaves in place', async () => {
    const store = new MemoryUserStore({ roles: ['Admin'] });
    const idpAdmin = { role: 'Admin', source: 'idp', provider: 'entra' } as const;
    const { id } = await store.createUser(newUser('bea', { roles: [idpAdmin] }));
    expect(await store.grantRole(id, 'Admin')).toBe(true);
    await store.changeRoles(id, { add: [], remove: [idpAdmin] });
    expect(roleKeys(await store.findUserById(id))).toEqual(['Admin|manual|']);
  });

  it('grantRole resolves false and assigns nothing when the role does not exist', async () => {
    const store = new MemoryUserStore();
    const { id } = await store.createUser(newUser('cy'));
    expect(await store.grantRole(id, 'Ghost')).toBe(false);
    expect(roleKeys(await store.findUserById(id))).toEqual([]);
    expect(await store.listRoles()).toEqual([]);
  });

  it('revokeRole removes only the manual grant and keeps the IdP and default assignments of that role', async () => {
    const store = new MemoryUserStore({ roles: ['Admin'] });
    const roles = [
      { role: 'Admin', source: 'idp', provider: 'entra' },
      { role: 'Admin', source: 'default', provider: 'entra' },
      { role: 'Admin', source: 'manual' },
    ] as const;
    const { id } = await store.createUser(newUser('di', { roles: [...roles] }));
    expect(await store.revokeRole(id, 'Admin')).toBe(true);
    expect(await store.revokeRole(id, 'Admin')).toBe(false);
    expect(roleKeys(await store.findUserById(id))).toEqual(['Admin|default|entra', 'Admin|idp|entra']);
  });

  it('setStatus activates a pending user', async () => {
    const store = new MemoryUserStore();
    const { id } = await store.createUser(newUser('ed', { status: 'pending' }));
    expect((await store.setStatus(id, 'active')).status).toBe('active');
    expect((await store.findUserById(id))?.status).toBe('active');
  });

  it('setStatus refuses a status outside USER_STATUSES', async () => {
    const store = new MemoryUserStore();
    const { id } = await store.createUser(newUser('fay'));
    await expect(store.setStatus(id, 'deleted' as never)).rejects.toMatchObject({
      code: 'ERR_JIT_SSO_INVALID_OPTIONS',
      details: expect.objectContaining({ path: 'status' }),
    });
    expect((await store.findUserById(id))?.status).toBe('active');
  });

  it('grantRole, revokeRole and setStatus reject ERR_JIT_SSO_USER_NOT_FOUND for an unknown user', async () => {
    const store = new MemoryUserStore({ roles: ['Admin'] });
    const notFound = { code: 'ERR_JIT_SSO_USER_NOT_FOUND' };
    await expect(store.grantRole('nobody', 'Admin')).rejects.toMatchObject(notFound);
    await expect(store.revokeRole('nobody', 'Admin')).rejects.toMatchObject(notFound);
    await expect(store.setStatus('nobody', 'active')).rejects.toMatchObject(notFound);
  });

  it('listUsers finds users by username, email or name, case-insensitively, oldest first, in pages', async () => {
    const store = new MemoryUserStore();
    await store.createUser(newUser('gus', { profile: { username: 'gus', email: 'Gus@Contoso.com', fields: {} } }));
    await store.createUser(
      newUser('hal', { profile: { username: 'hal', displayName: 'Hal from Contoso', fields: {} } }),
    );
    await store.createUser(newUser('ivy', { profile: { username: 'ivy', email: 'ivy@fabrikam.com', fields: {} } }));
    const names = async (q: Parameters<MemoryUserStore['listUsers']>[0]) =>
      (await store.listUsers(q)).map((u) => u.username);
    expect(await names({})).toEqual(['gus', 'hal', 'ivy']);
    expect(await names({ search: 'CONTOSO' })).toEqual(['gus', 'hal']);
    expect(await names({ limit: 1, offset: 1 })).toEqual(['hal']);
    await expect(store.listUsers({ limit: -1 })).rejects.toMatchObject({
      code: 'ERR_JIT_SSO_INVALID_OPTIONS',
      details: { path: 'limit' },
    });
  });

  it('existingRoles matches names exactly: "admin" does not find "Admin"', async () => {
    const store = new MemoryUserStore({ roles: ['Admin'] });
    expect(await store.existingRoles(['admin', 'Admin', 'Admin'])).toEqual(['Admin']);
  });

  it('listAuditEvents refuses a limit or offset that is not a non-negative integer', async () => {
    const store = new MemoryUserStore();
    await expect(store.listAuditEvents({ offset: 1.5 })).rejects.toMatchObject({ details: { path: 'offset' } });
    await expect(store.listAuditEvents({ limit: -1 })).rejects.toMatchObject({ details: { path: 'limit' } });
  });
});

describe('MemoryUserStore production warning', () => {
  const env = process.env.NODE_ENV;
  const withNodeEnv = (value: string | undefined, fn: () => void) => {
    process.env.NODE_ENV = value;
    try {
      fn();
    } finally {
      process.env.NODE_ENV = env;
    }
  };

  it('warns once through the logger that users are lost on restart when NODE_ENV is production', () => {
    const warn = jest.fn<(message: string) => void>();
    withNodeEnv('production', () => new MemoryUserStore({ logger: { warn } }));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/lose|lost/);
  });

  it("accepts jit-sso's pino-style Logger and passes the warning as the message", () => {
    const logger = { ...silentLogger, warn: jest.fn<Logger['warn']>() };
    withNodeEnv('production', () => new MemoryUserStore({ logger }));
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/MemoryUserStore/));
  });

  it('warns through console.warn when no logger is given', () => {
    const spy = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      withNodeEnv('production', () => new MemoryUserStore());
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('stays silent outside production', () => {
    const warn = jest.fn<(message: string) => void>();
    withNodeEnv('development', () => new MemoryUserStore({ logger: { warn } }));
    withNodeEnv('test', () => new MemoryUserStore({ logger: { warn } }));
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('MemoryUserStore copies what goes in and out', () => {
  it('changing the NewUser after createUser changes nothing stored', async () => {
    const store = new MemoryUserStore({ roles: ['Admin', 'Viewer'] });
    const input = newUser('jo', {
      profile: { username: 'jo', fields: { tags: ['a'] } },
      roles: [{ role: 'Viewer', source: 'manual' }],
    });
    const { id } = await store.createUser(input);
    input.roles.push({ role: 'Admin', source: 'manual' });
    (input.profile.fields.tags as string[]).push('b');
    input.at.setUTCFullYear(1999);
    const user = await store.findUserById(id);
    expect(roleKeys(user)).toEqual(['Viewer|manual|']);
    expect({ ...user?.fields }).toEqual({ tags: ['a'] });
    expect(user?.createdAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    input.at.setUTCFullYear(2024);
  });

  it('changing dates, fields or roles of a listed user changes nothing stored', async () => {
    const store = new MemoryUserStore({ roles: ['Viewer'] });
    const { id } = await store.createUser(newUser('kim', { profile: { username: 'kim', fields: { tags: ['a'] } } }));
    const [listed] = await store.listUsers();
    listed!.createdAt.setUTCFullYear(1999);
    (listed!.fields.tags as string[]).push('b');
    listed!.roles.push({ role: 'Viewer', source: 'manual' });
    const user = await store.findUserById(id);
    expect(user?.createdAt.getUTCFullYear()).toBe(2024);
    expect({ ...user?.fields }).toEqual({ tags: ['a'] });
    expect(user?.roles).toEqual([]);
  });

  it('changing an audit event after appending or listing it changes nothing stored', async () => {
    const store = new MemoryUserStore();
    const event = {
      at: new Date(AT),
      type: 'login',
      subType: 'denied',
      provider: 'entra',
      subject: 's',
      reason: 'no',
    } as const;
    const mutable = { ...event, at: new Date(AT) };
    await store.appendAudit(mutable);
    mutable.at.setUTCFullYear(1999);
    const [listed] = await store.listAuditEvents();
    listed!.reason = 'changed';
    expect(await store.listAuditEvents()).toEqual([{ ...event, at: AT }]);
  });

  it("changing an audit event's changes (field values, role lists) after appending or listing it changes nothing stored", async () => {
    const store = new MemoryUserStore();
    const changes = () => ({
      fields: [{ field: 'tags', before: ['a'], after: ['a', 'b'] }],
      rolesAdded: ['Viewer'],
      rolesRemoved: ['Admin'],
      rolesSkipped: ['Ghost'],
    });
    const event = { at: new Date(AT), type: 'login', subType: 'existing-user', provider: 'entra', subject: 's', changes: changes() } as const;
    await store.appendAudit(event);
    (event.changes.fields[0]!.after as string[]).push('c');
    event.changes.rolesAdded.push('Editor');
    const [listed] = await store.listAuditEvents();
    (listed!.changes!.fields[0]!.before as string[]).length = 0;
    listed!.changes!.rolesSkipped.pop();
    expect((await store.listAuditEvents())[0]?.changes).toEqual(changes());
  });
});

describe('MemoryUserStore against prototype pollution', () => {
  it('a custom field named __proto__ stays a plain key and pollutes no prototype', async () => {
    const store = new MemoryUserStore();
    const fields = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": "c"}') as Record<string, string>;
    const { id } = await store.createUser(newUser('lou', { profile: { username: 'lou', fields } }));
    await store.updateUser(id, { fields: JSON.parse('{"__proto__": "x", "toString": "t"}') as Record<string, string> });
    const user = await store.findUserById(id);
    expect(Object.keys(user!.fields).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(user!.fields['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('ids, subjects, providers and role names such as __proto__ and constructor are ordinary keys', async () => {
    const store = new MemoryUserStore();
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
      expect(await store.findUserById(name)).toBeNull();
      expect(await store.findUserByIdentity({ provider: name, subject: name })).toBeNull();
    }
    expect(await store.existingRoles(['__proto__', 'constructor', 'toString'])).toEqual([]);
    await store.createRole('constructor');
    const user = await store.createUser(
      newUser('__proto__', {
        identity: { provider: 'constructor', subject: '__proto__' },
        roles: [{ role: 'constructor', source: 'manual' }],
      }),
    );
    expect((await store.findUserByIdentity({ provider: 'constructor', subject: '__proto__' }))?.id).toBe(user.id);
    expect(roleKeys(user)).toEqual(['constructor|manual|']);
    expect((await store.findUserByUsername('__PROTO__'))?.id).toBe(user.id);
  });
});

describe('MemoryUserStore copies', () => {
  it('a returned user’s role assignments and dates are the caller’s: changing them changes nothing stored', async () => {
    const store = new MemoryUserStore({ roles: ['Viewer', 'Admin'] });
    const created = await store.createUser(newUser('flo', { roles: [{ role: 'Viewer', source: 'idp', provider: 'entra' }] }));
    const read = (await store.findUserById(created.id))!;
    for (const user of [created, read]) {
      user.roles[0]!.role = 'Admin';
      user.roles[0]!.source = 'manual';
      user.createdAt.setTime(0);
      user.lastLoginAt!.setTime(0);
    }
    const again = (await store.findUserById(created.id))!;
    expect(roleKeys(again)).toEqual(['Viewer|idp|entra']);
    expect(again.createdAt).toEqual(AT);
    expect(again.lastLoginAt).toEqual(AT);
    expect(again.roles[0]).not.toBe(read.roles[0]);
  });
});
