import { describe, it, expect } from '@jest/globals';
import { JitSsoError } from '../../lib/errors.js';
import { toIdentity, type ToIdentityOptions } from '../../lib/identity/index.js';

const XML = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';
const MS = 'http://schemas.microsoft.com/identity/claims/';
const MS_WS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/';
const TID = '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f';
const OID = '5e1b7c3a-2f4d-4a6e-9b8c-0d1e2f3a4b5c';

function map(raw: unknown, preset: ToIdentityOptions['preset'], extra: Partial<ToIdentityOptions> = {}) {
  return toIdentity(raw, { preset, provider: 'idp', ...extra });
}

function codeOf(action: () => unknown): { code?: string; details?: Record<string, unknown> } {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(JitSsoError);
    return { code: (error as JitSsoError).code, details: (error as JitSsoError).details };
  }
  throw new Error('expected a JitSsoError');
}

const samlBase = { issuer: 'https://idp.example.com', nameID: 'jdoe@example.com', nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' };
const oidcBase = { iss: 'https://op.example.com', sub: 'sub-123' };
/** AD FS keys only on a persistent NameID (or a stable claim): these tests are about other fields. */
const adfsBase = { ...samlBase, nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' };

describe('subject and key', () => {
  it('keys Entra SAML users on tenant id and object id, not on the UPN NameID', () => {
    const identity = map({ ...samlBase, [`${MS}tenantid`]: TID, [`${MS}objectidentifier`]: OID }, 'entra-saml');
    expect(identity.subject).toBe(OID);
    expect(identity.key).toBe(`${TID}/${OID}`);
  });

  it('keys Entra OIDC users on tid/oid, ignoring the pairwise sub', () => {
    const identity = map({ ...oidcBase, oid: OID, tid: TID }, 'entra-oidc');
    expect(identity.subject).toBe(OID);
    expect(identity.key).toBe(`${TID}/${OID}`);
  });

  it('falls back to sub for Entra OIDC when the token has no oid', () => {
    expect(map({ ...oidcBase, tid: TID }, 'entra-oidc').key).toBe(`${TID}/sub-123`);
  });

  it('uses the bare subject as key when a tenant-scoped preset sees no tenant', () => {
    expect(map({ ...oidcBase, oid: OID }, 'entra-oidc').key).toBe(OID);
  });

  it('keys non-tenant presets on the subject alone even when a tenant is present', () => {
    const identity = map({ ...oidcBase, hd: 'globex.example' }, 'google-oidc');
    expect(identity.tenant).toBe('globex.example');
    expect(identity.key).toBe('sub-123');
  });

  it('prefers a mapped Okta user id over the Okta username NameID', () => {
    expect(map({ ...samlBase, oktaUserId: '00u1' }, 'okta-saml').subject).toBe('00u1');
    expect(map({ ...samlBase, 'user.id': '00u2' }, 'okta-saml').subject).toBe('00u2');
    expect(map(samlBase, 'okta-saml').subject).toBe('jdoe@example.com');
  });

  it('refuses a SAML login without NameID rather than keying on the email attribute', () => {
    const raw = { issuer: 'x', [`${XML}emailaddress`]: 'jdoe@example.com' };
    expect(codeOf(() => map(raw, 'adfs-saml')).code).toBe('ERR_JIT_SSO_MISSING_SUBJECT');
  });

  it('refuses an OIDC token without sub', () => {
    expect(codeOf(() => map({ iss: 'x', email: 'a@b.c' }, 'okta-oidc')).code).toBe('ERR_JIT_SSO_MISSING_SUBJECT');
  });

  it('never keys on a transient NameID, which changes at every login', () => {
    const raw = { ...samlBase, nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' };
    expect(codeOf(() => map(raw, 'generic-saml')).code).toBe('ERR_JIT_SSO_MISSING_SUBJECT');
  });

  it('does not fall back to NameID when a claim map names the subject claim and it is missing', () => {
    const claimMap = { subject: 'employeeId' };
    expect(codeOf(() => map(samlBase, 'generic-saml', { claimMap })).code).toBe('ERR_JIT_SSO_MISSING_SUBJECT');
    expect(map(samlBase, 'generic-saml', { claimMap: { subject: ['employeeId', 'nameID'] } }).subject).toBe(
      'jdoe@example.com',
    );
  });

  it('turns a numeric subject into a string', () => {
    expect(map({ iss: 'x', sub: 42 }, 'generic-oidc').subject).toBe('42');
  });
});

describe('login', () => {
  it('prefers the SAML upn claim over the NameID', () => {
    const identity = map({ ...adfsBase, nameID: 'LhyaP017j06hssPU5fYHGA==', [`${XML}upn`]: 'l.moreau@contoso.com' }, 'adfs-saml');
    expect([identity.username, identity.domain]).toEqual(['l.moreau', 'contoso.com']);
  });

  it('reads the Windows account name as DOMAIN\\user', () => {
    const identity = map({ ...adfsBase, nameID: 'opaque', [`${MS_WS}windowsaccountname`]: 'CONTOSO\\jdoe' }, 'adfs-saml');
    expect([identity.username, identity.domain]).toEqual(['jdoe', 'CONTOSO']);
  });

  it('uses Entra SAML …/claims/name (the UPN) as login when the NameID is opaque', () => {
    const raw = { ...samlBase, nameID: 'pairwise-id', [`${XML}name`]: 'alice@contoso.com' };
    expect(map(raw, 'entra-saml').username).toBe('alice');
  });

  it('prefers OIDC upn, then preferred_username, then unique_name', () => {
    expect(map({ ...oidcBase, upn: 'a@x.com', preferred_username: 'b@y.com' }, 'entra-oidc').username).toBe('a');
    expect(map({ ...oidcBase, preferred_username: 'b@y.com', unique_name: 'c@z.com' }, 'entra-oidc').username).toBe('b');
    expect(map({ ...oidcBase, unique_name: 'CONTOSO\\cdoe' }, 'adfs-oidc').domain).toBe('CONTOSO');
  });

  it('decodes an Entra guest UPN into the home-tenant username and domain', () => {
    const identity = map({ ...oidcBase, tid: TID, upn: 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com' }, 'entra-oidc');
    expect([identity.username, identity.domain, identity.email]).toEqual(['bob', 'fabrikam.com', 'bob@fabrikam.com']);
  });

  it('leaves username empty when the token carries no login claim at all', () => {
    const identity = map(oidcBase, 'adfs-oidc');
    expect(identity.username).toBe('');
    expect(identity.domain).toBeUndefined();
  });
});

describe('email', () => {
  it('takes the explicit OIDC email claim over the login', () => {
    expect(map({ ...oidcBase, upn: 'upn@contoso.com', email: 'mail@contoso.com' }, 'entra-oidc').email).toBe('mail@contoso.com');
  });

  it('finds a SAML attribute whose name ends in email, whatever its case', () => {
    expect(map({ ...samlBase, nameID: 'opaque', IDPEmail: 'a@contoso.com' }, 'generic-saml').email).toBe('a@contoso.com');
    expect(map({ ...samlBase, nameID: 'opaque', 'User.EmailAddress': 'b@contoso.com' }, 'generic-saml').email).toBe('b@contoso.com');
  });

  it('prefers an *email attribute over mail, and mail over the LDAP mail OID', () => {
    const both = { ...samlBase, nameID: 'opaque', mail: 'mail@x.com', Email: 'email@x.com' };
    expect(map(both, 'ping-saml').email).toBe('email@x.com');
    const ldap = { ...samlBase, nameID: 'opaque', mail: 'mail@x.com', 'urn:oid:0.9.2342.19200300.100.1.3': 'oid@x.com' };
    expect(map(ldap, 'ping-saml').email).toBe('mail@x.com');
    const oidOnly = { ...samlBase, nameID: 'opaque', 'urn:oid:0.9.2342.19200300.100.1.3': 'oid@x.com' };
    expect(map(oidOnly, 'ping-saml').email).toBe('oid@x.com');
  });

  it('falls back to the login when it is an address', () => {
    expect(map({ ...oidcBase, preferred_username: 'carol@contoso.com' }, 'entra-oidc').email).toBe('carol@contoso.com');
  });

  it('never takes a DOMAIN\\user value as email', () => {
    expect(map({ ...oidcBase, unique_name: 'CONTOSO\\jdoe' }, 'adfs-oidc').email).toBeUndefined();
    expect(map({ ...adfsBase, nameID: 'CONTOSO\\jdoe', email: 'CONTOSO\\jdoe' }, 'adfs-saml').email).toBeUndefined();
  });

  it('skips an email claim that holds no address', () => {
    expect(map({ ...oidcBase, email: 'not-an-address', upn: 'jdoe@contoso.com' }, 'entra-oidc').email).toBe('jdoe@contoso.com');
  });

  it('marks an OIDC email verified only when email_verified is the boolean true (not the string "true")', () => {
    expect(map({ ...oidcBase, email: 'a@x.com', email_verified: true }, 'google-oidc').emailVerified).toBe(true);
    expect(map({ ...oidcBase, email: 'a@x.com', email_verified: 'true' }, 'google-oidc').emailVerified).toBe(false);
    expect(map({ ...oidcBase, email: 'a@x.com', email_verified: false }, 'google-oidc').emailVerified).toBe(false);
    expect(map({ ...oidcBase, email: 'a@x.com' }, 'entra-oidc').emailVerified).toBe(false);
  });

  it('does not carry email_verified over to an address taken from the login', () => {
    const raw = { ...oidcBase, preferred_username: 'a@x.com', email_verified: true };
    expect(map(raw, 'okta-oidc').emailVerified).toBe(false);
  });

  it('never marks a SAML email verified, even when an attribute claims so', () => {
    const raw = { ...samlBase, email: 'jdoe@example.com', email_verified: 'true' };
    expect(map(raw, 'generic-saml').emailVerified).toBe(false);
  });
});

describe('names', () => {
  it('never reads the Entra SAML …/claims/name (the UPN) as display name', () => {
    expect(map({ ...samlBase, [`${XML}name`]: 'alice@contoso.com' }, 'entra-saml').displayName).toBeUndefined();
  });

  it('lets a claim map read …/claims/name as display name for AD FS farms that put it there', () => {
    const raw = { ...adfsBase, [`${XML}name`]: 'Léa Moreau' };
    expect(map(raw, 'adfs-saml', { claimMap: { displayName: `${XML}name` } }).displayName).toBe('Léa Moreau');
  });

  it('reads LDAP-style givenName and sn', () => {
    const identity = map({ ...samlBase, givenName: 'Jan', sn: 'de Vries' }, 'ping-saml');
    expect([identity.firstName, identity.lastName]).toEqual(['Jan', 'de Vries']);
  });

  it('trims the trailing newlines and tabs node-saml leaves on values', () => {
    const identity = map({ ...samlBase, firstName: 'Ann\n\t\t', lastName: '\n  Lee\t' }, 'generic-saml');
    expect([identity.firstName, identity.lastName]).toEqual(['Ann', 'Lee']);
  });

  it('treats an empty string as absent and moves on to the next claim', () => {
    const raw = { ...oidcBase, upn: '  ', preferred_username: 'p@x.com', name: '' };
    const identity = map(raw, 'entra-oidc');
    expect(identity.username).toBe('p');
    expect(identity.displayName).toBeUndefined();
  });

  it('takes the first value of a multi-valued attribute for a single-valued field', () => {
    expect(map({ ...samlBase, displayName: ['First', 'Second'] }, 'generic-saml').displayName).toBe('First');
  });
});

describe('groups and roles', () => {
  it('reports an absent groups claim as undefined, not as an empty list', () => {
    const identity = map(oidcBase, 'okta-oidc');
    expect(identity.groups).toBeUndefined();
    expect(identity.roles).toBeUndefined();
  });

  it('reports a groups claim that is present but empty as []', () => {
    expect(map({ ...oidcBase, groups: [] }, 'okta-oidc').groups).toEqual([]);
    expect(map({ ...samlBase, groups: null }, 'okta-saml').groups).toEqual([]);
  });

  it('turns a single SAML value (a string) into a one-element list', () => {
    expect(map({ ...samlBase, [`${MS_WS}groups`]: 'abc' }, 'entra-saml').groups).toEqual(['abc']);
  });

  it('reads AD FS JWT short names group and role', () => {
    const identity = map({ ...oidcBase, group: 'Domain Users', role: ['Finance'] }, 'adfs-oidc');
    expect([identity.groups, identity.roles]).toEqual([['Domain Users'], ['Finance']]);
  });

  it('combines Keycloak realm roles with the roles of the azp client only', () => {
    const raw = {
      ...oidcBase,
      azp: 'orders-web',
      realm_access: { roles: ['offline_access', 'orders-admin'] },
      resource_access: { 'orders-web': { roles: ['approver'] }, account: { roles: ['manage-account'] } },
    };
    expect(map(raw, 'keycloak-oidc').roles).toEqual(['offline_access', 'orders-admin', 'approver']);
  });

  it('reads Keycloak realm roles alone when the azp client has none', () => {
    const raw = { ...oidcBase, azp: 'other', realm_access: { roles: ['r'] }, resource_access: {} };
    expect(map(raw, 'keycloak-oidc').roles).toEqual(['r']);
  });

  it('reports no Keycloak roles as undefined (a default ID token has none)', () => {
    expect(map({ ...oidcBase, azp: 'orders-web' }, 'keycloak-oidc').roles).toBeUndefined();
  });

  it('reads Auth0 roles and groups from namespaced claims', () => {
    const raw = { ...oidcBase, 'https://app.example.com/roles': ['admin'], 'https://app.example.com/groups': 'staff' };
    const identity = map(raw, 'auth0-oidc');
    expect([identity.roles, identity.groups]).toEqual([['admin'], ['staff']]);
  });

  it('keeps role values literally, duplicates and case included', () => {
    expect(map({ ...oidcBase, roles: ['Admin', 'admin', 'Admin'] }, 'generic-oidc').roles).toEqual(['Admin', 'admin', 'Admin']);
  });
});

describe('group overage', () => {
  it('flags the Entra SAML groups.link and leaves groups unknown', () => {
    const raw = {
      ...samlBase,
      'http://schemas.microsoft.com/claims/groups.link': 'https://graph.windows.net/t/users/u/getMemberObjects',
      [`${MS_WS}role`]: 'Invoice.Reader',
    };
    const identity = map(raw, 'entra-saml');
    expect(identity.groupsOverage).toBe(true);
    expect(identity.groups).toBeUndefined();
    expect(identity.roles).toEqual(['Invoice.Reader']);
  });

  it('flags the JWT _claim_names.groups distributed claim', () => {
    const raw = { ...oidcBase, _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph' } } };
    const identity = map(raw, 'entra-oidc');
    expect([identity.groupsOverage, identity.groups]).toEqual([true, undefined]);
  });

  it('flags the implicit-flow hasgroups: true', () => {
    expect(map({ ...oidcBase, hasgroups: true }, 'entra-oidc').groupsOverage).toBe(true);
  });

  it('lets the overage win over a groups claim sent alongside it', () => {
    expect(map({ ...oidcBase, hasgroups: true, groups: ['a'] }, 'entra-oidc').groups).toBeUndefined();
  });

  it('reports no overage for an ordinary token', () => {
    expect(map({ ...oidcBase, groups: ['a'], hasgroups: false }, 'entra-oidc').groupsOverage).toBe(false);
  });
});

describe('claim map', () => {
  it('overrides one field and leaves the others to the preset', () => {
    const raw = { ...samlBase, mail: 'm@x.com', email: 'e@x.com', firstName: 'Ann' };
    const identity = map(raw, 'okta-saml', { claimMap: { email: 'mail' } });
    expect([identity.email, identity.firstName]).toEqual(['m@x.com', 'Ann']);
  });

  it('tries the claims of an override in order', () => {
    const identity = map({ ...oidcBase, mail2: 'b@x.com' }, 'generic-oidc', { claimMap: { email: ['mail1', 'mail2'] } });
    expect(identity.email).toBe('b@x.com');
  });

  it('maps custom fields, keeping lists as lists and leaving missing ones out', () => {
    const raw = { ...samlBase, 'http://example.com/department': 'Finance', costcenter: '4711', projects: ['a', 'b'] };
    const claimMap = {
      department: 'http://example.com/department',
      costCenter: ['cc', 'costcenter'],
      projects: 'projects',
      manager: 'manager',
    };
    const { fields } = map(raw, 'generic-saml', { claimMap });
    expect({ ...fields }).toEqual({ department: 'Finance', costCenter: '4711', projects: ['a', 'b'] });
  });

  it('refuses a claim map entry that is not a claim name', () => {
    const result = codeOf(() => map(samlBase, 'generic-saml', { claimMap: { email: 42 } as never }));
    expect(result).toEqual({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path: 'claimMap.email' } });
  });

  it('refuses mapping username directly (login fills username and domain)', () => {
    expect(codeOf(() => map(samlBase, 'generic-saml', { claimMap: { username: 'uid' } })).details).toEqual({
      path: 'claimMap.username',
    });
  });

  it('refuses an unknown preset', () => {
    expect(codeOf(() => map(samlBase, 'entra' as never)).code).toBe('ERR_JIT_SSO_INVALID_OPTIONS');
  });
});

describe('issuer and attributes', () => {
  it('takes the issuer from the option, else issuer (SAML) or iss (OIDC)', () => {
    expect(map(samlBase, 'generic-saml').issuer).toBe('https://idp.example.com');
    expect(map(oidcBase, 'generic-oidc').issuer).toBe('https://op.example.com');
    expect(map(oidcBase, 'generic-oidc', { issuer: 'https://configured' }).issuer).toBe('https://configured');
  });

  it('copies a node-saml profile into attributes without its functions or its nested attributes copy', () => {
    const profile = {
      ...samlBase,
      sessionIndex: '_abc',
      getAssertionXml: () => '<Assertion/>',
      attributes: { email: 'jdoe@example.com' },
      email: 'jdoe@example.com',
    };
    const { attributes } = map(profile, 'generic-saml');
    expect(Object.getPrototypeOf(attributes)).toBeNull();
    expect(Object.keys(attributes).sort()).toEqual(['email', 'issuer', 'nameID', 'nameIDFormat', 'sessionIndex']);
  });

  it('stores numbers and booleans as strings and skips nested objects', () => {
    const raw = { ...oidcBase, iat: 1717070400, email_verified: true, realm_access: { roles: ['r'] } };
    const { attributes } = map(raw, 'keycloak-oidc');
    expect([attributes.iat, attributes.email_verified, attributes.realm_access]).toEqual(['1717070400', 'true', undefined]);
  });
});
