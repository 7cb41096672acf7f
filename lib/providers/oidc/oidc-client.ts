/**
 * openid-client, loaded lazily (it is ESM-only: `require('jit-sso')` must not load it), and the
 * discovered configuration of one provider: client authentication, pinned ID-token algorithms,
 * clock tolerance, signature checks on token-endpoint ID tokens, and the http guard.
 * @module
 */
import type * as OpenIdClient from 'openid-client';
import { isJitSsoError, JitSsoError } from '../../errors.js';
import { isLoopback, type ResolvedOidcOptions } from './oidc-options.js';

/** The openid-client module. */
export type OpenIdClientModule = typeof OpenIdClient;

let loading: Promise<OpenIdClientModule> | undefined;

/** Imports openid-client on first use. */
export function loadOpenIdClient(): Promise<OpenIdClientModule> {
  return (loading ??= import('openid-client'));
}

/** What discovery gives a provider: the client library, its configuration and the IdP's issuer. */
export interface DiscoveredIdp {
  client: OpenIdClientModule;
  config: OpenIdClient.Configuration;
  /** The discovered `issuer`; may hold Entra's `{tenantid}` template. */
  issuer: string;
  /** The issuer is a template: each token's `iss` follows its `tid` (Entra multi-tenant). */
  issuerTemplate: boolean;
}

const TENANT_TEMPLATE = '{tenantid}';

/**
 * Fetches the IdP's discovery document and builds the openid-client configuration.
 * @throws JitSsoError `ERR_JIT_SSO_IDP_UNAVAILABLE` when the IdP cannot be reached,
 * `ERR_JIT_SSO_INVALID_OPTIONS` when its metadata does not fit the options (issuer mismatch,
 * a tenant template without `allowedTenants`).
 */
export async function discoverIdp(o: ResolvedOidcOptions): Promise<DiscoveredIdp> {
  const client = await loadOpenIdClient();
  const metadata: Partial<OpenIdClient.ClientMetadata> = {
    // A list is honoured at run time (every listed alg is accepted); the typing only names one.
    id_token_signed_response_alg: (o.idTokenSigningAlgs.length === 1 ? o.idTokenSigningAlgs[0] : o.idTokenSigningAlgs) as unknown as string,
    [client.clockTolerance]: Math.ceil(o.acceptedClockSkewMs / 1000),
  };
  const execute = [client.enableNonRepudiationChecks, ...(o.allowInsecureRequests ? [client.allowInsecureRequests] : [])];
  const fetcher = idpFetch(o);
  let config: OpenIdClient.Configuration;
  try {
    config = await client.discovery(o.issuerUrl, o.clientId, metadata, await clientAuth(client, o), {
      algorithm: 'oidc',
      execute,
      ...(fetcher ? { [client.customFetch]: fetcher } : {}),
    });
  } catch (err) {
    const own = jitSsoCause(err);
    if (own) throw own;
    if (isUnreachable(err)) throw new JitSsoError('ERR_JIT_SSO_IDP_UNAVAILABLE', { cause: err, details: { reason: `discovery failed: ${messageOf(err)}` } });
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { cause: err, details: { path: 'issuer', reason: `discovery refused: ${messageOf(err)}` } });
  }
  const issuer = config.serverMetadata().issuer;
  const issuerTemplate = issuer.includes(TENANT_TEMPLATE);
  if (issuerTemplate && !o.allowedTenants) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: 'Invalid jit-sso option allowedTenants: the IdP is multi-tenant ({tenantid} issuer); list the tenant ids that may sign in',
      details: { path: 'allowedTenants', reason: 'multi-tenant issuer without allowedTenants' },
    });
  }
  return { client, config, issuer, issuerTemplate };
}

/** The `iss` a token from tenant `tid` must carry. */
export function expectedIssuer(idp: Pick<DiscoveredIdp, 'issuer' | 'issuerTemplate'>, tid: string): string {
  return idp.issuerTemplate ? idp.issuer.replace(TENANT_TEMPLATE, tid) : idp.issuer;
}

/**
 * `client_secret_basic` when the IdP offers it (the discovery default), else `client_secret_post`;
 * or `private_key_jwt` with the configured key.
 */
async function clientAuth(client: OpenIdClientModule, o: ResolvedOidcOptions): Promise<OpenIdClient.ClientAuth> {
  if (o.privateKey) {
    const { key, kid, alg } = o.privateKey;
    const params = alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: alg === 'PS256' ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const der = key.export({ type: 'pkcs8', format: 'der' });
    const cryptoKey = await globalThis.crypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
    return client.PrivateKeyJwt({ key: cryptoKey, ...(kid ? { kid } : {}) });
  }
  const secret = o.clientSecret!;
  const basic = client.ClientSecretBasic(secret);
  const post = client.ClientSecretPost(secret);
  return (as, c, body, headers) => {
    const offered = as.token_endpoint_auth_methods_supported;
    const useBasic = !offered || offered.includes('client_secret_basic') || !offered.includes('client_secret_post');
    (useBasic ? basic : post)(as, c, body, headers);
  };
}

/** The fetch openid-client uses: the configured one, and with insecure requests on, http only to this machine. */
function idpFetch(o: ResolvedOidcOptions): OpenIdClient.CustomFetch | undefined {
  const base = o.fetch;
  if (!o.allowInsecureRequests) return base ? (url, init) => base(url, init as RequestInit) : undefined;
  return (url, init) => {
    const target = new URL(url);
    if (target.protocol === 'http:' && !isLoopback(target)) {
      const reason = `http request to ${target.host} refused: with allowInsecureRequests only localhost may use http`;
      return Promise.reject(new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path: 'allowInsecureRequests', reason } }));
    }
    return (base ?? globalThis.fetch)(url, init as RequestInit);
  };
}

/** A network failure or time-out, or a 5xx from the IdP: the IdP is unavailable, not lying. */
export function isUnreachable(err: unknown, depth = 0): boolean {
  // Duck-typed: errors from fetch may come from another realm (vm contexts, test runners).
  if (!isErrorLike(err) || depth > 3) return false;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return true;
  if (err.name === 'TypeError' && /fetch failed/i.test(err.message)) return true;
  const { cause } = err;
  if (isResponseLike(cause)) return cause.status >= 500;
  return cause !== err && isUnreachable(cause, depth + 1);
}

/** An error as a short reason: message plus an OAuth `error` code when there is one (no tokens). */
export function messageOf(err: unknown): string {
  if (!isErrorLike(err)) return String(err);
  const code = (err as { error?: unknown }).error;
  // openid-client wraps the precise failure ('unexpected JWT "iss" (issuer) claim value') in a generic one.
  const detail = isErrorLike(err.cause) && err.cause.message && err.cause.message !== err.message ? `: ${err.cause.message}` : '';
  return `${err.message}${detail}${typeof code === 'string' ? ` (${code})` : ''}`;
}

/** A JitSsoError thrown inside openid-client (by the fetch guard), unwrapped from its causes. */
export function jitSsoCause(err: unknown): JitSsoError | undefined {
  for (let e: unknown = err, depth = 0; isErrorLike(e) && depth < 4; e = e.cause, depth++) {
    if (isJitSsoError(e)) return e;
  }
  return undefined;
}

function isErrorLike(value: unknown): value is { name: string; message: string; cause?: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as Error).name === 'string' && typeof (value as Error).message === 'string';
}

function isResponseLike(value: unknown): value is { status: number } {
  return typeof value === 'object' && value !== null && typeof (value as Response).status === 'number' && typeof (value as Response).headers === 'object';
}
