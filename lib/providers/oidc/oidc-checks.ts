/**
 * The checks jit-sso runs on a validated ID token besides openid-client's: the pinned algorithm
 * (again), `iat` neither in the future nor older than `maxIdTokenAgeMs`, `exp`, `iss` per tenant on Entra's multi-tenant endpoints,
 * `aud`/`azp`, `nonce`, and the tenant allow-list. Pure: claims in, refusal out.
 * @module
 */
import { JitSsoError } from '../../errors.js';
import { expectedIssuer, type DiscoveredIdp } from './oidc-client.js';
import type { ResolvedOidcOptions } from './oidc-options.js';

/** Entra tenant ids are GUIDs. */
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A protocol refusal (401): one generic message for the person, the reason for the audit log. */
export function oidcRefusal(reason: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { details: { reason } });
}

/** What the checks need besides the claims. */
export interface IdTokenExpectations {
  nonce: string;
  nowMs: number;
}

/**
 * Checks an ID token openid-client has validated (signature, `iss`, `aud`, `azp`, `exp`, `nonce`)
 * once more, and what it leaves out (`iat` in the future or too old, `azp` with one audience, the tenant).
 * @throws JitSsoError `ERR_JIT_SSO_AUTHENTICATION_FAILED`, or `ERR_JIT_SSO_TENANT_NOT_ALLOWED` (403)
 * for a tenant outside `allowedTenants`.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export function checkIdToken(
  idToken: string,
  claims: Readonly<Record<string, unknown>>,
  o: Pick<ResolvedOidcOptions, 'clientId' | 'idTokenSigningAlgs' | 'acceptedClockSkewMs' | 'maxIdTokenAgeMs' | 'allowedTenants'>,
  idp: Pick<DiscoveredIdp, 'issuer' | 'issuerTemplate'>,
  expect: IdTokenExpectations,
): void {
  const alg = headerOf(idToken).alg;
  if (typeof alg !== 'string' || !(o.idTokenSigningAlgs as readonly string[]).includes(alg)) {
    throw oidcRefusal(`ID token alg "${String(alg)}" is not allowed`);
  }
  const now = expect.nowMs / 1000;
  const skew = o.acceptedClockSkewMs / 1000;
  if (typeof claims.iat !== 'number' || claims.iat > now + skew) throw oidcRefusal('ID token iat is in the future');
  if (claims.iat < now - skew - o.maxIdTokenAgeMs / 1000) throw oidcRefusal('ID token iat is older than maxIdTokenAgeMs');
  if (typeof claims.exp !== 'number' || claims.exp <= now - skew) throw oidcRefusal('ID token expired');
  if (claims.nonce !== expect.nonce) throw oidcRefusal('ID token nonce does not match the login');

  const aud = claims.aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(o.clientId)) throw oidcRefusal('ID token aud is not this client');
  // azp, when present, names the party the token was issued to: it must be this client even with one audience.
  if ((audiences.length > 1 || claims.azp !== undefined) && claims.azp !== o.clientId) throw oidcRefusal('ID token azp is not this client');

  const tid = typeof claims.tid === 'string' ? claims.tid : undefined;
  if (idp.issuerTemplate) {
    if (!tid || !TENANT_ID.test(tid)) throw oidcRefusal('ID token from a multi-tenant issuer carries no tenant id (tid)');
    if (claims.iss !== expectedIssuer(idp, tid)) throw oidcRefusal("ID token iss does not match its tenant's issuer");
  } else if (claims.iss !== idp.issuer) {
    throw oidcRefusal('ID token iss is not the configured issuer');
  }
  if (o.allowedTenants && !(tid && o.allowedTenants.has(tid.toLowerCase()))) {
    throw new JitSsoError('ERR_JIT_SSO_TENANT_NOT_ALLOWED', { details: { reason: `tenant "${tid ?? ''}" is not in allowedTenants` } });
  }
}

/** The protected header of a compact JWS, or `{}` when it cannot be read. */
export function headerOf(jws: string): Record<string, unknown> {
  try {
    const header: unknown = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null ? (header as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
