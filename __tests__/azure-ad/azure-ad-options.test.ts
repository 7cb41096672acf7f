/**
 * `azureAdProvider()` options: wrong or unsafe settings stop the app at start-up naming the option,
 * and the `OIDCStrategy` settings jit-sso derives are the secure ones passport-azure-ad accepts.
 */
import { describe, expect, it } from '@jest/globals';
import { azureAdProvider, type AzureAdProviderOptions } from '../../lib/azure-ad/index.js';
import { resolveAzureAdOptions } from '../../lib/azure-ad/azure-ad-options.js';
import { strategyConfig } from '../../lib/azure-ad/azure-ad-provider.js';
import { checkAzureAdIdToken } from '../../lib/azure-ad/azure-ad-verify.js';
import { JitSsoError } from '../../lib/errors.js';

const TENANT = '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f';
const OTHER = '5f1e2d3c-4b5a-4697-8899-aabbccddeeff';
const metadataOf = (tenant: string, version = '/v2.0') => `https://login.microsoftonline.com/${tenant}${version}/.well-known/openid-configuration`;
const base: AzureAdProviderOptions = { id: 'entra', identityMetadata: metadataOf(TENANT), clientID: 'app-id', clientSecret: 'secret', redirectUrl: 'https://app.example.com/auth/entra/callback' };

function startUpError(options: Record<string, unknown>): JitSsoError {
  try {
    azureAdProvider({ ...base, ...options } as AzureAdProviderOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(JitSsoError);
    expect((err as JitSsoError).code).toBe('ERR_JIT_SSO_INVALID_OPTIONS');
    return err as JitSsoError;
  }
  throw new Error('azureAdProvider accepted the options');
}

describe('azureAdProvider options', () => {
  it.each(['common', 'organizations', 'consumers'])('multi-tenant %s metadata without allowedTenants fails at start-up naming allowedTenants', (segment) => {
    const err = startUpError({ identityMetadata: metadataOf(segment) });
    expect(err.details.path).toBe('azureAdProvider(entra).allowedTenants');
    expect(err.message).toMatch(/allowedTenants: is required for the multi-tenant metadata/);
  });

  it.each([
    [{ identityMetadata: 'http://login.microsoftonline.com/x/v2.0/.well-known/openid-configuration' }, 'identityMetadata', /must be https/],
    [{ identityMetadata: 'https://login.microsoftonline.com/x/v2.0' }, 'identityMetadata', /OpenID configuration document/],
    [{ redirectUrl: 'https://app.example.com/auth/other/callback' }, 'redirectUrl', /must end with \/entra\/callback/],
    [{ redirectUrl: 'http://app.example.com/auth/entra/callback' }, 'redirectUrl', /must be https/],
    [{ redirectUrl: 'http://app.example.com/auth/entra/callback', allowHttpForRedirectUrl: true }, 'allowHttpForRedirectUrl', /only for localhost/],
    [{ allowedTenants: ['contoso.onmicrosoft.com'] }, 'allowedTenants[0]', /tenant id \(a GUID\), not a domain name/],
    [{ validateIssuer: false }, 'allowedTenants', /required when validateIssuer is false/],
    [{ clientSecret: '' }, 'clientSecret', /./],
    [{ responseType: 'id_token' }, 'responseType', /always uses the authorization code flow/],
    [{ useCookieInsteadOfSession: true }, 'useCookieInsteadOfSession', /keeps the login state in the express-session session/],
    [{ isB2C: true }, 'isB2C', /B2C is not supported/],
    [{ loggingNoPII: false }, 'loggingNoPII', /never lets passport-azure-ad log personal data/],
    [{ passReqToCallback: true }, 'passReqToCallback', /provides the verify callback/],
  ])('%j is refused at start-up, naming %s', (options, path, message) => {
    const err = startUpError(options);
    expect(err.details.path).toBe(`azureAdProvider(entra).${path}`);
    expect(err.message).toMatch(message);
  });

  it('accepts an http redirect URL on localhost only with the allowHttpForRedirectUrl escape hatch', () => {
    expect(() => azureAdProvider({ ...base, redirectUrl: 'http://localhost:3000/auth/entra/callback', allowHttpForRedirectUrl: true })).not.toThrow();
    expect(startUpError({ redirectUrl: 'http://localhost:3000/auth/entra/callback' }).details.path).toBe('azureAdProvider(entra).redirectUrl');
  });

  it("describes itself as an OIDC provider with the entra-oidc preset (identity key: tid + oid)", () => {
    const provider = azureAdProvider({ ...base, claimMap: { employeeId: 'employee_id' }, provisioning: { createUsers: true } });
    expect(provider).toMatchObject({ id: 'entra', protocol: 'oidc', preset: 'entra-oidc', claimMap: { employeeId: 'employee_id' }, provisioning: { createUsers: true } });
  });
});

describe('the OIDCStrategy settings jit-sso derives', () => {
  it('use the code flow with session-held state and nonce, the issuer checked and no personal data logged', () => {
    expect(strategyConfig(resolveAzureAdOptions(base))).toEqual({
      identityMetadata: base.identityMetadata,
      clientID: 'app-id',
      clientSecret: 'secret',
      responseType: 'code',
      responseMode: 'query',
      redirectUrl: base.redirectUrl,
      allowHttpForRedirectUrl: false,
      validateIssuer: true,
      passReqToCallback: true,
      scope: ['openid', 'profile', 'email'],
      useCookieInsteadOfSession: false,
      sessionKey: 'jitSsoAzureAdState:entra',
      nonceLifetime: 600,
      nonceMaxAmount: 5,
      clockSkew: 30,
      isB2C: false,
      loggingNoPII: true,
      loggingLevel: 'error',
    });
  });

  it("on multi-tenant metadata, accept exactly the allowed tenants' issuers (v2.0 and v1.0 forms)", () => {
    const v2 = strategyConfig(resolveAzureAdOptions({ ...base, identityMetadata: metadataOf('organizations'), allowedTenants: [TENANT, OTHER.toUpperCase()] }));
    expect(v2.issuer).toEqual([`https://login.microsoftonline.com/${TENANT}/v2.0`, `https://login.microsoftonline.com/${OTHER}/v2.0`]);
    const v1 = strategyConfig(resolveAzureAdOptions({ ...base, identityMetadata: metadataOf('common', ''), allowedTenants: [TENANT] }));
    expect(v1.issuer).toEqual([`https://sts.windows.net/${TENANT}/`]);
  });

  it('are accepted by the real passport-azure-ad OIDCStrategy', async () => {
    const { OIDCStrategy } = (await import('passport-azure-ad')) as unknown as { OIDCStrategy: new (config: unknown, verify: unknown) => { name: string } };
    const config = strategyConfig(resolveAzureAdOptions({ ...base, identityMetadata: metadataOf('organizations'), allowedTenants: [TENANT] }));
    const verify = (_1: unknown, _2: unknown, _3: unknown, _4: unknown, _5: unknown, _6: unknown, _7: unknown, _8: unknown, _9: unknown) => undefined;
    expect(new OIDCStrategy(config, verify).name).toBe('azuread-openidconnect');
  });
});

describe('the ID-token checks jit-sso adds after passport-azure-ad', () => {
  const now = Date.now();
  const token = (header: Record<string, unknown>) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.sig`;
  const claims = { iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, tid: TENANT, iat: Math.floor(now / 1000) };
  const o = { clientID: 'app', acceptedClockSkewMs: 30_000, maxIdTokenAgeMs: 300_000, multiTenant: true, validateIssuer: true, allowedTenants: new Set([TENANT]) };

  it('pin RS256: a PS256 ID token, which passport-azure-ad accepts when the metadata lists PS256, is refused', () => {
    expect(() => checkAzureAdIdToken(token({ alg: 'PS256', typ: 'JWT' }), claims, o, now)).toThrow(expect.objectContaining({ details: { reason: 'ID token alg "PS256" is not allowed' } }));
    expect(() => checkAzureAdIdToken(token({ alg: 'RS256', typ: 'JWT' }), claims, o, now)).not.toThrow();
  });

  it('refuse a multi-tenant token without a tenant id', () => {
    const { tid: _tid, ...noTid } = claims;
    expect(() => checkAzureAdIdToken(token({ alg: 'RS256' }), noTid, o, now)).toThrow(expect.objectContaining({ details: { reason: expect.stringMatching(/carries no tenant id/) } }));
  });
});
