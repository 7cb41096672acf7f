/**
 * The attribute names and NameID rules the test SAML IdP copies from real identity providers.
 *
 * Pure data: one table per preset, checked against the claim vectors in
 * `__tests__/fixtures/claims/{entra,adfs,okta}-saml.json` (see their README for the sources).
 * @module
 */

/**
 * The IdP shapes the test SAML IdP can imitate.
 * @example
 * const idp = await createTestSamlIdp({ users, preset: 'adfs-saml' });
 */
export const SAML_PRESETS = ['entra-saml', 'adfs-saml', 'okta-saml'] as const;

/** One of {@link SAML_PRESETS}. */
export type SamlPreset = (typeof SAML_PRESETS)[number];

/** The NameID formats the presets use. */
export const NAME_ID_FORMATS = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
} as const;

/** Which {@link TestUserField} a preset puts in the NameID. */
export type NameIdSource = 'id' | 'username';

/** The user fields a preset can emit as attributes. */
export const TEST_USER_FIELDS = [
  'id',
  'tenant',
  'username',
  'email',
  'firstName',
  'lastName',
  'displayName',
  'groups',
  'roles',
] as const;

/** One of {@link TEST_USER_FIELDS}. */
export type TestUserField = (typeof TEST_USER_FIELDS)[number];

/** How one preset names things. A field left out of `attributes` is not sent by that IdP. */
export interface SamlClaimNames {
  /** The NameID `Format`. */
  nameIdFormat: string;
  /** The user field that becomes the NameID value. */
  nameIdSource: NameIdSource;
  /** The `NameFormat` put on every `saml:Attribute`; absent when the IdP sends none. */
  attributeNameFormat?: string;
  /** The attribute `Name` for each user field this IdP sends. */
  attributes: Partial<Record<TestUserField, string>>;
  /** Where a `DOMAIN\user` login goes instead of `attributes.username` (it is not a UPN). */
  windowsAccountName?: string;
}

const XMLSOAP = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const MS_IDENTITY = 'http://schemas.microsoft.com/identity/claims';
const MS_WS_2008 = 'http://schemas.microsoft.com/ws/2008/06/identity/claims';

/**
 * The claim names of each preset.
 *
 * - `entra-saml`: the Entra ID portal defaults plus group and app-role claims. NameID is the UPN in
 *   `emailAddress` format; `…/claims/name` also carries the UPN (not a display name).
 * - `adfs-saml`: the "Send LDAP Attributes as Claims" template; NameID persistent = the user's id
 *   (objectGUID/ImmutableID style). Groups under `…/claims/Group`, roles under `…/claims/role`; a
 *   `DOMAIN\user` login is sent as `windowsaccountname` rather than `upn`.
 * - `okta-saml`: the App Integration Wizard's usual statements; NameID unspecified = the login.
 *   Okta has no role claim and no display name, so those fields are not sent.
 *
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/reference-saml-tokens
 * @see https://learn.microsoft.com/en-us/windows-server/identity/ad-fs/technical-reference/when-to-use-a-send-ldap-attributes-as-claims-rule
 * @see https://help.okta.com/en/prod/Content/Topics/Apps/attribute-statements-saml.htm
 * @example
 * SAML_CLAIM_NAMES['entra-saml'].attributes.id; // 'http://schemas.microsoft.com/identity/claims/objectidentifier'
 */
export const SAML_CLAIM_NAMES: Readonly<Record<SamlPreset, Readonly<SamlClaimNames>>> = {
  'entra-saml': {
    nameIdFormat: NAME_ID_FORMATS.emailAddress,
    nameIdSource: 'username',
    attributes: {
      id: `${MS_IDENTITY}/objectidentifier`,
      tenant: `${MS_IDENTITY}/tenantid`,
      displayName: `${MS_IDENTITY}/displayname`,
      firstName: `${XMLSOAP}/givenname`,
      lastName: `${XMLSOAP}/surname`,
      email: `${XMLSOAP}/emailaddress`,
      username: `${XMLSOAP}/name`,
      groups: `${MS_WS_2008}/groups`,
      roles: `${MS_WS_2008}/role`,
    },
  },
  'adfs-saml': {
    nameIdFormat: NAME_ID_FORMATS.persistent,
    nameIdSource: 'id',
    attributes: {
      username: `${XMLSOAP}/upn`,
      email: `${XMLSOAP}/emailaddress`,
      firstName: `${XMLSOAP}/givenname`,
      lastName: `${XMLSOAP}/surname`,
      displayName: `${XMLSOAP}/displayname`,
      roles: `${MS_WS_2008}/role`,
      groups: 'http://schemas.xmlsoap.org/claims/Group',
    },
    windowsAccountName: `${MS_WS_2008}/windowsaccountname`,
  },
  'okta-saml': {
    nameIdFormat: NAME_ID_FORMATS.unspecified,
    nameIdSource: 'username',
    attributeNameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    attributes: {
      email: 'email',
      firstName: 'firstName',
      lastName: 'lastName',
      id: 'oktaUserId',
      groups: 'groups',
    },
  },
};
