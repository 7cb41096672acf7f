/**
 * Open redirects through `returnTo` (on the login and logout routes) and `RelayState` (posted back
 * with the SAML response): after sign-in the person must land on this site, never on the attacker's.
 * An SP-initiated login keeps `returnTo` server-side (RelayState is an opaque handle); only an
 * IdP-initiated one (allowUnsolicited) takes a path from RelayState.
 */
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { safeReturnTo } from '../../../lib/express/safe-redirect.js';
import { CALLBACK_URL, login, samlApp, SP_ENTITY_ID } from '../../helpers/saml-app.js';
import { postAcs } from '../../helpers/saml-attacks.js';

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

/** An opaque RelayState handle, as the SP now sends it: 256 random bits, nothing of returnTo. */
const HANDLE = /^[A-Za-z0-9_-]{43}$/;

/** An IdP-initiated login (allowUnsolicited on) posted with `relayState`: the one mode where RelayState is a path. */
async function unsolicitedLogin(relayState: string) {
  const ctx = await samlApp({ provider: { allowUnsolicited: true } });
  const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID });
  const agent = request.agent(ctx.app);
  const res = await postAcs(agent, response.base64, relayState);
  return { res, agent };
}

describe('open redirect through returnTo on /auth/entra/login', () => {
  it.each(OFF_SITE)('returnTo %s lands the signed-in person on the landing path', async (_name, value) => {
    const ctx = await samlApp();
    const { res, started, agent } = await login(ctx, 'oid-alice', { returnTo: value });
    expect(started.location.origin).toBe('https://idp.test.local');
    expect(started.relayState).toMatch(HANDLE);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });

  it('returnTo given twice (?returnTo=/me&returnTo=//evil.example) lands on the landing path', async () => {
    const ctx = await samlApp();
    const agent = request.agent(ctx.app);
    const started = await agent.get('/auth/entra/login?returnTo=%2Fme&returnTo=%2F%2Fevil.example').expect(302);
    const location = new URL(started.headers.location as string);
    const authn = ctx.idp.parseAuthnRequest(location.searchParams.get('SAMLRequest')!);
    const response = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id });
    const res = await postAcs(agent, response.base64, location.searchParams.get('RelayState')!);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
  });

  it('a legitimate returnTo (/reports?id=3#x) is kept server-side: the IdP sees an opaque handle, the login lands on it', async () => {
    const ctx = await samlApp();
    const { res, started } = await login(ctx, 'oid-alice', { returnTo: '/reports?id=3#x' });
    expect(started.relayState).toMatch(HANDLE);
    expect(started.location.search).not.toContain('reports');
    expect(res.headers.location).toBe('/reports?id=3#x');
  });
});

describe('open redirect through a RelayState posted with a valid SAML response', () => {
  it.each(OFF_SITE)('SP-initiated, RelayState %s in place of the handle is refused and signs no one in', async (_name, value) => {
    const ctx = await samlApp();
    const { res, agent } = await login(ctx, 'oid-alice', { relayState: value });
    expect(res.status).toBe(401);
    expect(res.headers.location).toBeUndefined();
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', reason: 'login not started in this browser' })]);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it.each(OFF_SITE)('IdP-initiated (allowUnsolicited), RelayState %s lands the signed-in person on / instead', async (_name, value) => {
    const { res, agent } = await unsolicitedLogin(value);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });

  it('IdP-initiated (allowUnsolicited), a same-site RelayState (/reports?id=3#x) is kept', async () => {
    const { res } = await unsolicitedLogin('/reports?id=3#x');
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
