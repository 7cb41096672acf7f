/**
 * Shared pieces of the OIDC security suite (`__tests__/security/oidc/`): one assertion of everything
 * a refusal must hold — the status, the audit event's code and reason, the generic body (no oracle),
 * no user created or changed, no session.
 */
import { expect } from '@jest/globals';
import request from 'supertest';
import type { ErrorCode } from '../../lib/errors.js';
import { messageFor } from '../../lib/errors.js';
import type { AuditEvent } from '../../lib/store/user-store.js';
import { oidcLogin, type Agent, type OidcCtx } from './oidc-app.js';

/** Whether `agent` holds a signed-in session: `GET /me` as an API client. */
export async function expectNoSession(agent: Agent): Promise<void> {
  const me = await agent.get('/me').set('Accept', 'application/json');
  expect(me.status).toBe(401);
  expect(me.body).toEqual({ error: expect.objectContaining({ code: 'ERR_JIT_SSO_NOT_AUTHENTICATED' }) });
}

export interface Refusal {
  status?: 401 | 403;
  code?: ErrorCode;
  reason: RegExp;
  provider?: string;
}

export interface Watch {
  newEvents(): AuditEvent[];
  /**
   * Asserts a refusal: the status, exactly one new `denied` audit event with the code and a reason
   * matching, the code's one plain message on the page (nothing about which check hit), the stored
   * users unchanged, and no session on `agent`.
   */
  expectRefused(res: request.Response, agent: Agent, refusal: Refusal): Promise<void>;
}

/** Snapshots the users and the audit log before an attack. */
export async function watch(ctx: OidcCtx): Promise<Watch> {
  const usersBefore = structuredClone(await ctx.store.listUsers());
  const eventCount = ctx.events.length;
  const newEvents = () => ctx.events.slice(eventCount);
  return {
    newEvents,
    async expectRefused(res, agent, { status = 401, code = 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason, provider = 'oidc' }) {
      expect(res.status).toBe(status);
      expect(res.headers.location).toBeUndefined();
      expect(newEvents()).toEqual([expect.objectContaining({ type: 'login', subType: 'denied', provider, code, reason: expect.stringMatching(reason) })]);
      expect(res.text).toContain(messageFor(code));
      expect(res.text).not.toMatch(/iss|aud|nonce|signature|alg|state|verifier|tenant/i);
      expect(await ctx.store.listUsers()).toEqual(usersBefore);
      await expectNoSession(agent);
    },
  };
}

/** A legitimate login of `user` on its own agent (so a later attack can try to change that user). */
export async function legitLogin(ctx: OidcCtx, user: string): Promise<Agent> {
  const { agent, res } = await oidcLogin(ctx, user);
  expect(res.status).toBe(303);
  await agent.get('/me').set('Accept', 'application/json').expect(200);
  return agent;
}
