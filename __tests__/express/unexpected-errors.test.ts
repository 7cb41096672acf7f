/**
 * An unexpected error is never reported as a configuration error: a store method that fails is
 * `ERR_JIT_SSO_STORE_UNAVAILABLE` (503); anything else (a hook, the session store, jit-sso itself)
 * is `ERR_JIT_SSO_INTERNAL` (500), logged with its stack.
 */
import { describe, expect, it } from '@jest/globals';
import session from 'express-session';
import type { Logger } from '../../lib/internal/logger.js';
import type { ErrorPage } from '../../lib/express/respond.js';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import { login, samlApp } from '../helpers/saml-app.js';

const ROLES = ['Invoice.Reader', 'Admin'];

/** A logger that keeps what jit-sso reports as errors. */
function errorLog() {
  const errors: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (obj, msg) => void errors.push({ obj: obj as Record<string, unknown>, msg }) };
  return { errors, logger };
}

/** Pages jit-sso answered with, as `hooks.renderError` sees them. */
function pagesSeen() {
  const pages: ErrorPage[] = [];
  const renderError = (_req: unknown, res: { status(n: number): { json(b: unknown): void } }, page: ErrorPage) => {
    pages.push(page);
    res.status(page.status).json({ error: { code: page.code, message: page.message } });
  };
  return { pages, renderError };
}

describe('an unexpected error during a login', () => {
  it('a beforeLogin hook that throws fails the login with 500 ERR_JIT_SSO_INTERNAL, its stack logged and audited, and no user made', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const { errors, logger } = errorLog();
    const { pages, renderError } = pagesSeen();
    const beforeLogin = () => {
      throw new TypeError('hook bug: cannot read properties of undefined');
    };
    const ctx = await samlApp({ store, jitSso: { logger, hooks: { beforeLogin, renderError } } });
    const { res, agent } = await login(ctx, 'oid-alice');
    expect(res.status).toBe(500);
    expect(res.body.error).toEqual({ code: 'ERR_JIT_SSO_INTERNAL', message: 'Something went wrong. Please try again later.' });
    expect(JSON.stringify(res.body)).not.toContain('hook bug');
    expect(pages.map((p) => p.code)).toEqual(['ERR_JIT_SSO_INTERNAL']);
    const logged = errors.find((e) => e.obj.code === 'ERR_JIT_SSO_INTERNAL' && typeof e.obj.stack === 'string');
    expect(logged?.obj.stack).toContain('hook bug');
    expect(logged?.obj.stack).toContain('unexpected-errors.test');
    expect(ctx.events).toEqual([expect.objectContaining({ type: 'login', subType: 'denied', provider: 'entra', code: 'ERR_JIT_SSO_INTERNAL', reason: 'TypeError: hook bug: cannot read properties of undefined' })]);
    expect(await store.listUsers()).toEqual([]);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('a store write that fails midway answers 503 ERR_JIT_SSO_STORE_UNAVAILABLE and leaves no half-made user', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const { pages, renderError } = pagesSeen();
    const ctx = await samlApp({ store, jitSso: { hooks: { renderError } } });
    // The user is created in the transaction; its audit event, the last write, fails (in the store the transaction hands over).
    const transaction = store.transaction.bind(store);
    store.transaction = (fn) =>
      transaction((tx) => {
        tx.appendAudit = async () => {
          throw new Error('deadlock detected');
        };
        return fn(tx);
      });
    const { res } = await login(ctx, 'oid-alice');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('ERR_JIT_SSO_STORE_UNAVAILABLE');
    expect(pages.map((p) => p.code)).toEqual(['ERR_JIT_SSO_STORE_UNAVAILABLE']);
    expect(await store.listUsers()).toEqual([]);
  });

  it('a store read that throws instead of rejecting answers 503, not 500', async () => {
    const store = new MemoryUserStore({ roles: ROLES });
    const { renderError } = pagesSeen();
    const ctx = await samlApp({ store, jitSso: { hooks: { renderError } } });
    store.existingRoles = () => {
      throw new Error('pool exhausted');
    };
    const { res } = await login(ctx, 'oid-alice');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('ERR_JIT_SSO_STORE_UNAVAILABLE');
    expect(await store.listUsers()).toEqual([]);
  });

  it('a session store that cannot start the new session answers 500 ERR_JIT_SSO_INTERNAL with its stack logged, not a configuration error', async () => {
    const { errors, logger } = errorLog();
    const { renderError } = pagesSeen();
    const sessions = new session.MemoryStore();
    sessions.destroy = (_sid, done) => done?.(new Error('session store went away'));
    const ctx = await samlApp({ jitSso: { logger, hooks: { renderError } }, sessionStore: sessions });
    const { res } = await login(ctx, 'oid-alice');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('ERR_JIT_SSO_INTERNAL');
    expect(errors.find((e) => e.obj.code === 'ERR_JIT_SSO_INTERNAL')?.obj.stack).toContain('session store went away');
  });
});
