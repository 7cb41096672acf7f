/**
 * ID tokens genuinely signed by the provider that name another authorized party (`azp`) with a single
 * audience, or that were issued long ago (`iat`) and kept to be played again. openid-client and
 * passport-azure-ad check `azp` only with several audiences and do not bound the token's age.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { messageFor } from '../../../lib/errors.js';
import { oidcProvider } from '../../../lib/providers/oidc/oidc-provider.js';
import { azureApp, azureLogin, closeEntra, expectSignedOut, type AzureCtx } from '../../helpers/azure-ad-app.js';
import { CLIENT_ID, closeOps, oidcApp, oidcLogin } from '../../helpers/oidc-app.js';
import { watch } from '../../helpers/oidc-attacks.js';

afterEach(async () => {
  await closeOps();
  await closeEntra();
});

const now = () => Math.floor(Date.now() / 1000);
/** The token's times moved back `seconds`, still unexpired. */
const issuedAgo = (claims: Record<string, unknown>, seconds: number) => ({ ...claims, iat: now() - seconds, auth_time: now() - seconds, exp: now() + 3600 });

describe('oidcProvider: azp and ID-token age', () => {
  it('an ID token for this client alone whose azp names another client is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, aud: CLIENT_ID, azp: 'another-app' } }) });
    await w.expectRefused(res, agent, { reason: /azp is not this client/ });
  });

  it('an ID token whose azp is this client signs in', async () => {
    const ctx = await oidcApp();
    const { res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, azp: CLIENT_ID } }) });
    expect(res.status).toBe(303);
  });

  it('an ID token issued an hour ago (kept and played again, still unexpired) is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: issuedAgo(claims, 3600) }) });
    await w.expectRefused(res, agent, { reason: /older than maxIdTokenAgeMs/ });
  });

  it('an ID token issued 4 minutes ago is accepted under the 5-minute default, and refused with maxIdTokenAgeMs: 60000', async () => {
    const ctx = await oidcApp();
    expect((await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: issuedAgo(claims, 240) }) })).res.status).toBe(303);
    const strict = await oidcApp({ op: ctx.op, provider: { maxIdTokenAgeMs: 60_000 } });
    const w = await watch(strict);
    const { agent, res } = await oidcLogin(strict, 'oid-alice', { tamper: (claims) => ({ claims: issuedAgo(claims, 240) }) });
    await w.expectRefused(res, agent, { reason: /older than maxIdTokenAgeMs/ });
  });

  it('maxIdTokenAgeMs is checked at start-up', () => {
    const make = (maxIdTokenAgeMs: unknown) => () =>
      oidcProvider({ id: 'oidc', issuer: 'https://idp.example', clientId: 'app', clientSecret: 's', callbackUrl: 'https://app.test/auth/oidc/callback', maxIdTokenAgeMs } as never);
    expect(make(-1)).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: expect.objectContaining({ path: 'oidcProvider(oidc).maxIdTokenAgeMs' }) }));
    expect(make('300000')).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS' }));
    expect(make(120_000)).not.toThrow();
  });
});

describe('azureAdProvider: azp and ID-token age', () => {
  async function expectAzureRefused(ctx: AzureCtx, res: request.Response, agent: ReturnType<typeof request.agent>, reason: RegExp, eventsBefore: number) {
    expect(res.status).toBe(401);
    expect(ctx.events.slice(eventsBefore)).toEqual([expect.objectContaining({ type: 'login', subType: 'denied', provider: 'azure', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: expect.stringMatching(reason) })]);
    expect(res.text).toContain(messageFor('ERR_JIT_SSO_AUTHENTICATION_FAILED'));
    expect(await ctx.store.listUsers()).toEqual([]);
    await expectSignedOut(agent);
  }

  it('an ID token for this client alone whose azp names another client is refused', async () => {
    const ctx = await azureApp();
    const { agent, res } = await azureLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, azp: 'another-app' } }) });
    await expectAzureRefused(ctx, res, agent, /azp is not this client/, 0);
  });

  it('an ID token issued an hour ago (kept and played again, still unexpired) is refused', async () => {
    const ctx = await azureApp();
    const { agent, res } = await azureLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: issuedAgo(claims, 3600) }) });
    await expectAzureRefused(ctx, res, agent, /older than maxIdTokenAgeMs/, 0);
  });
});
