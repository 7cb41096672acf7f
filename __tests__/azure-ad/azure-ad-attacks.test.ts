/**
 * Attacks on an azureAdProvider login, end to end through the real passport-azure-ad strategy:
 * forged ID tokens from the token endpoint, tenants outside `allowedTenants` (tenant-specific and
 * multi-tenant metadata), state and code misuse, and flow injection. Every refusal is audited, shows
 * the code's one plain message, creates or changes no user and leaves no session.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { messageFor, type ErrorCode } from '../../lib/errors.js';
import {
  authorizeAt,
  azureApp,
  azureLogin,
  closeEntra,
  CONTOSO,
  deliver,
  editSessions,
  expectSignedOut,
  FABRIKAM,
  startAzureLogin,
  type Agent,
  type AzureCtx,
} from '../helpers/azure-ad-app.js';

afterEach(closeEntra);

/** Bob's claims in Alice's token: what a forger wants. */
const asBob = (claims: Record<string, unknown>) => ({ ...claims, sub: 'oid-bob', oid: 'oid-bob', preferred_username: 'bob@contoso.com', roles: ['Admin'] });

async function expectRefused(ctx: AzureCtx, before: { users: unknown; events: number }, res: request.Response, agent: Agent, refusal: { status?: number; code?: ErrorCode; reason: RegExp }) {
  const { status = 401, code = 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason } = refusal;
  expect(res.status).toBe(status);
  expect(res.headers.location).toBeUndefined();
  expect(ctx.events.slice(before.events)).toEqual([expect.objectContaining({ type: 'login', subType: 'denied', provider: 'azure', code, reason: expect.stringMatching(reason) })]);
  expect(res.text).toContain(messageFor(code));
  expect(res.text).not.toMatch(/iss|aud|nonce|signature|alg|state|verifier|tenant|passport/i);
  expect(await ctx.store.listUsers()).toEqual(before.users);
  await expectSignedOut(agent);
}

const snapshot = async (ctx: AzureCtx) => ({ users: structuredClone(await ctx.store.listUsers()), events: ctx.events.length });

describe('azureAdProvider: forged ID tokens', () => {
  it.each([
    ['unsigned (alg "none")', 'none', /signature is missing/],
    ["signed by another key under the provider's kid", 'other-key', /invalid signature/],
    ["HMAC-signed with the provider's public key (algorithm confusion)", 'HS256-with-public-key', /invalid algorithm/],
  ] as const)('an ID token %s is refused with 401', async (_name, alg, reason) => {
    const ctx = await azureApp();
    const before = await snapshot(ctx);
    const { agent, res } = await azureLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: asBob(claims), alg }) });
    await expectRefused(ctx, before, res, agent, { reason });
  });

  it('an ID token for another client (aud) is refused even when the provider signed it', async () => {
    const ctx = await azureApp();
    const before = await snapshot(ctx);
    const { agent, res } = await azureLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, aud: 'some-other-app' } }) });
    await expectRefused(ctx, before, res, agent, { reason: /audience is invalid/ });
  });

  it('an ID token whose iat lies in the future is refused (passport-azure-ad does not look at iat)', async () => {
    const ctx = await azureApp();
    const before = await snapshot(ctx);
    const { agent, res } = await azureLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 } }) });
    await expectRefused(ctx, before, res, agent, { reason: /iat is in the future/ });
  });
});

describe('azureAdProvider: tenants', () => {
  it('tenant-specific metadata with allowedTenants: a token from another tenant is refused with 403 and no user', async () => {
    const ctx = await azureApp({ provider: { allowedTenants: [CONTOSO] } });
    const before = await snapshot(ctx);
    const { agent, res } = await azureLogin(ctx, 'oid-mallory');
    await expectRefused(ctx, before, res, agent, { status: 403, code: 'ERR_JIT_SSO_TENANT_NOT_ALLOWED', reason: new RegExp(`tenant "${FABRIKAM}" is not in allowedTenants`) });
  });

  it('multi-tenant (organizations) metadata: people of an allowed tenant sign in, each keyed on their tid/oid', async () => {
    const ctx = await azureApp({ multiTenant: true, provider: { allowedTenants: [CONTOSO, FABRIKAM] } });
    expect((await azureLogin(ctx, 'oid-alice')).res.status).toBe(303);
    expect((await azureLogin(ctx, 'oid-mallory')).res.status).toBe(303);
    expect(ctx.events.map((e) => e.subject)).toEqual([`${CONTOSO}/oid-alice`, `${FABRIKAM}/oid-mallory`]);
  });

  it('multi-tenant (organizations) metadata: a token from a tenant outside allowedTenants is refused with 403', async () => {
    const ctx = await azureApp({ multiTenant: true, provider: { allowedTenants: [CONTOSO] } });
    const before = await snapshot(ctx);
    const { agent, res } = await azureLogin(ctx, 'oid-mallory');
    await expectRefused(ctx, before, res, agent, { status: 403, code: 'ERR_JIT_SSO_TENANT_NOT_ALLOWED', reason: /not the issuer of a tenant in allowedTenants/ });
  });

  it("multi-tenant: a token claiming an allowed tenant's tid under another allowed tenant's iss is refused", async () => {
    const ctx = await azureApp({ multiTenant: true, provider: { allowedTenants: [CONTOSO, FABRIKAM] } });
    const before = await snapshot(ctx);
    const { agent, res } = await azureLogin(ctx, 'oid-mallory', { tamper: (claims) => ({ claims: { ...claims, tid: CONTOSO, iss: ctx.front.tenantIssuer(FABRIKAM) } }) });
    await expectRefused(ctx, before, res, agent, { reason: /iss does not name the token's tenant/ });
  });
});

describe('azureAdProvider: validateIssuer false (escape hatch)', () => {
  it("still ties iss to the token's own tenant and the allow-list", async () => {
    const ctx = await azureApp({ provider: { validateIssuer: false, allowedTenants: [CONTOSO, FABRIKAM] } });
    expect((await azureLogin(ctx, 'oid-alice')).res.status).toBe(303);
    const before = await snapshot(ctx);
    // The provider's iss names Contoso: a Fabrikam token under it is refused.
    const { agent, res } = await azureLogin(ctx, 'oid-mallory');
    await expectRefused(ctx, before, res, agent, { reason: /iss does not name the token's tenant/ });
  });
});

describe('azureAdProvider: state, code and flow misuse', () => {
  it('a callback carried to another browser (login CSRF, stolen callback URL) is refused: its state belongs to no login there', async () => {
    const ctx = await azureApp();
    const before = await snapshot(ctx);
    const url = await startAzureLogin(request.agent(ctx.app));
    const response = await authorizeAt(ctx, url, 'oid-alice');
    const victim = request.agent(ctx.app);
    await expectRefused(ctx, before, await deliver(victim, response), victim, { reason: /state does not match a login this session started/ });
  });

  it('a callback replayed after a successful login is refused', async () => {
    const ctx = await azureApp();
    const { agent, response } = await azureLogin(ctx, 'oid-alice');
    const replay = await deliver(agent, response);
    expect(replay.status).toBe(401);
    expect(ctx.events.at(-1)).toMatchObject({ subType: 'denied', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: expect.stringMatching(/state does not match/) });
    expect(await ctx.store.listUsers()).toHaveLength(1);
  });

  it("a code cannot be redeemed without this login's PKCE verifier", async () => {
    const ctx = await azureApp();
    const before = await snapshot(ctx);
    const agent = request.agent(ctx.app);
    const response = await authorizeAt(ctx, await startAzureLogin(agent), 'oid-alice');
    await editSessions(ctx.sessions, (data) => {
      for (const login of (data.jitSsoAzureAd as Record<string, Array<Record<string, unknown>>>).azure!) login.codeVerifier = 'x'.repeat(43);
    });
    await expectRefused(ctx, before, await deliver(agent, response), agent, { reason: /failed to redeem authorization code/ });
  });

  it('an id_token injected into the callback (implicit/hybrid flow) is refused before passport-azure-ad reads it', async () => {
    const ctx = await azureApp();
    const before = await snapshot(ctx);
    const { agent, res } = await azureLogin(ctx, 'oid-alice', {
      edit: (response) => {
        response.url.searchParams.set('id_token', 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.');
        return response;
      },
    });
    await expectRefused(ctx, before, res, agent, { reason: /unexpected callback parameter "id_token"/ });
  });

  it('a code on the login URL starts a new login rather than finishing one', async () => {
    const ctx = await azureApp();
    const res = await request(ctx.app).get('/auth/azure/login?code=stolen&state=CUSTOM0123456789012345678901234567890123').expect(302);
    expect(new URL(res.headers.location as string).origin).toBe(ctx.front.origin);
    expect(ctx.events).toEqual([]);
  });

  it('metadata that cannot be reached fails the login with 503, not a 401', async () => {
    const ctx = await azureApp({ provider: { identityMetadata: 'https://127.0.0.1:9/common/v2.0/.well-known/openid-configuration', allowedTenants: [CONTOSO] } });
    const res = await request(ctx.app).get('/auth/azure/login').set('Accept', 'application/json');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: expect.objectContaining({ code: 'ERR_JIT_SSO_IDP_UNAVAILABLE' }) });
  });
});
