/**
 * AD FS farms that send the Windows login name as a `kerberos` NameID (`NORTHWIND\tkowalski`): keyed
 * on it, a rename made a second account and the next holder of the name inherited the first. The
 * `adfs-saml` preset keys on a persistent NameID or a stable claim (objectGUID, primarysid, ppid),
 * and refuses a kerberos / email / unspecified NameID unless `claimMap.subject` names it.
 */
import { describe, expect, it } from '@jest/globals';
import { toIdentity } from '../../../lib/identity/to-identity.js';
import { login, samlApp } from '../../helpers/saml-app.js';

const KERBEROS = 'urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos';
const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const PRIMARY_SID = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid';

async function adfsApp(provisioning: Record<string, unknown> = {}) {
  return samlApp({ provider: { preset: 'adfs-saml', provisioning: { createUsers: true, ...provisioning } } });
}

const adfsLogin = (ctx: Awaited<ReturnType<typeof adfsApp>>, nameId: string, format: string, extraAttributes: Record<string, string> = {}) =>
  login(ctx, 'oid-alice', { response: { preset: 'adfs-saml', nameId, nameIdFormat: format, extraAttributes } });

describe('adfs-saml: which NameID keys a user (real signed SAML logins)', () => {
  it.each([
    ['kerberos', 'NORTHWIND\\tkowalski', KERBEROS],
    ['emailAddress', 't.kowalski@northwind.com', EMAIL],
    ['unspecified', 'tkowalski', UNSPECIFIED],
  ])('a %s NameID with no stable claim is refused (audited), never made the key of an account', async (_name, nameId, format) => {
    const ctx = await adfsApp();
    const { res, agent } = await adfsLogin(ctx, nameId, format);
    expect(res.status).toBe(401);
    expect(ctx.events).toEqual([
      expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_MISSING_SUBJECT', reason: expect.stringMatching(/NameID's format .* is not a stable key.*claimMap\.subject/) }),
    ]);
    expect(await ctx.store.listUsers()).toEqual([]);
    expect((await agent.get('/me').set('Accept', 'application/json')).status).toBe(401);
  });

  it('a renamed account (new kerberos NameID, same objectGUID) stays one user; the next holder of the old name is another user', async () => {
    const ctx = await adfsApp();
    const before = await adfsLogin(ctx, 'NORTHWIND\\tkowalski', KERBEROS, { objectGUID: 'Lhya-guid-tk' });
    expect(before.res.status).toBe(303);
    const renamed = await adfsLogin(ctx, 'NORTHWIND\\tnowak', KERBEROS, { objectGUID: 'Lhya-guid-tk' });
    expect(renamed.res.status).toBe(303);
    const reused = await adfsLogin(ctx, 'NORTHWIND\\tkowalski', KERBEROS, { objectGUID: 'Other-guid-2' });
    expect(reused.res.status).toBe(303);
    const ids = await Promise.all([before, renamed, reused].map(async (l) => ((await l.agent.get('/me').set('Accept', 'application/json')).body as { id: string }).id));
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(await ctx.store.findUserByIdentity({ provider: 'entra', subject: 'NORTHWIND\\tkowalski' })).toBeNull();
  });

  it('a kerberos NameID falls back to primarysid when no objectGUID is sent', async () => {
    const ctx = await adfsApp();
    const { res } = await adfsLogin(ctx, 'NORTHWIND\\tkowalski', KERBEROS, { [PRIMARY_SID]: 'S-1-5-21-1004336348-1177238915-682003330-1001' });
    expect(res.status).toBe(303);
    expect(await ctx.store.findUserByIdentity({ provider: 'entra', subject: 'S-1-5-21-1004336348-1177238915-682003330-1001' })).not.toBeNull();
  });

  it('a persistent NameID (the ImmutableID) still keys the user, before any claim, as before', async () => {
    const ctx = await adfsApp();
    const { res } = await adfsLogin(ctx, 'LhyaP017j06hssPU5fYHGA==', PERSISTENT, { objectGUID: 'ignored-guid' });
    expect(res.status).toBe(303);
    expect(await ctx.store.findUserByIdentity({ provider: 'entra', subject: 'LhyaP017j06hssPU5fYHGA==' })).not.toBeNull();
  });

  it('claimMap.subject: "nameID" keys on a kerberos NameID when the admin says so explicitly', async () => {
    const ctx = await adfsApp({ claimMap: { subject: 'nameID' } });
    const { res } = await adfsLogin(ctx, 'NORTHWIND\\tkowalski', KERBEROS);
    expect(res.status).toBe(303);
    expect(await ctx.store.findUserByIdentity({ provider: 'entra', subject: 'NORTHWIND\\tkowalski' })).not.toBeNull();
  });
});

describe('adfs-saml subject rule (unit)', () => {
  it('reads the ppid claim when it is the only stable id', () => {
    const ppid = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/privatepersonalidentifier';
    const identity = toIdentity({ issuer: 'http://adfs.test/adfs/services/trust', nameID: 'NORTHWIND\\x', nameIDFormat: KERBEROS, [ppid]: 'ppid-123' }, { preset: 'adfs-saml', provider: 'adfs' });
    expect(identity.subject).toBe('ppid-123');
    expect(identity.username).toBe('x');
  });
});
