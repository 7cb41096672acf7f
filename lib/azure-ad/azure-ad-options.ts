/**
 * `azureAdProvider()` options: the documented input type, the schema with secure defaults, and the
 * checks that run at start-up (before passport-azure-ad is ever loaded).
 * @module
 */
import { z } from 'zod';
import type { ClaimMap } from '../identity/types.js';
import { parseOptions } from '../internal/options.js';
import type { ProvisioningOptions } from '../provisioning/policy.js';

/** How the authorization response comes back: in the callback's query string, or posted as a form. */
export const AZURE_AD_RESPONSE_MODES = ['query', 'form_post'] as const;
/** One of {@link AZURE_AD_RESPONSE_MODES}. */
export type AzureAdResponseMode = (typeof AZURE_AD_RESPONSE_MODES)[number];

/** Options of `azureAdProvider()`. Names follow passport-azure-ad's `OIDCStrategy` where they mean the same. */
export interface AzureAdProviderOptions {
  /** The provider id: the URL segment (`/auth/{id}/login`) and the key stored with each identity. */
  id: string;
  /**
   * The https URL of the OpenID configuration document, e.g.
   * `https://login.microsoftonline.com/<tenant-id>/v2.0/.well-known/openid-configuration`. For the
   * multi-tenant `common` / `organizations` / `consumers` documents `allowedTenants` is required.
   */
  identityMetadata: string;
  /** The application (client) id registered in Entra ID. */
  clientID: string;
  /** The client secret; the code is redeemed with it (`client_secret_post`). */
  clientSecret: string;
  /** The absolute redirect URI registered in Entra ID, ending in `/{id}/callback`. https unless `allowHttpForRedirectUrl`. */
  redirectUrl: string;
  /**
   * Tenants (Entra `tid`, a GUID) whose people may sign in. Required for the multi-tenant metadata;
   * checked against the ID token's `tid` whenever given. A token from another tenant is refused with
   * `ERR_JIT_SSO_TENANT_NOT_ALLOWED` (403).
   */
  allowedTenants?: string[];
  /**
   * WARNING: `false` stops passport-azure-ad comparing the token's `iss` with the expected issuers;
   * jit-sso then still requires `allowedTenants` and checks that `iss` names the token's own tenant.
   * @default true
   */
  validateIssuer?: boolean;
  /**
   * WARNING: replaces the `iss` values jit-sso derives; every listed issuer is trusted. For when the
   * default does not fit (sovereign clouds, v1.0 tokens on v2.0 multi-tenant metadata).
   * @default the metadata's issuer; for multi-tenant metadata each allowed tenant's issuer:
   * `https://login.microsoftonline.com/<tid>/v2.0` for v2.0 metadata, `https://sts.windows.net/<tid>/` for v1.0
   */
  issuer?: string | string[];
  /**
   * `'query'` works with the usual `SameSite=Lax` session cookie. `'form_post'` keeps the code out of
   * URLs and logs, but Entra's cross-site POST carries the session cookie only when it is
   * `SameSite=None; Secure`; without it every login fails with a state mismatch.
   * @default 'query'
   */
  responseMode?: AzureAdResponseMode;
  /** The scopes to ask for (`openid` is always added). @default 'openid profile email' */
  scope?: string;
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, rounded up to whole seconds. @default 30000 */
  acceptedClockSkewMs?: number;
  /**
   * How old an ID token may be (from its `iat`) when the callback receives it; Entra issues it at the
   * code exchange, seconds before. @default 300000
   */
  maxIdTokenAgeMs?: number;
  /** How long a login may take between the redirect to Entra and the callback. @default 600000 */
  loginTimeoutMs?: number;
  /**
   * WARNING: accepts an `http://` `redirectUrl`, for tests and development on this machine only
   * (`localhost`, `127.0.0.1`, `[::1]`). Never in production.
   * @default false
   */
  allowHttpForRedirectUrl?: boolean;
  /** Claim → field overrides on top of the `entra-oidc` preset. */
  claimMap?: ClaimMap;
  /** Provisioning policy for this provider, over `jitSso`'s `provisioning`. */
  provisioning?: ProvisioningOptions;
}

/** passport-azure-ad options jit-sso sets itself, and what to do instead. */
const SET_BY_JIT_SSO: Record<string, string> = {
  responseType: "jit-sso always uses the authorization code flow ('code'); remove it",
  passReqToCallback: 'jit-sso provides the verify callback; remove it',
  useCookieInsteadOfSession: 'jit-sso keeps the login state in the express-session session; remove it',
  cookieEncryptionKeys: 'jit-sso keeps the login state in the express-session session; remove it',
  isB2C: 'Azure AD B2C is not supported by jit-sso/azure-ad',
  loggingNoPII: 'jit-sso never lets passport-azure-ad log personal data; remove it',
  loggingLevel: "jit-sso logs through its own logger; remove it",
  nonceLifetime: 'use loginTimeoutMs',
  nonceMaxAmount: 'jit-sso keeps at most 5 logins in progress per session; remove it',
  clockSkew: 'use acceptedClockSkewMs (milliseconds)',
  thumbprint: 'jit-sso/azure-ad redeems the code with clientSecret; for certificates use oidcProvider({ privateKey })',
  privatePEMKey: 'jit-sso/azure-ad redeems the code with clientSecret; for certificates use oidcProvider({ privateKey })',
};

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations', 'consumers']);
const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';
/** Entra tenant ids are GUIDs. */
export const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const absoluteUrl = z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL');

const schema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _ only'),
    identityMetadata: absoluteUrl,
    clientID: z.string().min(1),
    clientSecret: z.string().min(1),
    redirectUrl: absoluteUrl,
    allowedTenants: z.array(z.string().regex(TENANT_ID, 'must be a tenant id (a GUID), not a domain name')).min(1, 'give at least one tenant id').optional(),
    validateIssuer: z.boolean().default(true),
    issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    responseMode: z.enum(AZURE_AD_RESPONSE_MODES).default('query'),
    scope: z.string().default('openid profile email'),
    acceptedClockSkewMs: z.number().int().min(0).max(300_000).default(30_000),
    maxIdTokenAgeMs: z.number().int().min(10_000).max(86_400_000).default(300_000),
    loginTimeoutMs: z.number().int().min(10_000).max(3_600_000).default(600_000),
    allowHttpForRedirectUrl: z.boolean().default(false),
    claimMap: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    provisioning: z.record(z.string(), z.unknown()).optional(),
    ...Object.fromEntries(Object.entries(SET_BY_JIT_SSO).map(([key, message]) => [key, z.undefined({ message }).optional()])),
  })
  .strict()
  .superRefine((o, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const metadata = new URL(o.identityMetadata);
    if (metadata.protocol !== 'https:') issue('identityMetadata', 'must be https (passport-azure-ad fetches it only over https)');
    if (!metadata.pathname.endsWith(DISCOVERY_SUFFIX)) issue('identityMetadata', `must be the OpenID configuration document (ending in ${DISCOVERY_SUFFIX})`);
    if (metadata.search || metadata.hash) issue('identityMetadata', 'must not carry a query or fragment');
    const redirect = new URL(o.redirectUrl);
    if (!redirect.pathname.endsWith(`/${o.id}/callback`)) issue('redirectUrl', `must end with /${o.id}/callback, the route jitSso serves`);
    if (redirect.protocol === 'http:') {
      if (!o.allowHttpForRedirectUrl) issue('redirectUrl', 'must be https (or set allowHttpForRedirectUrl for localhost)');
      else if (!LOOPBACK_HOSTS.has(redirect.hostname)) issue('allowHttpForRedirectUrl', 'allows http only for localhost, 127.0.0.1 and [::1]');
    }
    if (redirect.search || redirect.hash) issue('redirectUrl', 'must not carry a query or fragment');
    if (!o.scope.split(' ').includes('openid')) issue('scope', 'must include openid');
    if (isMultiTenantMetadata(metadata) && !o.allowedTenants) {
      issue('allowedTenants', 'is required for the multi-tenant metadata (common, organizations, consumers): list the tenant ids that may sign in');
    } else if (!o.validateIssuer && !o.allowedTenants) {
      issue('allowedTenants', 'is required when validateIssuer is false');
    }
  });

/** Options with defaults applied. */
export interface ResolvedAzureAdOptions {
  id: string;
  identityMetadata: string;
  clientID: string;
  clientSecret: string;
  redirectUrl: string;
  /** Lower-cased allowed tenants, when given. */
  allowedTenants?: ReadonlySet<string>;
  validateIssuer: boolean;
  /** Issuers handed to passport-azure-ad besides the metadata's own; empty when it needs none. */
  issuers: string[];
  /** `common` / `organizations` / `consumers` metadata: tokens come from any tenant. */
  multiTenant: boolean;
  responseMode: AzureAdResponseMode;
  scope: string;
  acceptedClockSkewMs: number;
  maxIdTokenAgeMs: number;
  loginTimeoutMs: number;
  allowHttpForRedirectUrl: boolean;
  claimMap?: ClaimMap;
  provisioning?: ProvisioningOptions;
}

/** True for Entra's `common` / `organizations` / `consumers` metadata, whose tokens come from any tenant. */
export function isMultiTenantMetadata(metadata: URL): boolean {
  return MULTI_TENANT_SEGMENTS.has(metadata.pathname.split('/')[1]?.toLowerCase() ?? '');
}

/** Each allowed tenant's issuer on multi-tenant metadata (v2.0: same host; v1.0: sts.windows.net). */
function tenantIssuers(metadata: URL, tenants: readonly string[]): string[] {
  const v2 = metadata.pathname.includes('/v2.0/');
  return tenants.map((tid) => (v2 ? `${metadata.origin}/${tid}/v2.0` : `https://sts.windows.net/${tid}/`));
}

/** Validates `azureAdProvider()` options at start-up, naming the option path on error. */
export function resolveAzureAdOptions(input: AzureAdProviderOptions, path = 'azureAdProvider'): ResolvedAzureAdOptions {
  const o = parseOptions(schema, input, path);
  const metadata = new URL(o.identityMetadata);
  const multiTenant = isMultiTenantMetadata(metadata);
  const tenants = o.allowedTenants?.map((t) => t.toLowerCase());
  const given = o.issuer === undefined ? undefined : Array.isArray(o.issuer) ? o.issuer : [o.issuer];
  return {
    id: o.id,
    identityMetadata: o.identityMetadata,
    clientID: o.clientID,
    clientSecret: o.clientSecret,
    redirectUrl: o.redirectUrl,
    ...(tenants ? { allowedTenants: new Set(tenants) } : {}),
    validateIssuer: o.validateIssuer,
    issuers: given ?? (multiTenant && tenants ? tenantIssuers(metadata, tenants) : []),
    multiTenant,
    responseMode: o.responseMode,
    scope: o.scope,
    acceptedClockSkewMs: o.acceptedClockSkewMs,
    maxIdTokenAgeMs: o.maxIdTokenAgeMs,
    loginTimeoutMs: o.loginTimeoutMs,
    allowHttpForRedirectUrl: o.allowHttpForRedirectUrl,
    ...(o.claimMap ? { claimMap: o.claimMap } : {}),
    ...(o.provisioning ? { provisioning: o.provisioning as ProvisioningOptions } : {}),
  };
}
