import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import { login, samlApp } from '../helpers/saml-app.js';

const ROLES = ['Invoice.Reader', 'Admin'];

describe('a store outage', () => {
  it('answers a login with 503 and a plain message, not a crash, and leaves no user behind', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const ctx = await samlApp({ store });
    // The login writes through the store its transaction hands over: the outage is there.
    const transaction = store.transaction.bind(store);
    let down = true;
    store.transaction = (fn) =>
      transaction((tx) => {
        if (down) tx.createUser = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
        return fn(tx);
      });
    const { res, agent } = await login(ctx, 'oid-alice');
    expect(res.status).toBe(503);
    expect(res.text).toContain('unavailable right now');
    expect(res.text).not.toContain('ECONNREFUSED');
    expect(await store.listUsers()).toEqual([]);
    await agent.get('/me').set('Accept', 'application/json').expect(401);

    down = false;
    const again = await login(ctx, 'oid-alice');
    expect(again.res.status).toBe(303);
    expect(await store.listUsers()).toHaveLength(1);
  });

  it('answers signed-in requests with 503 while the user cannot be read, and recovers after', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const ctx = await samlApp({ store, jitSso: { userCache: false } });
    const { agent } = await login(ctx, 'oid-alice');
    const findUserById = store.findUserById.bind(store);
    store.findUserById = async () => {
      throw new Error('Connection terminated unexpectedly');
    };
    const down = await agent.get('/me').set('Accept', 'application/json').expect(503);
    expect(down.body.error.code).toBe('ERR_JIT_SSO_STORE_UNAVAILABLE');
    store.findUserById = findUserById;
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });

  it('signs out a user an admin disabled, at the next request after the cache expires', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const ctx = await samlApp({ store });
    const { agent } = await login(ctx, 'oid-alice');
    const [user] = await store.listUsers();
    await store.setStatus(user!.id, 'disabled');
    ctx.middleware.invalidateUser(user!.id);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
    await request(ctx.app).get('/').expect(200);
  });
});
