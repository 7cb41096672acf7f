/**
 * Identity keys that sanitising would have merged: control characters stripped, surrounding spaces
 * trimmed, another Unicode spelling of the same name. An identifier is refused (401, one `denied`
 * audit event naming the reason and the claim), never changed into someone else's key.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { messageFor } from '../../../lib/errors.js';
import { IDENTIFIER_MAX_LENGTH, identifierProblem } from '../../../lib/identity/identifier.js';
import { toIdentity } from '../../../lib/identity/to-identity.js';
import type { AuditEvent, StoredUser } from '../../../lib/store/user-store.js';
import { closeOps, entraLogin, entraMultiTenant, oidcApp, oidcLogin, testOp, TENANT } from '../../helpers/oidc-app.js';
import { login, samlApp } from '../../helpers/saml-app.js';

afterEach(closeOps);

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

interface Ctx {
  store: { listUsers(): Promise<StoredUser[]> };
  events: AuditEvent[];
}
type Agent = ReturnType<typeof request.agent>;

/** The refusal every identifier attack must meet: 401, the generic page, one audited denial, nothing stored, no session. */
async function expectRefused(ctx: Ctx, before: { users: StoredUser[]; events: number }, res: request.Response, agent: Agent, reason: RegExp, provider: string) {
  expect(res.status).toBe(401);
  expect(res.headers.location).toBeUndefined();
  expect(res.text).toContain(messageFor('ERR_JIT_SSO_INVALID_CLAIMS'));
  expect(ctx.events.slice(before.events)).toEqual([
    expect.objectContaining({ type: 'login', subType: 'denied', provider, code: 'ERR_JIT_SSO_INVALID_CLAIMS', reason: expect.stringMatching(reason) }),
  ]);
  expect(await ctx.store.listUsers()).toEqual(before.users);
  const me = await agent.get('/me').set('Accept', 'application/json');
  expect(me.status).toBe(401);
}

async function snapshot(ctx: Ctx) {
  return { users: structuredClone(await ctx.store.listUsers()), events: ctx.events.length };
}

describe('SAML NameID keys (a real signed login, generic-saml keys on the NameID)', () => {
  async function withVictim(victimNameId: string) {
    const ctx = await samlApp({ provider: { preset: 'generic-saml' } });
    const first = await login(ctx, 'oid-alice', { response: { nameId: victimNameId, nameIdFormat: PERSISTENT } });
    expect(first.res.status).toBe(303);
    return ctx;
  }

  it('a NameID with a TAB inside does not sign in as the user whose NameID is the same without it', async () => {
    const ctx = await withVictim('pid-victimctl');
    const before = await snapshot(ctx);
    const { res, agent } = await login(ctx, 'oid-bob', { response: { nameId: 'pid-victim\tctl', nameIdFormat: PERSISTENT } });
    await expectRefused(ctx, before, res, agent, /identifier-control-character \(claim "nameID"\)/, 'entra');
  });

  it('a NameID with surrounding spaces does not sign in as the user without them', async () => {
    const ctx = await withVictim('pid-victim');
    const before = await snapshot(ctx);
    const { res, agent } = await login(ctx, 'oid-bob', { response: { nameId: '  pid-victim ', nameIdFormat: PERSISTENT } });
    await expectRefused(ctx, before, res, agent, /identifier-whitespace \(claim "nameID"\)/, 'entra');
  });

  it('a NameID with a trailing newline does not sign in as the user without it', async () => {
    const ctx = await withVictim('pid-victim');
    const before = await snapshot(ctx);
    const { res, agent } = await login(ctx, 'oid-bob', { response: { nameId: 'pid-victim\n', nameIdFormat: PERSISTENT } });
    await expectRefused(ctx, before, res, agent, /identifier-(control-character|whitespace)/, 'entra');
  });

  it('a NameID in decomposed Unicode (NFD) does not sign in as the user with the composed name', async () => {
    const ctx = await withVictim('pid-l\u00e9a');
    const before = await snapshot(ctx);
    const { res, agent } = await login(ctx, 'oid-bob', { response: { nameId: 'pid-le\u0301a', nameIdFormat: PERSISTENT } });
    await expectRefused(ctx, before, res, agent, /identifier-not-nfc/, 'entra');
  });

  it('an Entra objectidentifier with a trailing space does not sign in as the object without it', async () => {
    const ctx = await samlApp();
    expect((await login(ctx, 'oid-alice')).res.status).toBe(303);
    const before = await snapshot(ctx);
    const { res, agent } = await login(ctx, 'oid-alice', {
      response: {
        beforeSign: (doc) => {
          for (const value of Array.from(doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'AttributeValue'))) {
            if (value.textContent === 'oid-alice') value.textContent = 'oid-alice ';
          }
        },
      },
    });
    await expectRefused(ctx, before, res, agent, /identifier-whitespace \(claim "http:\/\/schemas.microsoft.com\/identity\/claims\/objectidentifier"\)/, 'entra');
  });
});

describe('OIDC subject keys (a real login at the test OpenID provider, signed by it)', () => {
  it('an OIDC sub with a trailing NUL does not sign in as the user whose sub is the same without it', async () => {
    const ctx = await oidcApp();
    expect((await oidcLogin(ctx, 'oid-alice')).res.status).toBe(303);
    const before = await snapshot(ctx);
    const { res, agent } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, sub: 'oid-alice\u0000' } }) });
    await expectRefused(ctx, before, res, agent, /identifier-control-character \(claim "sub"\)/, 'oidc');
  });

  it('an Entra oid with a trailing NUL does not sign in as the object without it', async () => {
    const op = await testOp({ claimsShape: 'entra' });
    const ctx = await oidcApp({ op, provider: entraMultiTenant(op, [TENANT]) });
    expect((await entraLogin(ctx, 'oid-alice')).res.status).toBe(303);
    const before = await snapshot(ctx);
    const { res, agent } = await entraLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, oid: `${String(claims.oid)}\u0000` } }) });
    await expectRefused(ctx, before, res, agent, /identifier-control-character \(claim "oid"\)/, 'oidc');
  });

  it('a tenant id with surrounding whitespace is refused, not trimmed into the allowed tenant', async () => {
    const ctx = await oidcApp({ provider: { preset: 'generic-oidc', provisioning: { allow: { tenants: ['tenant-a'] } } } });
    const before = await snapshot(ctx);
    const { res, agent } = await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, tid: 'tenant-a ' } }) });
    await expectRefused(ctx, before, res, agent, /identifier-whitespace \(claim "tid"\)/, 'oidc');
    // The same login with the exact tenant id passes the gate.
    expect((await oidcLogin(ctx, 'oid-alice', { tamper: (claims) => ({ claims: { ...claims, tid: 'tenant-a' } }) })).res.status).toBe(303);
  });
});

describe('the identifier rule (unit)', () => {
  const oidc = (claims: Record<string, unknown>, linkExisting?: 'username' | 'verified-email') =>
    toIdentity({ iss: 'https://op.test', ...claims }, { preset: 'generic-oidc', provider: 'op', ...(linkExisting ? { linkExisting } : {}) });

  it('a subject longer than 256 characters is refused, not cut to someone else’s', () => {
    expect(() => oidc({ sub: 'a'.repeat(IDENTIFIER_MAX_LENGTH + 1) })).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_CLAIMS', details: expect.objectContaining({ reason: 'identifier-too-long', claim: 'sub' }) }));
    expect(oidc({ sub: 'a'.repeat(IDENTIFIER_MAX_LENGTH), preferred_username: 'a' }).subject).toHaveLength(IDENTIFIER_MAX_LENGTH);
  });

  it('a subject that sanitises to nothing is refused, not skipped for the next claim', () => {
    expect(() => toIdentity({ nameID: 'pid-1', objectGUID: '\u0000' }, { preset: 'ping-saml', provider: 'p' })).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'identifier-control-character', claim: 'objectGUID' }) }));
  });

  it('a lone surrogate in a subject is refused (a store would write it as U+FFFD, merging all such keys)', () => {
    expect(identifierProblem('pid-\uD800')).toBe('identifier-invalid-unicode');
    expect(identifierProblem('pid-\u{1F600}')).toBeUndefined();
  });

  it('a username linked by (linkExisting: username) with a control character is refused, not stripped onto another name', () => {
    expect(() => oidc({ sub: 's1', preferred_username: 'ka\u0000te' }, 'username')).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'identifier-control-character', claim: 'preferred_username' }) }));
    // Not a link key: sanitised as before (the subject keys the user).
    expect(oidc({ sub: 's1', preferred_username: 'ka\u0000te' }).username).toBe('kate');
  });

  it('an email linked by (linkExisting: verified-email) with surrounding whitespace is refused, not trimmed', () => {
    expect(() => oidc({ sub: 's1', email: ' kate@contoso.com', email_verified: true }, 'verified-email')).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'identifier-whitespace', claim: 'email' }) }));
  });

  it('a username with the Kelvin sign is refused as a link key (NFKC would make it "kate")', () => {
    expect(() => oidc({ sub: 's1', preferred_username: '\u212Aate' }, 'username')).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'identifier-not-nfc' }) }));
    expect(() => oidc({ sub: 's1', preferred_username: '\uFF4Bate' }, 'username')).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'identifier-not-nfkc' }) }));
    expect(() => oidc({ sub: 's1', preferred_username: 'ka\u200Bte' }, 'username')).toThrow(expect.objectContaining({ details: expect.objectContaining({ reason: 'identifier-not-nfkc' }) }));
  });
});
