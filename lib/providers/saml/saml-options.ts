/**
 * `samlProvider()` options: the documented input type, the schema with secure defaults, and the
 * checks that run at start-up.
 * @module
 */
import { z } from 'zod';
import type { SsoCache } from '../../cache/sso-cache.js';
import { PRESETS, type PresetName } from '../../identity/presets.js';
import type { ClaimMap } from '../../identity/types.js';
import { parseOptions } from '../../internal/options.js';
import type { ProvisioningOptions } from '../../provisioning/policy.js';

/** Options of `samlProvider()`. */
export interface SamlProviderOptions {
  /** The provider id: the URL segment (`/auth/{id}/login`) and the key stored with each identity. */
  id: string;
  /** The IdP's claim-name preset. @default 'generic-saml' */
  preset?: PresetName;
  /** The IdP's single sign-on URL (HTTP-Redirect binding). */
  entryPoint: string;
  /** The IdP's entity id; the Assertion's (and Response's) `Issuer` must equal it. */
  idpIssuer: string;
  /** The IdP's signing certificate(s), PEM; several during a certificate rollover. */
  idpCert: string | string[];
  /** This app's SP entity id; also the required `Audience`. */
  spEntityId: string;
  /** The absolute ACS URL, ending in `/{id}/callback`; `Destination` and `Recipient` must equal it. */
  callbackUrl: string;
  /** PEM key to sign AuthnRequests and LogoutRequests (with `publicCert` for the metadata). */
  privateKey?: string;
  /** PEM certificate for `privateKey`, published in the SP metadata. */
  publicCert?: string;
  /** PEM key to decrypt encrypted assertions. Needs `wantAuthnResponseSigned` (the default): the Response signature is checked before anything is decrypted. */
  decryptionKey?: string;
  /** PEM certificate for `decryptionKey`, published in the SP metadata. */
  decryptionCert?: string;
  /**
   * WARNING: also decrypts assertions encrypted with AES-CBC or 3DES (AD FS encrypts with
   * AES-256-CBC), which carry no integrity of their own; AES-GCM is always accepted. Needs
   * `wantAuthnResponseSigned` (the default): the Response signature, verified before anything is
   * decrypted, is then what keeps an altered ciphertext (a padding-oracle probe) from being decrypted.
   * Key transport is RSA-OAEP (`rsa-oaep-mgf1p`) in every case.
   * @default false
   */
  allowLegacyEncryption?: boolean;
  /** The IdP's single logout URL; enables SAML logout. */
  logoutUrl?: string;
  /** The absolute URL of this app's logout endpoint (`/{id}/logout/callback`). @default derived from callbackUrl */
  logoutCallbackUrl?: string;
  /**
   * Also accepts IdP-initiated (unsolicited) responses: those without `InResponseTo`.
   *
   * WARNING: such a response cannot be tied to a login this app started, nor to a browser. Anyone
   * holding a signed unsolicited response for their own account can auto-post it from another
   * person's browser and sign that person in as themselves (login CSRF), replacing their session.
   * Its `RelayState` is taken as a path (same-origin only, else `landingPath`). A response that has
   * an `InResponseTo` is still accepted only from the browser that started that login.
   * @default false
   */
  allowUnsolicited?: boolean;
  /** WARNING: `false` accepts responses whose outer Response is unsigned (Entra's default "sign assertion" only). @default true */
  wantAuthnResponseSigned?: boolean;
  /** Clock skew tolerated on time conditions. @default 30000 */
  acceptedClockSkewMs?: number;
  /** How old an assertion may be, even without `NotOnOrAfter`. @default 300000 */
  maxAssertionAgeMs?: number;
  /**
   * How old a LogoutRequest from the IdP may be (its `IssueInstant`, plus `acceptedClockSkewMs`);
   * its ID is kept in `replayCache` that long, so it is accepted once.
   * @default 300000
   */
  maxLogoutRequestAgeMs?: number;
  /** How long a login may take between the AuthnRequest and the response (and how long its browser binding lives). @default 600000 */
  requestIdExpirationPeriodMs?: number;
  /** Largest accepted message, in bytes (posted body; inflated redirect message; redirect-binding query). @default 524288 */
  maxMessageBytes?: number;
  /** NameID format to ask for; `null` asks for none. @default null */
  identifierFormat?: string | null;
  /** Where AuthnRequest ids and their browser bindings wait for the response; shared (`redisCache`) across instances. @default memoryCache() */
  requestCache?: SsoCache;
  /** Where accepted assertion ids are kept until they expire. @default memoryCache() */
  replayCache?: SsoCache;
  /** Claim → field overrides on top of the preset. */
  claimMap?: ClaimMap;
  /** Provisioning policy for this provider, over `jitSso`'s `provisioning`. */
  provisioning?: ProvisioningOptions;
}

const SAML_PRESETS = PRESETS.filter((p) => p.endsWith('-saml')) as [PresetName, ...PresetName[]];
const pem = z.string().min(1);
const absoluteUrl = z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL');
const cache = z.custom<SsoCache>(
  (v) => typeof v === 'object' && v !== null && ['add', 'get', 'take'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  'must be a cache with add(), get() and take()',
);

const schema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _ only'),
    preset: z.enum(SAML_PRESETS).default('generic-saml'),
    entryPoint: absoluteUrl,
    idpIssuer: z.string().min(1),
    idpCert: z.union([pem, z.array(pem).min(1)]),
    spEntityId: z.string().min(1),
    callbackUrl: absoluteUrl,
    privateKey: pem.optional(),
    publicCert: pem.optional(),
    decryptionKey: pem.optional(),
    decryptionCert: pem.optional(),
    allowLegacyEncryption: z.boolean().default(false),
    logoutUrl: absoluteUrl.optional(),
    logoutCallbackUrl: absoluteUrl.optional(),
    allowUnsolicited: z.boolean().default(false),
    wantAuthnResponseSigned: z.boolean().default(true),
    acceptedClockSkewMs: z.number().int().min(0).max(600_000).default(30_000),
    maxAssertionAgeMs: z.number().int().min(1_000).default(300_000),
    maxLogoutRequestAgeMs: z.number().int().min(1_000).max(86_400_000).default(300_000),
    requestIdExpirationPeriodMs: z.number().int().min(1_000).default(600_000),
    maxMessageBytes: z.number().int().min(4_096).max(16 * 1024 * 1024).default(512 * 1024),
    identifierFormat: z.string().nullable().default(null),
    requestCache: cache.optional(),
    replayCache: cache.optional(),
    claimMap: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    provisioning: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (!new URL(o.callbackUrl).pathname.endsWith(`/${o.id}/callback`)) {
      ctx.addIssue({ code: 'custom', path: ['callbackUrl'], message: `must end with /${o.id}/callback, the route jitSso serves` });
    }
    if (o.decryptionKey && !o.wantAuthnResponseSigned) {
      // node-saml decrypts an EncryptedAssertion and parses what comes out before it checks the
      // assertion's signature; anyone can encrypt to the SP's public certificate, and the XML guard
      // cannot see inside the ciphertext. A signed Response is verified before anything is decrypted.
      ctx.addIssue({ code: 'custom', path: ['decryptionKey'], message: 'needs wantAuthnResponseSigned: in an unsigned Response, an encrypted assertion would be decrypted and parsed before any signature is checked (set the IdP to sign the Response too)' });
    }
    if (o.allowLegacyEncryption && !o.wantAuthnResponseSigned) {
      ctx.addIssue({ code: 'custom', path: ['allowLegacyEncryption'], message: 'needs wantAuthnResponseSigned: an unsigned Response lets an altered CBC ciphertext be decrypted (padding oracle)' });
    }
  });

/** Options with defaults applied. */
export type ResolvedSamlOptions = z.output<typeof schema> & { logoutCallbackUrl: string };

/** Validates `samlProvider()` options at start-up, naming the option path on error. */
export function resolveSamlOptions(input: SamlProviderOptions, path = 'samlProvider'): ResolvedSamlOptions {
  const o = parseOptions(schema, input, path);
  const logoutCallbackUrl = o.logoutCallbackUrl ?? o.callbackUrl.replace(/\/callback$/, '/logout/callback');
  return { ...o, logoutCallbackUrl };
}
