// The apps under test: (A) a bare passport-saml app with the same node-saml security settings as
// jit-sso's defaults and a constant verify/deserialize, and (B/C/D) jitSso on a given store.
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as SamlStrategy } from '@node-saml/passport-saml';
import { jitSso, samlProvider, requireAuth, currentUser, MemoryUserStore, silentLogger } from './jit.mjs';
import { APP_ROLES, ASSERTION_LIFETIME_MS, CALLBACK_PATH, CALLBACK_URL, IDP_ENTRY, IDP_ISSUER, PROVIDER, SP_ENTITY_ID } from './common.mjs';
import { openSqlStore } from './sql.mjs';

const SESSION = { secret: 'bench-secret', resave: false, saveUninitialized: false, name: 'sid' };
/** What a signed-in user's `/me` answers in every variant, so that response bodies are the same size. */
const meBody = (user) => ({ id: user.id, username: user.username });

/**
 * The node-saml settings jit-sso's samlProvider() applies by default (lib/providers/saml/saml-provider.ts,
 * samlConfig), with unsolicited responses allowed (validateInResponseTo 'ifPresent').
 */
export function nodeSamlConfig(idpCert) {
  return {
    entryPoint: IDP_ENTRY,
    issuer: SP_ENTITY_ID,
    audience: SP_ENTITY_ID,
    callbackUrl: CALLBACK_URL,
    idpCert,
    idpIssuer: IDP_ISSUER,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    acceptedClockSkewMs: 30_000,
    maxAssertionAgeMs: ASSERTION_LIFETIME_MS,
    validateInResponseTo: 'ifPresent',
    requestIdExpirationPeriodMs: 600_000,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
  };
}

/** (A) express-session + passport + passport-saml; verify and deserialize return a constant user. */
export function bareApp({ idpCert }) {
  const user = { id: '00000000-0000-4000-8000-000000000001', username: 'constant@contoso.com', roles: [] };
  const app = express();
  app.use(session(SESSION));
  const authenticator = new passport.Passport();
  authenticator.use('saml', new SamlStrategy(nodeSamlConfig(idpCert), (_profile, done) => done(null, user), (_profile, done) => done(null, user)));
  authenticator.serializeUser((u, done) => done(null, u.id));
  authenticator.deserializeUser((_id, done) => done(null, user));
  app.use(authenticator.initialize());
  app.use(authenticator.session());
  app.post(CALLBACK_PATH, express.urlencoded({ extended: false, limit: 512 * 1024, parameterLimit: 20 }), authenticator.authenticate('saml'), (_req, res) =>
    res.redirect(303, '/me'),
  );
  app.get('/me', (req, res) => (req.user ? res.json(meBody(req.user)) : res.status(401).json({ error: 'not signed in' })));
  return { app, close: async () => {} };
}

/** The store of a jit variant, with `roles` existing. */
export async function openStore(spec, roles) {
  if (spec.type === 'memory') return { store: new MemoryUserStore({ roles, logger: silentLogger }), close: async () => {} };
  return openSqlStore(spec, roles);
}

/** (B/C/D) jitSso with one SAML provider on `store`; unsolicited responses allowed. */
export function jitApp({ idpCert, store, provisioning, userCache, claimMap, samlOptions = {} }) {
  const app = express();
  app.use(session(SESSION));
  const middleware = jitSso({
    store,
    providers: [
      samlProvider({
        id: PROVIDER,
        preset: 'entra-saml',
        entryPoint: IDP_ENTRY,
        idpIssuer: IDP_ISSUER,
        idpCert,
        spEntityId: SP_ENTITY_ID,
        callbackUrl: CALLBACK_URL,
        allowUnsolicited: true,
        maxAssertionAgeMs: ASSERTION_LIFETIME_MS,
        ...(claimMap ? { claimMap } : {}),
        ...samlOptions,
      }),
    ],
    provisioning: provisioning ?? { createUsers: true, sync: 'every-login' },
    logger: silentLogger,
    ...(userCache !== undefined ? { userCache } : {}),
  });
  app.use(middleware);
  app.get('/me', requireAuth(), (req, res) => res.json(meBody(currentUser(req))));
  return { app, middleware };
}

export { APP_ROLES };
