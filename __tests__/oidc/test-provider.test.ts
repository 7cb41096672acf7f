/**
 * The local OpenID provider of `jit-sso/testing` on its own: the login page, the claim shapes, PKCE,
 * and the tampering hook that the security suite relies on.
 */
import { createHash, createHmac, createPublicKey, randomBytes, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createTestOidcProvider, type TestOidcProvider } from '../../lib/testing/oidc-provider.js';
import { callbackUrl, CLIENT_ID, CLIENT_SECRET, closeOps, oidcApp, oidcLogin, OIDC_USERS, TENANT, testOp } from '../helpers/oidc-app.js';

afterEach(closeOps);

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** An authorization URL of the test client, with PKCE. */
function authorizationUrl(op: TestOidcProvider, extra: Record<string, string> = {}) {
  const verifier = b64url(randomBytes(32));
  const url = new URL(`${op.issuer}/auth`);
  const params = { client_id: CLIENT_ID, response_type: 'code', redirect_uri: callbackUrl('oidc'), scope: 'openid profile email', state: b64url(randomBytes(16)), nonce: b64url(randomBytes(16)), code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256', ...extra };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url, verifier };
}

/** A whole code flow without jit-sso: returns the raw ID token. */
async function idTokenOf(op: TestOidcProvider, user: string): Promise<string> {
  const { url, verifier } = authorizationUrl(op);
  const callback = await op.authorize(url.href, user);
  const res = await fetch(`${op.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: callbackUrl('oidc'), code_verifier: verifier }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id_token: string }).id_token;
}

describe('createTestOidcProvider', () => {
  it('shows a login page with every user HTML-escaped, and signs in the one picked', async () => {
    const op = await testOp({ users: [...structuredClone(OIDC_USERS), { id: 'oid-x', username: 'x@contoso.com', displayName: '<script>alert(1)</script>' }] });
    const jar: string[] = [];
    const get = async (target: URL, init: RequestInit = {}) => {
      const res = await fetch(target, { ...init, redirect: 'manual', headers: { ...(init.headers as object), cookie: jar.join('; ') } });
      for (const c of res.headers.getSetCookie()) jar.push(c.split(';')[0]!);
      return res;
    };
    const { url } = authorizationUrl(op);
    const toPage = new URL((await get(url)).headers.get('location')!, url);
    const page = await get(toPage);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toContain('<script>');
    const action = new URL(/action="([^"]+)"/.exec(html)![1]!.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c))), toPage);
    const picked = await get(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'userId=oid-bob' });
    expect(picked.status).toBe(303);
    const done = await get(new URL(picked.headers.get('location')!, action));
    const callback = new URL(done.headers.get('location')!);
    expect(callback.origin + callback.pathname).toBe(callbackUrl('oidc'));
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('login(userId) arms the next authorization request to sign that user in without the page', async () => {
    const op = await testOp();
    const { url } = authorizationUrl(op);
    op.login('oid-bob');
    const callback = await op.authorize(url.href);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(() => op.login('nobody')).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS' }));
    // Nothing armed any more: the next request stops at the login page.
    await expect(op.authorize(authorizationUrl(op).url.href)).rejects.toMatchObject({ details: { status: 200 } });
  });

  it('asks who signs in at every authorization request (no single sign-on between tests)', async () => {
    const op = await testOp();
    const first = decode((await idTokenOf(op, 'oid-alice')).split('.')[1]!);
    const second = decode((await idTokenOf(op, 'oid-bob')).split('.')[1]!);
    expect([first.sub, second.sub]).toEqual(['oid-alice', 'oid-bob']);
  });

  it('standard shape: sub, preferred_username, name, email and email_verified, groups, roles in the ID token', async () => {
    const op = await testOp();
    const claims = decode((await idTokenOf(op, 'oid-alice')).split('.')[1]!);
    expect(claims).toMatchObject({ iss: op.issuer, aud: CLIENT_ID, sub: 'oid-alice', preferred_username: 'alice.johnson@contoso.com', name: 'Alice Johnson', email: 'alice.johnson@contoso.com', email_verified: true, groups: ['Sales'], roles: ['Invoice.Reader'] });
  });

  it("entra shape: oid, tid, ver 2.0, the UPN as preferred_username, no email_verified unless set; over 200 groups, the overage pointer", async () => {
    const many = Array.from({ length: 201 }, (_, i) => `g${i}`);
    const op = await testOp({ claimsShape: 'entra', users: [{ ...structuredClone(OIDC_USERS[1]!), groups: many }] });
    const claims = decode((await idTokenOf(op, 'oid-bob')).split('.')[1]!);
    expect(claims).toMatchObject({ oid: 'oid-bob', tid: TENANT, ver: '2.0', preferred_username: 'bob@contoso.com', roles: ['Invoice.Approver', 'NotInApp'] });
    expect(claims).not.toHaveProperty('email_verified');
    expect(claims).not.toHaveProperty('groups');
    expect(claims._claim_names).toEqual({ groups: 'src1' });
    expect(claims._claim_sources).toEqual({ src1: { endpoint: expect.stringContaining(`/${TENANT}/users/oid-bob/getMemberObjects`) } });
    op.updateUser('oid-bob', { groups: ['one'], overage: true });
    expect(decode((await idTokenOf(op, 'oid-bob')).split('.')[1]!)._claim_names).toEqual({ groups: 'src1' });
  });

  it('requires PKCE: an authorization request without a code challenge comes back with an error', async () => {
    const op = await testOp();
    const { url } = authorizationUrl(op);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const callback = await op.authorize(url.href, 'oid-alice');
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('tamperNextIdToken re-signs for real: RS256 with its key, none, HS256 keyed with its public key, another key under its kid', async () => {
    const op = await testOp();
    const [jwk] = op.jwks.keys;
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    const tokens: Record<string, string> = {};
    for (const alg of ['RS256', 'none', 'HS256-with-public-key', 'other-key'] as const) {
      op.tamperNextIdToken((claims) => ({ claims: { ...claims, aud: 'changed' }, alg }));
      tokens[alg] = await idTokenOf(op, 'oid-alice');
    }
    const parts = (alg: string) => tokens[alg]!.split('.') as [string, string, string];
    const rsaOk = (alg: string) => verify('sha256', Buffer.from(`${parts(alg)[0]}.${parts(alg)[1]}`), publicKey, Buffer.from(parts(alg)[2], 'base64url'));
    expect(decode(parts('RS256')[1]).aud).toBe('changed');
    expect(rsaOk('RS256')).toBe(true);
    expect(decode(parts('none')[0])).toMatchObject({ alg: 'none' });
    expect(parts('none')[2]).toBe('');
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(parts('HS256-with-public-key')[2]).toBe(createHmac('sha256', pem).update(`${parts('HS256-with-public-key')[0]}.${parts('HS256-with-public-key')[1]}`).digest('base64url'));
    expect(decode(parts('other-key')[0])).toMatchObject({ alg: 'RS256', kid: jwk!.kid });
    expect(rsaOk('other-key')).toBe(false);
    // Only the next token: the one after is untouched.
    expect(decode((await idTokenOf(op, 'oid-alice')).split('.')[1]!).aud).toBe(CLIENT_ID);
  });

  it('serves an issuer with a path, which jit-sso discovers and signs in through', async () => {
    const op = await testOp({ issuer: '/contoso/v2.0' });
    expect(op.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/contoso\/v2\.0$/);
    const ctx = await oidcApp({ op });
    expect((await oidcLogin(ctx, 'oid-alice')).res.status).toBe(303);
  });

  it.each([
    ['a duplicate user id', { users: [OIDC_USERS[0]!, OIDC_USERS[0]!] }, 'users[1].id'],
    ['no client', { clients: [] }, 'clients'],
    ['a client secret method without a secret', { clients: [{ clientId: 'c', redirectUris: ['https://app.test/cb'] }] }, 'clients[0]'],
    ['an issuer that is not a path', { issuer: 'https://idp.example.com' }, 'issuer'],
  ])('refuses %s', (_name, overrides, path) => {
    const options = { users: OIDC_USERS, clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [callbackUrl('oidc')] }], ...overrides };
    expect(() => createTestOidcProvider(options as never)).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path } }));
  });
});
