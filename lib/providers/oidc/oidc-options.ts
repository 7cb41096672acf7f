/**
 * `oidcProvider()` options: the documented input type, the schema with secure defaults, and the
 * checks that run at start-up.
 * @module
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { JitSsoError } from '../../errors.js';
import { PRESETS, type PresetName } from '../../identity/presets.js';
import type { ClaimMap, Identity } from '../../identity/types.js';
import { parseOptions } from '../../internal/options.js';
import type { ProvisioningOptions } from '../../provisioning/policy.js';

/** ID-token signing algorithms jit-sso accepts: asymmetric only (never `none` or `HS*`). */
export const ID_TOKEN_SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'Ed25519', 'EdDSA'] as const;
/** One of {@link ID_TOKEN_SIGNING_ALGS}. */
export type IdTokenSigningAlg = (typeof ID_TOKEN_SIGNING_ALGS)[number];

/** Algorithms `privateKey` can sign client assertions with (`private_key_jwt`). */
export const CLIENT_ASSERTION_ALGS = ['RS256', 'PS256', 'ES256'] as const;
export type ClientAssertionAlg = (typeof CLIENT_ASSERTION_ALGS)[number];

/** What `resolveGroups` is given besides the identity. */
export interface ResolveGroupsContext {
  /** The access token of this login, e.g. for Microsoft Graph. Never log it. */
  accessToken: string;
  /** The validated ID-token claims (with userinfo claims when `userinfo` is on). */
  claims: Readonly<Record<string, unknown>>;
}

/** Options of `oidcProvider()`. */
export interface OidcProviderOptions {
  /** The provider id: the URL segment (`/auth/{id}/login`) and the key stored with each identity. */
  id: string;
  /** The IdP's claim-name preset. @default 'generic-oidc' */
  preset?: PresetName;
  /**
   * The issuer URL (`https://login.microsoftonline.com/{tenant-id}/v2.0`) or its discovery document
   * URL (`…/.well-known/openid-configuration`). The discovered `issuer` must match it; for Entra's
   * multi-tenant `common` / `organizations` / `consumers` endpoints `allowedTenants` is required.
   */
  issuer: string;
  /** The client id registered at the IdP. */
  clientId: string;
  /** The client secret: sent as `client_secret_basic` when the IdP offers it (the discovery default), else `client_secret_post`. Give this or `privateKey`. */
  clientSecret?: string;
  /**
   * A PKCS#8 PEM private key for `private_key_jwt` client authentication, or the key with its `kid`
   * and algorithm. Give this or `clientSecret`.
   * @default alg: RS256 for RSA keys, ES256 for P-256 keys
   */
  privateKey?: string | { key: string; kid?: string; alg?: ClientAssertionAlg };
  /** The absolute redirect URI, ending in `/{id}/callback`; registered at the IdP. https unless on localhost. */
  callbackUrl: string;
  /** The scopes to ask for; must include `openid`. @default 'openid profile email' */
  scope?: string;
  /**
   * Tenants (Entra `tid`) whose people may sign in. Required for Entra's multi-tenant endpoints;
   * checked against the token's `tid` whenever given. A token from another tenant is refused with
   * `ERR_JIT_SSO_TENANT_NOT_ALLOWED`.
   */
  allowedTenants?: string[];
  /** Accepted ID-token signing algorithms; `none` and `HS*` are refused. @default ['RS256', 'PS256', 'ES256'] */
  idTokenSigningAlgs?: IdTokenSigningAlg[];
  /** Also read the userinfo endpoint; its claims fill in what the ID token lacks. @default false */
  userinfo?: boolean;
  /**
   * Called when the IdP sent a group overage (Entra: over 200 groups) instead of the groups: return
   * the group ids (e.g. from Microsoft Graph with `accessToken`), or `undefined` to treat them as
   * absent (`missingClaim`). A throw fails the login with `ERR_JIT_SSO_IDP_UNAVAILABLE` (503) and
   * changes nothing. With Entra the access token is for Graph when `scope` names no API of yours; the
   * app registration needs `GroupMember.Read.All` (delegated) for the call below.
   * @example
   * resolveGroups: async (identity, { accessToken }) => {
   *   const res = await fetch('https://graph.microsoft.com/v1.0/me/transitiveMemberOf/microsoft.graph.group?$select=id', { headers: { authorization: `Bearer ${accessToken}` } });
   *   if (!res.ok) throw new Error(`Graph answered ${res.status}`);
   *   return ((await res.json()) as { value: Array<{ id: string }> }).value.map((g) => g.id); // follow @odata.nextLink for more than 100
   * }
   */
  resolveGroups?: (identity: Identity, context: ResolveGroupsContext) => Promise<string[] | undefined> | string[] | undefined;
  /** Clock skew tolerated on `exp` and `iat`. @default 30000 */
  acceptedClockSkewMs?: number;
  /**
   * How old an ID token may be (from its `iat`) when the callback receives it. An IdP issues the ID
   * token at the code exchange, seconds before; an older one is a token kept and played again.
   * @default 300000
   */
  maxIdTokenAgeMs?: number;
  /** How long a login may take between the redirect to the IdP and the callback. @default 600000 */
  loginTimeoutMs?: number;
  /**
   * WARNING: lets jit-sso talk plain http, for a test IdP on this machine only: `http://` URLs are
   * still refused unless their host is `localhost`, `127.0.0.1` or `[::1]`. Never in production.
   * @default false
   */
  allowInsecureRequests?: boolean;
  /**
   * WARNING: replaces `fetch` for every request to the IdP (discovery, keys, token, userinfo); what
   * it returns is trusted like the IdP itself. For proxies and tests.
   * @default globalThis.fetch
   */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Claim → field overrides on top of the preset. */
  claimMap?: ClaimMap;
  /** Provisioning policy for this provider, over `jitSso`'s `provisioning`. */
  provisioning?: ProvisioningOptions;
}

const OIDC_PRESETS = PRESETS.filter((p) => p.endsWith('-oidc')) as [PresetName, ...PresetName[]];
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const ENTRA_HOSTS = new Set(['login.microsoftonline.com']);
const ENTRA_MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/** True when `url` points at this machine. */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** True for Entra's `common` / `organizations` / `consumers` endpoints, whose tokens come from any tenant. */
export function isEntraMultiTenant(issuer: URL): boolean {
  return ENTRA_HOSTS.has(issuer.hostname) && ENTRA_MULTI_TENANT.has(issuer.pathname.split('/')[1]?.toLowerCase() ?? '');
}

const httpUrl = z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
const pem = z.string().includes('PRIVATE KEY', { message: 'must be a PKCS#8 PEM private key' });

const schema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _ only'),
    preset: z.enum(OIDC_PRESETS).default('generic-oidc'),
    issuer: httpUrl,
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    privateKey: z.union([pem, z.object({ key: pem, kid: z.string().min(1).optional(), alg: z.enum(CLIENT_ASSERTION_ALGS).optional() }).strict()]).optional(),
    callbackUrl: httpUrl,
    scope: z.string().default('openid profile email'),
    allowedTenants: z.array(z.string().min(1)).min(1, 'give at least one tenant id').optional(),
    idTokenSigningAlgs: z.array(z.enum(ID_TOKEN_SIGNING_ALGS, { message: 'only asymmetric algorithms (never none or HS*)' })).min(1).default(['RS256', 'PS256', 'ES256']),
    userinfo: z.boolean().default(false),
    resolveGroups: fn.optional(),
    acceptedClockSkewMs: z.number().int().min(0).max(300_000).default(30_000),
    maxIdTokenAgeMs: z.number().int().min(10_000).max(86_400_000).default(300_000),
    loginTimeoutMs: z.number().int().min(10_000).max(3_600_000).default(600_000),
    allowInsecureRequests: z.boolean().default(false),
    fetch: fn.optional(),
    claimMap: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    provisioning: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const callback = new URL(o.callbackUrl);
    if (!callback.pathname.endsWith(`/${o.id}/callback`)) issue('callbackUrl', `must end with /${o.id}/callback, the route jitSso serves`);
    if (callback.protocol === 'http:' && !isLoopback(callback)) issue('callbackUrl', 'must be https (http only on localhost)');
    const issuer = new URL(o.issuer);
    if (issuer.protocol === 'http:' && !(isLoopback(issuer) && o.allowInsecureRequests)) {
      issue(isLoopback(issuer) ? 'allowInsecureRequests' : 'issuer', isLoopback(issuer) ? 'must be true for an http:// issuer on localhost' : 'must be https');
    }
    if (issuer.search || issuer.hash) issue('issuer', 'must not carry a query or fragment');
    if (!o.scope.split(' ').includes('openid')) issue('scope', 'must include openid');
    if ((o.clientSecret === undefined) === (o.privateKey === undefined)) issue('clientSecret', 'give either clientSecret or privateKey');
    if (isEntraMultiTenant(issuer) && !o.allowedTenants) {
      issue('allowedTenants', "is required for Entra's multi-tenant endpoints (common, organizations, consumers): list the tenant ids that may sign in");
    }
  });

type Parsed = z.output<typeof schema>;

/** Options with defaults applied. */
export interface ResolvedOidcOptions extends Omit<Parsed, 'privateKey' | 'allowedTenants' | 'resolveGroups' | 'fetch' | 'provisioning'> {
  /** The issuer URL (a discovery URL given as `issuer` is turned back into its issuer). */
  issuerUrl: URL;
  /** Entra `common` / `organizations` / `consumers`: `iss` follows the token's `tid`. */
  multiTenant: boolean;
  /** Lower-cased allowed tenants, when given. */
  allowedTenants?: ReadonlySet<string>;
  privateKey?: { key: KeyObject; kid?: string; alg: ClientAssertionAlg };
  resolveGroups?: OidcProviderOptions['resolveGroups'];
  fetch?: OidcProviderOptions['fetch'];
  provisioning?: ProvisioningOptions;
}

/** Validates `oidcProvider()` options at start-up, naming the option path on error. */
export function resolveOidcOptions(input: OidcProviderOptions, path = 'oidcProvider'): ResolvedOidcOptions {
  const o = parseOptions(schema, input, path);
  const issuerUrl = new URL(o.issuer.endsWith(DISCOVERY_SUFFIX) ? o.issuer.slice(0, -DISCOVERY_SUFFIX.length) : o.issuer);
  const { privateKey, allowedTenants, resolveGroups, fetch, provisioning, ...rest } = o;
  return {
    ...rest,
    issuerUrl,
    multiTenant: isEntraMultiTenant(issuerUrl),
    ...(allowedTenants ? { allowedTenants: new Set(allowedTenants.map((t) => t.toLowerCase())) } : {}),
    ...(privateKey ? { privateKey: clientKey(privateKey, `${path}.privateKey`) } : {}),
    ...(resolveGroups ? { resolveGroups: resolveGroups as OidcProviderOptions['resolveGroups'] } : {}),
    ...(fetch ? { fetch: fetch as OidcProviderOptions['fetch'] } : {}),
    ...(provisioning ? { provisioning: provisioning as ProvisioningOptions } : {}),
  };
}

function clientKey(input: NonNullable<Parsed['privateKey']>, path: string): NonNullable<ResolvedOidcOptions['privateKey']> {
  const { key: pemText, kid, alg } = typeof input === 'string' ? { key: input, kid: undefined, alg: undefined } : input;
  let key: KeyObject;
  try {
    key = createPrivateKey(pemText);
  } catch (cause) {
    return invalidKey(path, 'is not a readable PEM private key', cause);
  }
  const type = key.asymmetricKeyType;
  const fallback: ClientAssertionAlg | undefined = type === 'rsa' ? 'RS256' : type === 'rsa-pss' ? 'PS256' : type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'ES256' : undefined;
  const chosen = alg ?? fallback;
  const fits = chosen === 'ES256' ? type === 'ec' && fallback === 'ES256' : type === 'rsa' || type === 'rsa-pss';
  if (!chosen || !fits) return invalidKey(path, 'must be an RSA or P-256 key matching its alg');
  return { key, alg: chosen, ...(kid ? { kid } : {}) };
}

/** The same shape of error as `parseOptions` gives; the key itself is never echoed. */
function invalidKey(path: string, message: string, cause?: unknown): never {
  throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
    message: `Invalid jit-sso option ${path}: ${message}`,
    details: { path, issues: [`${path}: ${message}`] },
    ...(cause === undefined ? {} : { cause }),
  });
}
