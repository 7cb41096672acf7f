// The people of the example: who is in the local IdPs, and what the app already has.
export const TENANT = '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f';

/** Roles that exist in the app. `Invoice.Approver` does not: the IdP sends it, the app skips it. */
export const APP_ROLES = ['Admin', 'Employee', 'Accountant', 'Reader'];

/** Users of the local SAML IdP (Entra ID claim names). */
export const SAML_USERS = [
  { id: 'oid-erin', username: 'erin.existing@contoso.com', email: 'erin.existing@contoso.com', displayName: 'Erin Existing', firstName: 'Erin', lastName: 'Existing', groups: ['Staff'], tenant: TENANT },
  { id: 'oid-alice', username: 'alice.new@contoso.com', email: 'alice.new@contoso.com', displayName: 'Alice New', firstName: 'Alice', lastName: 'New', groups: ['Staff'], tenant: TENANT },
  { id: 'oid-gary', username: 'gary.group@contoso.com', email: 'gary.group@contoso.com', displayName: 'Gary Group', firstName: 'Gary', lastName: 'Group', groups: ['Staff', 'Finance-Users'], tenant: TENANT },
  { id: 'oid-rita', username: 'rita.role@contoso.com', email: 'rita.role@contoso.com', displayName: 'Rita Role', firstName: 'Rita', lastName: 'Role', groups: ['Staff'], roles: ['Invoice.Approver'], tenant: TENANT },
  { id: 'oid-pat', username: 'pat.partner@partner.example', email: 'pat.partner@partner.example', displayName: 'Pat Partner', firstName: 'Pat', lastName: 'Partner', groups: ['Partners'], tenant: TENANT },
  { id: 'oid-bob', username: 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com', email: 'bob@fabrikam.com', displayName: 'Bob Guest', firstName: 'Bob', lastName: 'Guest', groups: ['Staff'], tenant: TENANT },
];

/** Users of the local OpenID provider. */
export const OIDC_USERS = [
  { id: 'olivia', username: 'olivia.oidc@contoso.com', email: 'olivia.oidc@contoso.com', emailVerified: true, displayName: 'Olivia Oidc', firstName: 'Olivia', lastName: 'Oidc', groups: ['Staff', 'Finance-Users'] },
  { id: 'oscar', username: 'oscar.oidc@contoso.com', email: 'oscar.oidc@contoso.com', emailVerified: true, displayName: 'Oscar Oidc', firstName: 'Oscar', lastName: 'Oidc', groups: ['Staff'] },
];

/** The provisioning policy both IdPs share; `sync` is switched from the admin page. */
export function provisioning(sync) {
  return {
    createUsers: true,
    sync,
    defaultRoles: ['Reader'],
    roleMap: { Staff: 'Employee', 'Finance-Users': 'Accountant' },
    // Other role names the IdP sends are given as-is when the app has them, except Admin: only through roleMap.
    protectedRoles: ['Admin'],
    // People from partner organisations wait for an administrator.
    newUserStatus: (identity) => (identity.domain === 'partner.example' ? 'pending' : 'active'),
    userType: (identity) => (identity.domain === 'contoso.com' ? 'employee' : 'portal'),
    linkExisting: 'username',
  };
}

/** Erin has an account in the app from before single sign-on, with the Admin role: her first SSO login links to it. */
export async function seedStore(store) {
  for (const role of APP_ROLES) await store.createRole(role);
  if ((await store.countUsers()) > 0) return;
  const erin = await store.createUser({
    profile: { username: 'erin.existing', domain: 'contoso.com', email: 'erin.existing@contoso.com', displayName: 'Erin Existing', fields: {} },
    status: 'active',
    userType: 'employee',
    identity: { provider: 'local-password', subject: 'erin' },
    roles: [],
    at: new Date(),
  });
  await store.grantRole(erin.id, 'Admin');
}
