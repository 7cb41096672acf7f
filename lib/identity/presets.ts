/**
 * Per-IdP claim presets: which claims, in which order, fill each field of an `Identity`.
 *
 * A preset is data, not code. Every field of an `Identity` lists {@link ClaimRef}s tried in order; `toIdentity` takes
 * the first one that yields a usable value. Two fallbacks are not in the lists because they hold for
 * every preset of a protocol: the subject falls back to {@link SUBJECT_FALLBACK} (NameID / `sub`), and
 * the email falls back to the login when it is an address.
 * @see shared/vectors/claims/README.md (the claim-vector notes) for the claim names per IdP
 * @module
 */
import { JitSsoError } from '../errors.js';
import type { IdentityField } from './types.js';

/** The protocols a preset can be for. */
export const PROTOCOLS = ['saml', 'oidc'] as const;
/** `saml` (a node-saml profile) or `oidc` (decoded ID-token or access-token claims). */
export type Protocol = (typeof PROTOCOLS)[number];

/**
 * Every preset name.
 * @example
 * jitSso({ providers: [{ id: 'entra', preset: 'entra-saml', … }] });
 */
export const PRESETS = [
  'entra-saml',
  'entra-oidc',
  'adfs-saml',
  'adfs-oidc',
  'okta-saml',
  'okta-oidc',
  'google-saml',
  'google-oidc',
  'keycloak-oidc',
  'ping-saml',
  'auth0-oidc',
  'generic-saml',
  'generic-oidc',
] as const;
/** A name in {@link PRESETS}. */
export type PresetName = (typeof PRESETS)[number];

/** One step into a nested claim: a literal key, or the value of another (string) claim. */
export type ClaimPathStep = string | { readonly claimValue: string };

/**
 * Where a field's value may come from:
 * - `'name'`: the claim with exactly that name;
 * - `{ claim, ifContains }`: that claim, only if its value contains one of the strings;
 * - `{ nameEndsWith }`: the first claim (in the order received) whose name ends with one of the
 *   suffixes, compared case-insensitively;
 * - `{ nested }`: lists read from nested objects, **concatenated** (Keycloak's realm and client roles).
 */
export type ClaimRef =
  | string
  | { readonly claim: string; readonly ifContains: readonly string[] }
  | { readonly nameEndsWith: readonly string[] }
  | { readonly nested: readonly (readonly ClaimPathStep[])[] };

/** The claim references of a preset, one ordered list per standard field. */
export type PresetClaims = { readonly [F in IdentityField]: readonly ClaimRef[] };

/** What a preset says about an IdP. */
export interface PresetDefinition {
  readonly protocol: Protocol;
  /** The IdP's ids are unique per tenant only, so `Identity.key` is `tenant/subject` (Entra). */
  readonly tenantScoped: boolean;
  readonly claims: PresetClaims;
  /**
   * SAML: the NameID formats that are a stable key for this IdP. When set, the NameID keys the user
   * only in one of these formats (and then before the subject claims); in any other format the
   * subject claims must supply the key, or the login is refused (`ERR_JIT_SSO_MISSING_SUBJECT`)
   * unless `claimMap.subject` names the NameID. Unset: any NameID but a transient one is the fallback.
   */
  readonly nameIdFormats?: readonly string[];
}

/** The claim the subject falls back to when none of the preset's subject claims is present. */
export const SUBJECT_FALLBACK: Readonly<Record<Protocol, string>> = { saml: 'nameID', oidc: 'sub' };

/** A NameID in this format changes at every login, so it is never a fallback subject. */
export const TRANSIENT_NAME_ID_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

/** A NameID in this format is an opaque id that the IdP keeps for the person (an AD FS ImmutableID). */
export const PERSISTENT_NAME_ID_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

/** Entra's signs that the groups were left out of the token (the "overage"), for every preset. */
export const GROUPS_OVERAGE_CLAIMS = {
  /** SAML, above 150 groups: a Graph link replaces the groups attribute. */
  samlLink: 'http://schemas.microsoft.com/claims/groups.link',
  /** JWT, above 200 groups: `_claim_names.groups` points into `_claim_sources`. */
  claimNames: '_claim_names',
  /** Implicit flow: `hasgroups: true` instead of the groups. */
  hasGroups: 'hasgroups',
} as const;

const XML_CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';
const MS_CLAIMS = 'http://schemas.microsoft.com/identity/claims/';
const MS_WS_CLAIMS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/';

/** Entra SAML's `…/claims/name` holds the UPN: a login source, never a display name. */
const ENTRA_NAME = `${XML_CLAIMS}name`;
const MAIL_OID = 'urn:oid:0.9.2342.19200300.100.1.3';

// One order for both protocols: the rule lists do not depend on the protocol, only the IdP's names do.
const GROUPS: readonly ClaimRef[] = [
  'groups',
  `${MS_WS_CLAIMS}groups`,
  'http://schemas.xmlsoap.org/claims/Group',
  'group',
  'memberOf',
  { nameEndsWith: ['/groups'] },
];
const ROLES: readonly ClaimRef[] = ['roles', 'role', `${MS_WS_CLAIMS}role`, { nameEndsWith: ['/roles'] }];

const SAML_CLAIMS: PresetClaims = {
  subject: [],
  login: [
    `${XML_CLAIMS}upn`,
    `${MS_WS_CLAIMS}windowsaccountname`,
    { claim: 'nameID', ifContains: ['@', '\\'] },
    { claim: ENTRA_NAME, ifContains: ['@'] },
    'nameID',
  ],
  email: [`${XML_CLAIMS}emailaddress`, 'email', { nameEndsWith: ['email', 'emailaddress'] }, 'mail', MAIL_OID],
  // SAML carries no verification flag that jit-sso trusts.
  emailVerified: [],
  displayName: [`${MS_CLAIMS}displayname`, `${XML_CLAIMS}displayname`, 'displayName'],
  firstName: [`${XML_CLAIMS}givenname`, 'firstName', 'givenName', 'given_name'],
  lastName: [`${XML_CLAIMS}surname`, 'lastName', 'sn', 'family_name'],
  tenant: [],
  groups: GROUPS,
  roles: ROLES,
};

const OIDC_CLAIMS: PresetClaims = {
  subject: [],
  login: ['upn', 'preferred_username', 'unique_name', 'email'],
  email: ['email'],
  emailVerified: ['email_verified'],
  displayName: ['name'],
  firstName: ['given_name', 'firstName', 'givenName'],
  lastName: ['family_name', 'lastName', 'sn'],
  tenant: [],
  groups: GROUPS,
  roles: ROLES,
};

function saml(claims: Partial<PresetClaims> = {}, tenantScoped = false, nameIdFormats?: readonly string[]): PresetDefinition {
  return { protocol: 'saml', tenantScoped, claims: { ...SAML_CLAIMS, ...claims }, ...(nameIdFormats ? { nameIdFormats } : {}) };
}

function oidc(claims: Partial<PresetClaims> = {}, tenantScoped = false): PresetDefinition {
  return { protocol: 'oidc', tenantScoped, claims: { ...OIDC_CLAIMS, ...claims } };
}

/**
 * The definition of every preset.
 *
 * Subjects: Entra keys on the immutable object id (`tid/oid`), never on the pairwise `sub` or the UPN;
 * Okta SAML on a mapped `user.id` attribute when the admin added one; PingFederate on an `objectGUID`
 * attribute; AD FS on a persistent NameID (the objectGUID "ImmutableID"), else an `objectGUID`,
 * `primarysid` or `privatepersonalidentifier` claim — never on a kerberos (`DOMAIN\user`), email or
 * unspecified NameID, which change on a rename and are given again to the next holder of the name,
 * unless `claimMap.subject` says so; everything else on the NameID or `sub`.
 * @example
 * PRESET_DEFINITIONS['entra-oidc'].claims.subject; // ['oid']
 */
export const PRESET_DEFINITIONS: Readonly<Record<PresetName, PresetDefinition>> = {
  'entra-saml': saml(
    { subject: [`${MS_CLAIMS}objectidentifier`], tenant: [`${MS_CLAIMS}tenantid`] },
    true,
  ),
  'entra-oidc': oidc({ subject: ['oid'], tenant: ['tid'] }, true),
  'adfs-saml': saml(
    { subject: ['objectGUID', `${MS_WS_CLAIMS}primarysid`, `${XML_CLAIMS}privatepersonalidentifier`] },
    false,
    [PERSISTENT_NAME_ID_FORMAT],
  ),
  'adfs-oidc': oidc(),
  'okta-saml': saml({ subject: ['oktaUserId', 'userId', 'user.id'] }),
  'okta-oidc': oidc(),
  'google-saml': saml(),
  'google-oidc': oidc({ tenant: ['hd'] }),
  'keycloak-oidc': oidc({
    roles: [
      { nested: [['realm_access', 'roles'], ['resource_access', { claimValue: 'azp' }, 'roles']] },
      ...ROLES,
    ],
  }),
  'ping-saml': saml({ subject: ['objectGUID'] }),
  'auth0-oidc': oidc({ tenant: ['org_id'] }),
  'generic-saml': saml({ tenant: [`${MS_CLAIMS}tenantid`] }),
  'generic-oidc': oidc({ tenant: ['tid', 'hd', 'org_id'] }),
};

/**
 * True when `name` is one of {@link PRESETS}.
 * @example
 * isPresetName('okta-saml'); // true
 */
export function isPresetName(name: unknown): name is PresetName {
  return typeof name === 'string' && (PRESETS as readonly string[]).includes(name);
}

/**
 * The definition of preset `name`.
 * @throws JitSsoError `ERR_JIT_SSO_INVALID_OPTIONS` (`details.path: 'preset'`) for an unknown name.
 * @example
 * getPreset('keycloak-oidc').protocol; // 'oidc'
 */
export function getPreset(name: unknown): PresetDefinition {
  if (!isPresetName(name)) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      details: { path: 'preset', allowed: [...PRESETS] },
    });
  }
  return PRESET_DEFINITIONS[name];
}
