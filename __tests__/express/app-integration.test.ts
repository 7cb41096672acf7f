import { describe, expect, it } from '@jest/globals';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { jitSso } from '../../lib/express/jit-sso.js';
import { silentLogger } from '../../lib/internal/logger.js';
import { samlProvider } from '../../lib/providers/saml/saml-provider.js';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import { generateTestKeys } from '../../lib/testing/saml-idp.js';
import { CALLBACK_URL, IDP_ENTRY, IDP_ISSUER, login, samlApp, SP_ENTITY_ID, testIdp } from '../helpers/saml-app.js';

/** jitSso with one Entra SAML provider trusting `idpCert`, on a fresh memory store. */
function entraJitSso(idpCert: string) {
  return jitSso({
    store: new MemoryUserStore({ roles: ['Invoice.Reader'] }),
    providers: [samlProvider({ id: 'entra', preset: 'entra-saml', entryPoint: IDP_ENTRY, idpIssuer: IDP_ISSUER, idpCert, spEntityId: SP_ENTITY_ID, callbackUrl: CALLBACK_URL })],
    provisioning: { createUsers: true },
    logger: silentLogger,
  });
}

describe('jitSso inside an existing app', () => {
  it("leaves the app's global passport alone: its own strategies and serializers keep working", async () => {
    const idp = await testIdp();
    const app = express();
    app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
    const seen: string[] = [];
    passport.serializeUser((user, done) => done(null, JSON.stringify(user)));
    passport.deserializeUser((raw: string, done) => done(null, JSON.parse(raw)));
    app.use(passport.initialize());
    app.use(passport.session());
    app.use(entraJitSso(idp.certificate));
    app.get('/global', (req, res) => {
      seen.push(typeof passport.authenticate);
      res.json({ hasSaml: Boolean((passport as unknown as { _strategies: Record<string, unknown> })._strategies.entra) });
    });
    const res = await request(app).get('/global').expect(200);
    expect(res.body).toEqual({ hasSaml: false });
    const { res: callback, agent } = await login({ app, idp }, 'oid-alice');
    expect(callback.status).toBe(303);
    expect((await agent.get('/global')).status).toBe(200);
  });

  it('accepts a response signed with either certificate during an IdP certificate rollover', async () => {
    const idp = await testIdp();
    const old = await generateTestKeys();
    const ctx = await samlApp({ idp, provider: { idpCert: [old.certificate, idp.certificate] } });
    const { res } = await login(ctx, 'oid-alice');
    expect(res.status).toBe(303);
    const refused = await samlApp({ idp, provider: { idpCert: [old.certificate] } });
    expect((await login(refused, 'oid-alice')).res.status).toBe(401);
  });
});

/** An app with a passport login of its own (`POST /local-login`) beside jitSso; `/whoami` shows `req.user` and the session. */
async function appWithItsOwnPassport() {
  const { Passport } = passport as unknown as { Passport: new () => typeof passport };
  const local = new Passport();
  const serialized: unknown[] = [];
  local.serializeUser((user, done) => {
    serialized.push(user);
    done(null, (user as { name: string }).name);
  });
  local.deserializeUser((name: string, done) => done(null, { name, local: true }));
  const idp = await testIdp();
  const app = express();
  app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
  app.use(local.initialize());
  app.use(local.session());
  app.use(entraJitSso(idp.certificate));
  app.post('/local-login', (req, res, next) => req.login({ name: 'local-admin' } as never, (err) => (err ? next(err) : res.json({ ok: true }))));
  app.get('/whoami', (req, res) => res.json({ user: req.user ?? null, session: req.session }));
  return { app, idp, serialized };
}

describe('jitSso beside an app-owned passport login', () => {
  it("keeps the app's own req.login() on the app's passport, and both logins in one session", async () => {
    const { app } = await appWithItsOwnPassport();
    const agent = request.agent(app);
    await agent.post('/local-login').expect(200);
    const mine = (await agent.get('/whoami').expect(200)).body;
    expect(mine.user).toEqual({ name: 'local-admin', local: true });
    expect(mine.session.passport).toEqual({ user: 'local-admin' });
    expect(mine.session).not.toHaveProperty('jitSso');
  });

  it("keeps an SSO login in its own session record, never in the app's passport record, and signs it out", async () => {
    const { app, idp, serialized } = await appWithItsOwnPassport();
    const { res: callback, agent } = await login({ app, idp }, 'oid-alice');
    expect(callback.status).toBe(303);
    const signedIn = (await agent.get('/whoami').expect(200)).body;
    expect(signedIn.user).toEqual(expect.objectContaining({ username: 'alice.johnson' }));
    expect(signedIn.session.jitSso).toEqual(expect.objectContaining({ provider: 'entra', userId: signedIn.user.id, nameID: 'alice.johnson@contoso.com' }));
    expect(signedIn.session).not.toHaveProperty('passport');
    expect(serialized).toEqual([]);
    await agent.post('/auth/logout').expect(303);
    const signedOut = (await agent.get('/whoami').expect(200)).body;
    expect(signedOut.user).toBeNull();
    expect(signedOut.session).not.toHaveProperty('jitSso');
  });
});
