/**
 * ID tokens genuinely signed by the provider but not meant for this login: another issuer, another
 * audience, expired, issued in the future, or with a nonce from another login.
 */
import { afterEach, describe, it } from '@jest/globals';
import { CLIENT_ID, closeOps, oidcApp, oidcLogin } from '../../helpers/oidc-app.js';
import { watch } from '../../helpers/oidc-attacks.js';

afterEach(closeOps);

const now = () => Math.floor(Date.now() / 1000);

describe('OIDC ID-token claim attacks', () => {
  it('an ID token from another issuer is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, iss: 'https://evil.example' } }) });
    await w.expectRefused(res, agent, { reason: /"iss"/ });
  });

  it('an ID token for another client (aud) is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, aud: 'another-app' } }) });
    await w.expectRefused(res, agent, { reason: /"aud"/ });
  });

  it('an ID token for several audiences whose azp is another client is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, aud: [CLIENT_ID, 'another-app'], azp: 'another-app' } }) });
    await w.expectRefused(res, agent, { reason: /"azp"/ });
  });

  it('an expired ID token is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, iat: now() - 7200, exp: now() - 3600 } }) });
    await w.expectRefused(res, agent, { reason: /"exp"/ });
  });

  it('an ID token issued in the future (iat beyond the clock skew) is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, iat: now() + 3600, exp: now() + 7200 } }) });
    await w.expectRefused(res, agent, { reason: /iat is in the future/ });
  });

  it("an ID token carrying another login's nonce is refused", async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, nonce: 'nonce-of-another-login' } }) });
    await w.expectRefused(res, agent, { reason: /"nonce"/ });
  });

  it('an ID token without a nonce is refused', async () => {
    const ctx = await oidcApp();
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: ({ nonce: _nonce, ...claims }) => ({ claims }) });
    await w.expectRefused(res, agent, { reason: /"nonce"/ });
  });
});
