/**
 * The browser binding of a started SAML exchange, on its own: the answer to a login or logout this
 * app started is accepted only from the browser that started it, with the handle it was given, once.
 * The end-to-end attacks (login CSRF, captured logout links) are in login-csrf and logout tests.
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { memoryCache } from '../../../lib/cache/sso-cache.js';
import { browserBinding, requestIdOf, type ExchangeKind } from '../../../lib/providers/saml/browser-binding.js';

/** An app whose /start binds an exchange and answers its handle, and whose /answer takes one. */
function bindingApp(options: { trustProxy?: boolean } = {}) {
  const binding = browserBinding({ cache: memoryCache(), provider: 'entra', ttlMs: 60_000 });
  const app = express();
  if (options.trustProxy) app.set('trust proxy', 1);
  app.get('/start/:kind', async (req, res) => {
    const handle = await binding.bind(req, res, req.params.kind as ExchangeKind, { requestId: `_req-${String(req.query.n)}`, returnTo: '/reports' });
    res.json({ handle });
  });
  app.get('/answer/:kind', async (req, res) => {
    res.json({ exchange: (await binding.take(req, req.params.kind as ExchangeKind, req.query.handle)) ?? null });
  });
  return app;
}

describe('browser binding of a started SAML exchange', () => {
  it('gives the exchange back to the browser that started it, with its request id and returnTo', async () => {
    const victim = request.agent(bindingApp());
    const { handle } = (await victim.get('/start/login?n=1')).body as { handle: string };
    const res = await victim.get(`/answer/login?handle=${handle}`);
    expect(res.body.exchange).toEqual({ requestId: '_req-1', returnTo: '/reports' });
  });

  it("an attacker's handle answered from the victim's browser is refused (login CSRF)", async () => {
    const app = bindingApp();
    const attacker = request.agent(app);
    const victim = request.agent(app);
    const { handle } = (await attacker.get('/start/login?n=1')).body as { handle: string };
    await victim.get('/start/login?n=2');
    expect((await victim.get(`/answer/login?handle=${handle}`)).body.exchange).toBeNull();
  });

  it('a handle answered from a browser without the cookie is refused, and is spent', async () => {
    const app = bindingApp();
    const victim = request.agent(app);
    const { handle } = (await victim.get('/start/login?n=1')).body as { handle: string };
    expect((await request(app).get(`/answer/login?handle=${handle}`)).body.exchange).toBeNull();
    expect((await victim.get(`/answer/login?handle=${handle}`)).body.exchange).toBeNull();
  });

  it('a handle is single use (a replayed answer is refused)', async () => {
    const victim = request.agent(bindingApp());
    const { handle } = (await victim.get('/start/logout?n=1')).body as { handle: string };
    expect((await victim.get(`/answer/logout?handle=${handle}`)).body.exchange).not.toBeNull();
    expect((await victim.get(`/answer/logout?handle=${handle}`)).body.exchange).toBeNull();
  });

  it('a login handle cannot answer a logout, nor the other way round', async () => {
    const victim = request.agent(bindingApp());
    const { handle } = (await victim.get('/start/login?n=1')).body as { handle: string };
    expect((await victim.get(`/answer/logout?handle=${handle}`)).body.exchange).toBeNull();
  });

  it('two exchanges started in one browser (two tabs) both complete', async () => {
    const victim = request.agent(bindingApp());
    const first = (await victim.get('/start/login?n=1')).body as { handle: string };
    const second = (await victim.get('/start/login?n=2')).body as { handle: string };
    expect((await victim.get(`/answer/login?handle=${second.handle}`)).body.exchange.requestId).toBe('_req-2');
    expect((await victim.get(`/answer/login?handle=${first.handle}`)).body.exchange.requestId).toBe('_req-1');
  });

  it('over HTTPS the cookie is __Host-, Secure, SameSite=None and HttpOnly (it cannot be planted from a sibling subdomain)', async () => {
    const res = await request(bindingApp({ trustProxy: true })).get('/start/login?n=1').set('X-Forwarded-Proto', 'https');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-jit-sso-saml=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=None/);
  });

  it('over plain HTTP (development) the cookie is SameSite=Lax, HttpOnly and has no __Host- prefix', async () => {
    const res = await request(bindingApp()).get('/start/login?n=1');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^jit-sso-saml=/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('a malformed handle or cookie value is refused without a cache look-up', async () => {
    const app = bindingApp();
    for (const handle of ['', 'x', '../../etc', 'a'.repeat(44)]) {
      expect((await request(app).get(`/answer/login?handle=${encodeURIComponent(handle)}`).set('Cookie', 'jit-sso-saml=not-a-secret')).body.exchange).toBeNull();
    }
  });
});

describe('requestIdOf', () => {
  it('reads the ID of the request in a redirect-binding URL', () => {
    const xml = '<?xml version="1.0"?><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0" ID="_abc123" IssueInstant="2026-01-01T00:00:00Z"/>';
    const url = `https://idp.test/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(xml).toString('base64'))}&RelayState=h`;
    expect(requestIdOf(url)).toBe('_abc123');
  });
});
