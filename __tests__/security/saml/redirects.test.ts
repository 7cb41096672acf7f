/**
 * Open redirects through `returnTo` (on the login and logout routes) and `RelayState` (posted back
 * with the SAML response): after sign-in the person must land on this site, never on the attacker's.
 */
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { safeReturnTo } from '../../../lib/express/safe-redirect.js';
import { login, samlApp, startLogin } from '../../helpers/saml-app.js';

const OFF_SITE: Array<[string, string]> = [
  ['protocol-relative //evil.example', '//evil.example'],
  ['absolute https://evil.example', 'https://evil.example'],
  ['upper-case HTTPS://evil.example', 'HTTPS://evil.example'],
  ['backslash /\\evil.example', '/\\evil.example'],
  ['backslash pair /\\/evil.example', '/\\/evil.example'],
  ['tab /\\t/evil.example (dropped by URL parsers)', '/\t/evil.example'],
  ['newline /\\n/evil.example', '/\n/evil.example'],
  ['CRLF header injection /\\r\\nSet-Cookie: sid=x', '/\r\nSet-Cookie: sid=x'],
  ['dot segment /.//evil.example', '/.//evil.example'],
  ['parent segment /..//evil.example', '/..//evil.example'],
  ['encoded parent segment /%2e%2e//evil.example', '/%2e%2e//evil.example'],
  ['encoded %2F%2Fevil.example', '%2F%2Fevil.example'],
  ['scheme without slashes https:evil.example', 'https:evil.example'],
  ['javascript:alert(1)', 'javascript:alert(1)'],
  ['data: URL', 'data:text/html,<script>alert(1)</script>'],
  ['over-long path (over 2048 characters)', `/${'a'.repeat(2100)}`],
];

/** True when a browser following `location` from https://app.test stays on https://app.test. */
function staysOnSite(location: string): boolean {
  return new URL(location, 'https://app.test').origin === 'https://app.test';
}

describe('safeReturnTo', () => {
  it.each(OFF_SITE)('an off-site or smuggled target (%s) falls back to the landing path', (_name, value) => {
    expect(safeReturnTo(value, '/')).toBe('/');
    expect(safeReturnTo(value, '/home')).toBe('/home');
  });

  it.each([
    ['/reports?id=3#x', '/reports?id=3#x'],
    ['/me', '/me'],
    ['/me?tab=1&sort=desc', '/me?tab=1&sort=desc'],
    ['/', '/'],
    ['/a/b/../c', '/a/c'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
  ])('keeps a same-site path %s (as %s)', (value, expected) => {
    const result = safeReturnTo(value, '/fallback');
    expect(result).toBe(expected);
    expect(staysOnSite(result)).toBe(true);
  });

  it.each([
    ['undefined', undefined],
    ['an empty string', ''],
    ['an array (returnTo given twice)', ['/me', '//evil.example']],
    ['a number', 42],
    ['an object', { toString: () => '/me' }],
  ])('falls back when returnTo is %s', (_name, value) => {
    expect(safeReturnTo(value, '/')).toBe('/');
  });
});

describe('open redirect through returnTo on /auth/entra/login', () => {
  it.each(OFF_SITE)('returnTo %s sends only the landing path to the IdP as RelayState', async (_name, value) => {
    const ctx = await samlApp();
    const started = await startLogin(request.agent(ctx.app), value);
    expect(started.location.origin).toBe('https://idp.test.local');
    expect(started.relayState).toBe('/');
  });

  it('returnTo given twice (?returnTo=/me&returnTo=//evil.example) sends only the landing path', async () => {
    const ctx = await samlApp();
    const res = await request(ctx.app).get('/auth/entra/login?returnTo=%2Fme&returnTo=%2F%2Fevil.example').expect(302);
    expect(new URL(res.headers.location as string).searchParams.get('RelayState')).toBe('/');
  });

  it('a legitimate returnTo (/reports?id=3#x) travels to the IdP as RelayState unchanged', async () => {
    const ctx = await samlApp();
    const started = await startLogin(request.agent(ctx.app), '/reports?id=3#x');
    expect(started.relayState).toBe('/reports?id=3#x');
  });
});

describe('open redirect through a RelayState posted with a valid SAML response', () => {
  it.each(OFF_SITE)('RelayState %s lands the signed-in person on / instead', async (_name, value) => {
    const ctx = await samlApp();
    const { res, agent } = await login(ctx, 'oid-alice', { relayState: value });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });

  it('a same-site RelayState (/reports?id=3#x) is kept', async () => {
    const ctx = await samlApp();
    const { res } = await login(ctx, 'oid-alice', { relayState: '/reports?id=3#x' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/reports?id=3#x');
  });
});

describe('open redirect through returnTo on /auth/logout', () => {
  it.each(OFF_SITE)('returnTo %s after a local logout redirects to /', async (_name, value) => {
    const ctx = await samlApp();
    const { agent } = await login(ctx, 'oid-alice');
    const res = await agent.post('/auth/logout').type('form').send({ returnTo: value });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });
});
