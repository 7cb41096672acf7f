/**
 * Single-logout test kit: an app with SAML logout on and Alice signed in, the checks a refused logout
 * message must pass, and the SP-initiated logout as a browser walks it.
 */
import { inflateRawSync } from 'node:zlib';
import { expect } from '@jest/globals';
import request from 'supertest';
import type { Logger } from '../../lib/internal/logger.js';
import { createTestSamlIdp } from '../../lib/testing/saml-idp.js';
import type { TestSamlKeys } from '../../lib/testing/saml-idp-types.js';
import { IDP_ISSUER, login, samlApp, USERS, type SamlAppOptions } from './saml-app.js';
import { baselineRefusal, legitLogin, type Agent, type SamlCtx } from './saml-attacks.js';

export const SLO = 'https://idp.test.local/saml/slo';
export const LOGOUT_CALLBACK = 'https://app.test/auth/entra/logout/callback';
export const ALICE_NAME_ID = 'alice.johnson@contoso.com';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

export interface LogoutCtx extends SamlCtx {
  warnings: Array<{ obj: Record<string, unknown>; msg: string | undefined }>;
  /** Alice, signed in. */
  alice: Agent;
}

/** An app with SAML logout on, an IdP whose private key the test holds, and Alice signed in. */
export async function signedInApp(idpKeys: TestSamlKeys, provider: SamlAppOptions['provider'] = {}, options: Omit<SamlAppOptions, 'provider' | 'idp'> = {}): Promise<LogoutCtx> {
  const warnings: LogoutCtx['warnings'] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (obj, msg) => void warnings.push({ obj: obj as Record<string, unknown>, msg }) };
  const idp = await createTestSamlIdp({ users: structuredClone(USERS), issuer: IDP_ISSUER, preset: 'entra-saml', baseUrl: 'https://idp.test.local/saml', keys: idpKeys });
  const ctx = await samlApp({ ...options, idp, provider: { logoutUrl: SLO, ...provider }, jitSso: { logger, ...options.jitSso } });
  const alice = await legitLogin(ctx, 'oid-alice');
  return { ...ctx, warnings, alice };
}

export async function expectSignedIn(agent: Agent, username = 'alice.johnson'): Promise<void> {
  const me = await agent.get('/me').set('Accept', 'application/json');
  expect(me.status).toBe(200);
  expect(me.body.username).toBe(username);
}

export async function expectSignedOut(agent: Agent): Promise<void> {
  await agent.get('/me').set('Accept', 'application/json').expect(401);
}

export async function snapshot(ctx: SamlCtx) {
  return { events: ctx.events.length, users: structuredClone(await ctx.store.listUsers()) };
}

/**
 * What a refused logout message must hold: 401, the generic body, the reason in the log and in one
 * logout/denied audit event, nothing changed in the store, and `survivor` (Alice by default) still signed in.
 */
export async function expectLogoutRefused(ctx: LogoutCtx, res: request.Response, reason: RegExp, before: { events: number; users: unknown }, survivor: Agent | null = ctx.alice) {
  expect(res.status).toBe(401);
  expect(res.headers.location).toBeUndefined();
  expect(res.text).toBe((await baselineRefusal()).text);
  expect(ctx.warnings).toEqual([{ obj: expect.objectContaining({ provider: 'entra', reason: expect.stringMatching(reason) }), msg: 'logout message refused' }]);
  expect(ctx.events).toHaveLength(before.events + 1);
  expect(ctx.events.at(-1)).toMatchObject({ type: 'logout', subType: 'denied', provider: 'entra', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: expect.stringMatching(reason) });
  expect(await ctx.store.listUsers()).toEqual(before.users);
  if (survivor) await expectSignedIn(survivor);
}

/** An SP-initiated logout as the browser walks it: `POST /auth/logout`, which ends the local session and sends the browser to the IdP. */
export async function startSpLogout(agent: Agent, returnTo?: string): Promise<{ requestId: string; relayState: string }> {
  const out = await (returnTo === undefined ? agent.post('/auth/logout') : agent.post('/auth/logout').type('form').send({ returnTo })).expect(303);
  const sent = new URL(out.headers.location as string);
  expect(sent.origin + sent.pathname).toBe(SLO);
  const logoutRequest = inflateRawSync(Buffer.from(sent.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  const relayState = sent.searchParams.get('RelayState');
  expect(relayState).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return { requestId: /\sID="([^"]+)"/.exec(logoutRequest)![1]!, relayState: relayState! };
}

/** Signs `agent` in again as Alice (after a logout), on the same browser. */
export async function signInAgain(ctx: SamlCtx, agent: Agent): Promise<void> {
  const { res } = await login(ctx, 'oid-alice', { agent });
  expect(res.status).toBe(303);
  await expectSignedIn(agent);
}

/** The status the SP's LogoutResponse (sent back to the IdP in `location`) carries. */
export function logoutResponseStatus(location: string): string {
  const url = new URL(location);
  expect(url.origin + url.pathname).toBe(SLO);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLResponse')!, 'base64')).toString('utf8');
  return /StatusCode Value="([^"]+)"/.exec(xml)![1]!;
}
