import type { Identity } from '../../lib/identity/types.js';

/** A normalised identity as toIdentity would give it, with overrides. */
export function identity(overrides: Partial<Identity> = {}): Identity {
  const subject = overrides.subject ?? 'oid-alice';
  return {
    provider: 'entra',
    issuer: 'https://sts.windows.net/tenant-1/',
    subject,
    key: overrides.key ?? `tenant-1/${subject}`,
    username: 'alice.johnson',
    domain: 'contoso.com',
    email: 'alice.johnson@contoso.com',
    displayName: 'Alice Johnson',
    firstName: 'Alice',
    lastName: 'Johnson',
    tenant: 'tenant-1',
    groups: ['Sales'],
    roles: ['Invoice.Reader'],
    fields: Object.create(null),
    attributes: Object.create(null),
    ...overrides,
  };
}
