import { describe, expect, it } from '@jest/globals';
import express5 from 'express';
import express4 from 'express4';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { currentUser } from '../../lib/express/context.js';
import { requireAuth } from '../../lib/express/guards.js';
import { jitSso, type JitSsoOptions } from '../../lib/express/jit-sso.js';
import { silentLogger } from '../../lib/internal/logger.js';
import { samlProvider } from '../../lib/providers/saml/saml-provider.js';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import type { TestSamlIdp } from '../../lib/testing/saml-idp-types.js';
import { CALLBACK_URL, IDP_ENTRY, IDP_ISSUER, login, samlApp, SP_ENTITY_ID, testIdp } from '../helpers/saml-app.js';

function middleware(idp: TestSamlIdp, options: Partial<JitSsoOptions> = {}) {
  return jitSso({
    store: new MemoryUserStore({ roles: ['Invoice.Reader'] }),
    providers: [samlProvider({ id: 'entra', preset: 'entra-saml', entryPoint: IDP_ENTRY, idpIssuer: IDP_ISSUER, idpCert: idp.certificate, spEntityId: SP_ENTITY_ID, callbackUrl: CALLBACK_URL })],
    provisioning: { createUsers: true },
    logger: silentLogger,
    ...options,
  });
}

describe.each([4, 5] as const)('jitSso on every request of an Express %i app', (expressVersion) => {
  const express = (expressVersion === 4 ? express4 : express5) as typeof express5;
  const newApp = () => {
    const app = express();
    app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
    return app;
  };

  it('serves its routes under basePath in any letter case and with a query, as Express matches mount paths', async () => {
    const app = newApp();
    app.use(middleware(await testIdp()));
    expect((await request(app).get('/AUTH/entra/metadata?download=1').expect(200)).text).toContain(`entityID="${SP_ENTITY_ID}"`);
    await request(app).get('/authx/entra/metadata').expect(404);
  });

  it('passes an app route under basePath that it does not serve to the app, where req.login() is the app’s passport', async () => {
    const { Passport } = passport as unknown as { Passport: new () => typeof passport };
    const local = new Passport();
    local.serializeUser((user, done) => done(null, (user as { name: string }).name));
    local.deserializeUser((name: string, done) => done(null, { name }));
    const app = newApp();
    app.use(local.initialize());
    app.use(local.session());
    app.use(middleware(await testIdp()));
    app.post('/auth/local', (req, res, next) => req.login({ name: 'ops' } as never, (err) => (err ? next(err) : res.json(req.session))));
    const res = await request(app).post('/auth/local').expect(200);
    expect(res.body).toMatchObject({ passport: { user: 'ops' } });
    expect(res.body).not.toHaveProperty('jitSso');
  });

  it('sends guards to the login under the path it is mounted at, per request when that path has a parameter', async () => {
    const app = newApp();
    app.use('/:tenant', middleware(await testIdp()));
    app.get('/:tenant/me', requireAuth(), (req, res) => res.json(currentUser(req)));
    for (const tenant of ['north', 'south', 'north']) {
      const res = await request(app).get(`/${tenant}/me`).set('Accept', 'text/html').expect(302);
      expect(res.headers.location).toBe(`/${tenant}/auth/entra/login?returnTo=%2F${tenant}%2Fme`);
    }
    const start = await request(app).get('/south/auth/entra/login').expect(302);
    expect(start.headers.location).toContain(IDP_ENTRY);
  });

  it('answers for a store that throws instead of rejecting with its own 503 page, not the app’s error handler', async () => {
    const store = new MemoryUserStore({ roles: ['Invoice.Reader'] });
    const ctx = await samlApp({ express: expressVersion, store, jitSso: { userCache: false } });
    let appHandlerSaw: unknown;
    ctx.app.use((err: unknown, _req: express5.Request, res: express5.Response, _next: express5.NextFunction) => {
      appHandlerSaw = err;
      res.status(599).end();
    });
    const { agent } = await login(ctx, 'oid-alice');
    store.findUserById = () => {
      throw new Error('driver exploded');
    };
    const res = await agent.get('/me').set('Accept', 'application/json').expect(503);
    expect(res.body.error.code).toBe('ERR_JIT_SSO_STORE_UNAVAILABLE');
    expect(appHandlerSaw).toBeUndefined();
  });

  it('still runs routes the app adds to the middleware itself, after signing the user in', async () => {
    const ctx = await samlApp({ express: expressVersion });
    ctx.middleware.get('/whoami', (req, res) => res.json({ username: currentUser(req)?.username ?? null }));
    const { agent } = await login(ctx, 'oid-alice');
    expect((await agent.get('/whoami').expect(200)).body).toEqual({ username: 'alice.johnson' });
    await agent.get('/me').set('Accept', 'application/json').expect(200);
    await request(ctx.app).get('/auth/nope/login').set('Accept', 'application/json').expect(404);
  });
});
