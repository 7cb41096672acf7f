import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explain, parseClaimsFile } from '../../lib/cli/explain.js';
import { formatExplanation } from '../../lib/cli/format.js';
import { JitSsoError } from '../../lib/errors.js';
import { jitProvision } from '../../lib/provisioning/jit-provision.js';
import { silentLogger } from '../../lib/internal/logger.js';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import { testIdp } from '../helpers/saml-app.js';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/claims');
const vector = (name: string) => JSON.parse(readFileSync(resolve(fixtures, name), 'utf8')).claims;

describe('jit-sso explain', () => {
  it('shows the identity and a create plan for an unknown user, listing skipped roles, and writes nothing', async () => {
    const store = new MemoryUserStore({ roles: ['Invoice.Reader'] });
    const e = await explain({ preset: 'entra-saml', claims: vector('entra-saml.json'), policy: { createUsers: true }, store });
    expect(e.identity).toMatchObject({ username: 'alice.johnson', domain: 'contoso.com', tenant: '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f' });
    expect(e.plan).toMatchObject({ action: 'create', subType: 'auto-provisioned-user' });
    expect(e.plan.changes.rolesSkipped).toEqual(['Invoice.Approver', '0b2e6a1c-9d4f-4e3a-8b7c-1d2e3f4a5b6c', '7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f']);
    const text = formatExplanation(e);
    expect(text).toContain('Plan: CREATE the user');
    expect(text).toContain('Invoice.Reader (idp)');
    expect(text).toContain('Invoice.Approver — not a role in the app');
    expect(text).toContain('Nothing was written.');
    expect(await store.listUsers()).toEqual([]);
    expect(await store.listAuditEvents()).toEqual([]);
  });

  it('shows each field before and after for a known user in every-login mode', async () => {
    const store = new MemoryUserStore({ roles: ['Invoice.Reader', 'Invoice.Approver'] });
    const claims = vector('entra-saml.json');
    await jitProvision({ store, provider: 'entra', preset: 'entra-saml', provisioning: { createUsers: true }, logger: silentLogger }).provisionClaims({ ...claims, 'http://schemas.microsoft.com/identity/claims/displayname': 'Alice J.' });
    const e = await explain({ preset: 'entra-saml', claims, policy: { sync: 'every-login' }, store, provider: 'entra' });
    expect(e.plan).toMatchObject({ action: 'update', subType: 'existing-user' });
    const text = formatExplanation(e);
    expect(text).toContain('displayName: Alice J. → Alice Johnson');
  });

  it('explains a refusal with its code and reason', async () => {
    const e = await explain({ preset: 'okta-oidc', claims: vector('okta-oidc.json'), policy: { createUsers: true, allow: { domains: ['contoso.com'] } } });
    expect(e.plan).toMatchObject({ action: 'deny', code: 'ERR_JIT_SSO_DOMAIN_NOT_ALLOWED' });
    expect(formatExplanation(e)).toContain('REFUSE the login — ERR_JIT_SSO_DOMAIN_NOT_ALLOWED');
  });

  it('reads a base64 SAMLResponse, without trusting it', async () => {
    const idp = await testIdp();
    const response = idp.createResponse({ user: 'oid-alice', acsUrl: 'https://app.test/acs', audience: 'urn:app' });
    const claims = parseClaimsFile(response.base64);
    const e = await explain({ preset: 'entra-saml', claims, policy: { createUsers: true }, roles: ['Invoice.Reader'] });
    expect(e.identity.username).toBe('alice.johnson');
    expect(e.plan.action).toBe('create');
  });

  it('refuses a claims file that is neither JSON, XML nor base64 with a one-line message', () => {
    expect(() => parseClaimsFile('not: a claims file!')).toThrow(JitSsoError);
    expect(() => parseClaimsFile('{"broken": ')).toThrow(/not valid JSON/);
  });

  it('refuses an unknown preset and a wrong policy option, naming it', async () => {
    await expect(explain({ preset: 'nope' as never, claims: {} })).rejects.toThrow(/unknown preset/);
    await expect(explain({ preset: 'okta-oidc', claims: vector('okta-oidc.json'), policy: { sync: 'daily' } as never })).rejects.toThrow(/policy\.sync/);
  });
});
