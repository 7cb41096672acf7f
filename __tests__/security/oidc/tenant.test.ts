/**
 * Entra's multi-tenant endpoints accept accounts from any tenant: jit-sso refuses every tenant not in
 * `allowedTenants`, and checks that each token's `iss` is its own tenant's issuer.
 */
import { afterEach, describe, it } from '@jest/globals';
import { closeOps, entraLogin, entraMultiTenant, oidcApp, oidcLogin, OIDC_USERS, OTHER_TENANT, TENANT, testOp } from '../../helpers/oidc-app.js';
import { watch } from '../../helpers/oidc-attacks.js';

afterEach(closeOps);

const MALLORY = { id: 'oid-mallory', username: 'mallory@fabrikam.com', email: 'mallory@fabrikam.com', displayName: 'Mallory', tenant: OTHER_TENANT };

async function multiTenantApp() {
  const op = await testOp({ claimsShape: 'entra', users: [...structuredClone(OIDC_USERS), MALLORY] });
  return oidcApp({ op, provider: entraMultiTenant(op, [TENANT]) });
}

describe('OIDC tenant attacks (Entra multi-tenant)', () => {
  it('an account from a tenant outside allowedTenants is refused with 403 on the organizations endpoint', async () => {
    const ctx = await multiTenantApp();
    const w = await watch(ctx);
    const { agent, res } = await entraLogin(ctx, 'oid-mallory');
    await w.expectRefused(res, agent, { status: 403, code: 'ERR_JIT_SSO_TENANT_NOT_ALLOWED', reason: new RegExp(`tenant "${OTHER_TENANT}" is not in allowedTenants`) });
  });

  it("a token from another tenant claiming an allowed tenant's tid (iss of its own tenant) is refused", async () => {
    const ctx = await multiTenantApp();
    const w = await watch(ctx);
    const { agent, res } = await entraLogin(ctx, 'oid-mallory', {
      tamper: (claims) => ({ claims: { ...claims, tid: TENANT, iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0` } }),
    });
    await w.expectRefused(res, agent, { reason: /"iss"/ });
  });

  it("a token from the multi-tenant endpoint with its tenant's template unfilled (iss '{tenantid}') is refused", async () => {
    const ctx = await multiTenantApp();
    const w = await watch(ctx);
    const { agent, res } = await entraLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, iss: 'https://login.microsoftonline.com/{tenantid}/v2.0' } }) });
    await w.expectRefused(res, agent, { reason: /"iss"/ });
  });

  it('a single-tenant provider with allowedTenants refuses a token whose tid is not listed', async () => {
    const op = await testOp({ claimsShape: 'entra', users: [...structuredClone(OIDC_USERS), MALLORY] });
    const ctx = await oidcApp({ op, provider: { preset: 'entra-oidc', allowedTenants: [TENANT] } });
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-mallory');
    await w.expectRefused(res, agent, { status: 403, code: 'ERR_JIT_SSO_TENANT_NOT_ALLOWED', reason: /not in allowedTenants/ });
  });
});
