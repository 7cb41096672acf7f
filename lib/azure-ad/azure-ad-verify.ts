/**
 * The verify callback jit-sso hands passport-azure-ad: the checks passport-azure-ad leaves out
 * (pinned RS256, `iat` neither in the future nor too old, `azp`, the token's tenant), then the verified ID-token claims go to the provisioner.
 * @module
 */
import { headerOf } from '../providers/oidc/oidc-checks.js';
import type { Request } from 'express';
import { isJitSsoError, JitSsoError } from '../errors.js';
import { loginContextOf } from '../provisioning/audit.js';
import type { JitProvisioner } from '../provisioning/jit-provision.js';
import type { SsoSessionInfo } from '../providers/types.js';
import { TENANT_ID, type ResolvedAzureAdOptions } from './azure-ad-options.js';
import type { OidcVerify } from './load-passport-azure-ad.js';

/** Entra signs ID tokens with RS256 only; passport-azure-ad accepts whatever the metadata lists. */
export const AZURE_AD_ID_TOKEN_ALG = 'RS256';

/** A protocol refusal (401): one generic message for the person, the reason for the audit log. */
export function azureAdRefusal(reason: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { details: { reason } });
}

/**
 * Checks an ID token passport-azure-ad has validated (signature, `iss`, `aud`, `exp`, `nbf`,
 * `nonce`) for what it leaves out. Pure: token and claims in, refusal out.
 * @throws JitSsoError `ERR_JIT_SSO_AUTHENTICATION_FAILED`, or `ERR_JIT_SSO_TENANT_NOT_ALLOWED` (403)
 * for a tenant outside `allowedTenants`.
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/id-tokens#validate-tokens
 */
export function checkAzureAdIdToken(
  idToken: unknown,
  claims: Readonly<Record<string, unknown>>,
  o: Pick<ResolvedAzureAdOptions, 'clientID' | 'acceptedClockSkewMs' | 'maxIdTokenAgeMs' | 'allowedTenants' | 'multiTenant' | 'validateIssuer'>,
  nowMs: number,
): void {
  if (typeof idToken !== 'string') throw azureAdRefusal('no ID token in the token response');
  const alg = headerOf(idToken).alg;
  if (alg !== AZURE_AD_ID_TOKEN_ALG) throw azureAdRefusal(`ID token alg "${String(alg)}" is not allowed`);
  const skew = o.acceptedClockSkewMs / 1000;
  if (typeof claims.iat !== 'number' || claims.iat > nowMs / 1000 + skew) throw azureAdRefusal('ID token iat is in the future');
  if (claims.iat < nowMs / 1000 - skew - o.maxIdTokenAgeMs / 1000) throw azureAdRefusal('ID token iat is older than maxIdTokenAgeMs');
  // passport-azure-ad checks azp only with several audiences; when present it must be this client.
  if (claims.azp !== undefined && claims.azp !== o.clientID) throw azureAdRefusal('ID token azp is not this client');

  const tid = typeof claims.tid === 'string' ? claims.tid : undefined;
  if (o.multiTenant || !o.validateIssuer) {
    // The issuer list cannot tie a token's iss to its own tid: a token must not borrow another tenant's id.
    if (!tid || !TENANT_ID.test(tid)) throw azureAdRefusal('ID token from a multi-tenant endpoint carries no tenant id (tid)');
    if (typeof claims.iss !== 'string' || !claims.iss.toLowerCase().split('/').includes(tid.toLowerCase())) {
      throw azureAdRefusal("ID token iss does not name the token's tenant");
    }
  }
  if (o.allowedTenants && !(tid && o.allowedTenants.has(tid.toLowerCase()))) {
    throw new JitSsoError('ERR_JIT_SSO_TENANT_NOT_ALLOWED', { details: { reason: `tenant "${tid ?? ''}" is not in allowedTenants` } });
  }
}

/**
 * The verify callback (arity 9: passport-azure-ad passes `req`, `iss`, `sub`, `profile`,
 * `jwtClaims`, the tokens and the token response by the function's `length`).
 */
export function azureAdVerify(o: ResolvedAzureAdOptions, provisioner: JitProvisioner): OidcVerify {
  // Nine named parameters: passport-azure-ad reads `length` to decide what to pass.
  return function verify(req, _iss, _sub, _profile, jwtClaims, _accessToken, _refreshToken, params, done) {
    (async () => {
      const claims = { ...jwtClaims };
      checkAzureAdIdToken(params?.id_token, claims, o, Date.now());
      const result = await provisioner.provisionClaims(claims, loginContextOf(req));
      if (result.error || !result.user) {
        const error = result.error ?? new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED');
        return done(null, false, { code: error.code, message: error.message, audited: true });
      }
      const session: SsoSessionInfo = { provider: o.id };
      return done(null, result.user, { session, outcome: result.outcome });
    })().catch((err: unknown) => {
      if (isJitSsoError(err) && err.status < 500) return done(null, false, { code: err.code, message: err.message, reason: err.details.reason });
      done(err instanceof Error ? err : new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { cause: err }));
    });
  };
}
