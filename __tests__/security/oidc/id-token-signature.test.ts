/**
 * Attacks on the ID token's signature: unsigned (`alg: none`), HMAC keyed with the provider's public
 * key (algorithm confusion), and a signature by another key under the provider's key id. The token
 * endpoint answers them (a man in the middle, a compromised proxy): jit-sso checks the signature of
 * every ID token, also from the token endpoint, with the algorithms pinned.
 */
import { afterEach, describe, it } from '@jest/globals';
import { closeOps, oidcApp, oidcLogin } from '../../helpers/oidc-app.js';
import { legitLogin, watch } from '../../helpers/oidc-attacks.js';

afterEach(closeOps);

const asBob = (claims: Record<string, unknown>) => ({ ...claims, sub: 'oid-bob', preferred_username: 'bob@contoso.com', roles: ['Admin'] });

describe('OIDC ID-token signature attacks', () => {
  it('an ID token with alg "none" is refused', async () => {
    const ctx = await oidcApp();
    await legitLogin(ctx, 'oid-bob');
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: asBob(claims), alg: 'none' }) });
    await w.expectRefused(res, agent, { reason: /"alg"/ });
  });

  it("an ID token signed HS256 with the provider's public key as the secret is refused", async () => {
    const ctx = await oidcApp();
    await legitLogin(ctx, 'oid-bob');
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: asBob(claims), alg: 'HS256-with-public-key' }) });
    await w.expectRefused(res, agent, { reason: /"alg"/ });
  });

  it("an ID token signed by another key under the provider's kid is refused", async () => {
    const ctx = await oidcApp();
    await legitLogin(ctx, 'oid-bob');
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: asBob(claims), alg: 'other-key' }) });
    await w.expectRefused(res, agent, { reason: /signature/i });
  });

  it('an ID token signed with an algorithm outside idTokenSigningAlgs is refused even with a valid signature', async () => {
    const ctx = await oidcApp({ provider: { idTokenSigningAlgs: ['ES256'] } });
    const w = await watch(ctx);
    const { agent, res } = await oidcLogin(ctx, 'oid-alice');
    await w.expectRefused(res, agent, { reason: /"alg"/ });
  });
});
