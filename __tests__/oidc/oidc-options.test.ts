import { afterEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { silentLogger } from '../../lib/internal/logger.js';
import { oidcProvider, type OidcProviderOptions } from '../../lib/providers/oidc/oidc-provider.js';
import { callbackUrl, CLIENT_ID, closeOps, ENTRA_ORGANIZATIONS, oidcApp, oidcLogin, TENANT, testOp } from '../helpers/oidc-app.js';

afterEach(closeOps);

const base: OidcProviderOptions = {
  id: 'entra',
  issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  clientId: CLIENT_ID,
  clientSecret: 'secret',
  callbackUrl: callbackUrl('entra'),
};

function startUpError(overrides: Record<string, unknown>) {
  try {
    oidcProvider({ ...base, ...overrides } as OidcProviderOptions);
  } catch (err) {
    return err as { code: string; message: string; details: { path: string } };
  }
  throw new Error('oidcProvider() accepted the options');
}

describe('oidcProvider() options', () => {
  it('makes an oidc provider with the generic-oidc preset by default and a ready() hook', () => {
    const provider = oidcProvider(base);
    expect(provider).toMatchObject({ id: 'entra', protocol: 'oidc', preset: 'generic-oidc' });
    expect(typeof provider.ready).toBe('function');
  });

  it.each([
    ['alg none', { idTokenSigningAlgs: ['none'] }, 'idTokenSigningAlgs[0]'],
    ['HS256', { idTokenSigningAlgs: ['RS256', 'HS256'] }, 'idTokenSigningAlgs[1]'],
    ['an empty algorithm list', { idTokenSigningAlgs: [] }, 'idTokenSigningAlgs'],
    ["Entra's organizations endpoint without allowedTenants", { issuer: ENTRA_ORGANIZATIONS }, 'allowedTenants'],
    ["Entra's common endpoint without allowedTenants", { issuer: 'https://login.microsoftonline.com/common/v2.0' }, 'allowedTenants'],
    ['an http issuer on another host', { issuer: 'http://idp.example.com' }, 'issuer'],
    ['an http issuer on localhost without allowInsecureRequests', { issuer: 'http://127.0.0.1:8080' }, 'allowInsecureRequests'],
    ['a callback URL that is not /{id}/callback', { callbackUrl: 'https://app.test/auth/other/callback' }, 'callbackUrl'],
    ['an http callback URL on another host', { callbackUrl: 'http://app.test/auth/entra/callback' }, 'callbackUrl'],
    ['a scope without openid', { scope: 'profile email' }, 'scope'],
    ['both clientSecret and privateKey', { privateKey: 'x' }, 'privateKey'],
    ['neither clientSecret nor privateKey', { clientSecret: undefined }, 'clientSecret'],
    ['a preset of another protocol', { preset: 'entra-saml' }, 'preset'],
    ['an unknown option', { redirectUri: 'x' }, 'oidcProvider(entra)'],
  ])('fails at start-up on %s, naming the option', (_name, overrides, path) => {
    const err = startUpError(overrides);
    expect(err.code).toBe('ERR_JIT_SSO_INVALID_OPTIONS');
    expect(err.details.path).toBe(path.startsWith('oidcProvider') ? path : `oidcProvider(entra).${path}`);
  });

  it('accepts the multi-tenant endpoint with allowedTenants, and a PKCS#8 key for private_key_jwt', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => oidcProvider({ ...base, issuer: ENTRA_ORGANIZATIONS, allowedTenants: [TENANT], clientSecret: undefined, privateKey: pem })).not.toThrow();
    expect(startUpError({ clientSecret: undefined, privateKey: { key: pem, alg: 'RS256' } }).details.path).toBe('oidcProvider(entra).privateKey');
  });

  it('with allowInsecureRequests, still refuses plain http to any host but this machine', async () => {
    const op = await testOp();
    const reached: string[] = [];
    const logged: object[] = [];
    const ctx = await oidcApp({
      op,
      jitSso: { logger: { ...silentLogger, error: (entry: object) => void logged.push(entry) } },
      provider: {
        // The discovery document sends the token request to an http host elsewhere.
        fetch: async (url, init) => {
          reached.push(url);
          if (url !== op.discoveryUrl) return fetch(url, init);
          return Response.json({ ...((await (await fetch(url)).json()) as object), token_endpoint: 'http://idp.example.com/token' });
        },
      },
    });
    const { res } = await oidcLogin(ctx, 'oid-alice');
    expect(res.status).toBe(500);
    expect(logged).toEqual([expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', reason: expect.stringContaining('only localhost may use http') })]);
    expect(reached).not.toContain('http://idp.example.com/token');
    expect(await ctx.store.listUsers()).toEqual([]);
  });
});
