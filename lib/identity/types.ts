/** What one login says about a person, independent of the IdP and the protocol. */
export interface Identity {
  /** The provider id configured in jitSso (e.g. `'entra'`). */
  provider: string;
  /** SAML IdP entity id / OIDC `iss`. */
  issuer: string;
  /**
   * The IdP's stable id for the person: Entra object id, a persistent NameID, OIDC `sub`, a mapped
   * `user.id` (Okta SAML). Never the email.
   */
  subject: string;
  /**
   * The key the store links this identity on, unique within the provider: `subject`, qualified by
   * `tenant` where the IdP's ids live per tenant (Entra: `tid/oid`, as Microsoft advises).
   */
  key: string;
  /** The login name without its domain (`john.doe` from `john.doe@bizagi.com`). */
  username: string;
  /** The login's domain (`bizagi.com`, or `CONTOSO` from `CONTOSO\jdoe`). */
  domain?: string;
  email?: string;
  /** True only when the IdP says the email was verified (OIDC `email_verified: true`). */
  emailVerified?: boolean;
  displayName?: string;
  firstName?: string;
  lastName?: string;
  /** The organisation boundary: Entra `tid`, Google `hd`, Auth0 `org_id`. */
  tenant?: string;
  /** Group values; `undefined` when the claim was absent (not the same as `[]`). */
  groups: string[] | undefined;
  /** Role values; `undefined` when the claim was absent. */
  roles: string[] | undefined;
  /** Entra sent a link instead of the groups (over 150 in SAML, 200 in a JWT). */
  groupsOverage?: boolean;
  /** Custom fields mapped through `claimMap` (Creatio's "field name converters"). */
  fields: Record<string, string | string[]>;
  /** Every raw claim, sanitised, on a prototype-less object. */
  attributes: Record<string, string | string[]>;
}

/** The standard profile fields of an identity that a claim map can fill. */
export const IDENTITY_FIELDS = [
  'subject',
  'login',
  'email',
  'emailVerified',
  'displayName',
  'firstName',
  'lastName',
  'tenant',
  'groups',
  'roles',
] as const;

/** A standard field a claim map can fill. `login` is split into username and domain. */
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

/** Field → claim name(s), tried in order. Extra keys become custom fields in `Identity.fields`. */
export type ClaimMap = Record<string, string | readonly string[]>;
