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

/** The user the bare app's verify and deserialize, and B0's provisioner, answer with. */
const CONSTANT_USER = { id: '00000000-0000-4000-8000-000000000001', username: 'constant@contoso.com', roles: [], status: 'active' };

/**
 * (A) express-session + passport + passport-saml; verify and deserialize return a constant user.
 * With `samlChecks` (AP, for attribution), the strategy is jit-sso's own — samlProvider()'s prechecks,
 * its one parse of the message, the algorithm allow-list, the checks after node-saml and the replay
 * cache — with a provisioner that answers at once: jit-sso's SAML layer without jitSso's routes.
 */
export function bareApp({ idpCert, samlChecks = false }) {
  const user = CONSTANT_USER;
  const app = express();
  app.use(session(SESSION));
  const authenticator = new passport.Passport();
  const body = express.urlencoded({ extended: false, limit: 512 * 1024, parameterLimit: 20 });
  const precheck = [];
  if (samlChecks) {
    const runtime = samlProvider(samlProviderOptions(idpCert)).mount({ provisioner: constantProvisioner(), logger: silentLogger });
    authenticator.use('saml', runtime.strategy);
    precheck.push((req, _res, next) => {
      runtime.precheckCallback(req);
      // The browser binding's claim (an unsolicited response here), as jitSso's ACS route makes it.
      runtime.claimCallback(req).then(() => next(), next);
    });
  } else {
    authenticator.use('saml', new SamlStrategy(nodeSamlConfig(idpCert), (_profile, done) => done(null, user), (_profile, done) => done(null, user)));
  }
  authenticator.serializeUser((u, done) => done(null, u.id));
  authenticator.deserializeUser((_id, done) => done(null, user));
  app.use(authenticator.initialize());
  app.use(authenticator.session());
  app.post(CALLBACK_PATH, body, ...precheck, authenticator.authenticate('saml'), (_req, res) => res.redirect(303, '/me'));
  app.get('/me', (req, res) => (req.user ? res.json(meBody(req.user)) : res.status(401).json({ error: 'not signed in' })));
  return { app, close: async () => {} };
}

/** A provisioner that answers every login at once with the constant user (AP, B0). */
function constantProvisioner() {
  return { provisionClaims: async () => ({ user: CONSTANT_USER, outcome: 'existing-user' }) };
}

/** The store of a jit variant, with `roles` existing. */
export async function openStore(spec, roles) {
  if (spec.type === 'memory') return { store: new MemoryUserStore({ roles, logger: silentLogger }), close: async () => {} };
  return openSqlStore(spec, roles);
}

/** The samlProvider() options of every jit variant (and of AP); unsolicited responses allowed. */
function samlProviderOptions(idpCert) {
  return {
    id: PROVIDER,
    preset: 'entra-saml',
    entryPoint: IDP_ENTRY,
    idpIssuer: IDP_ISSUER,
    idpCert,
    spEntityId: SP_ENTITY_ID,
    callbackUrl: CALLBACK_URL,
    allowUnsolicited: true,
    maxAssertionAgeMs: ASSERTION_LIFETIME_MS,
  };
}

/**
 * (B/C/D) jitSso with one SAML provider on `store`. With `stubProvisioning` (B0, for attribution),
 * the provider's provisioner answers every login at once with a constant user: what is left of B's
 * cost is the checks, the replay cache, jit-sso's routes and its session record.
 */
export function jitApp({ idpCert, store, provisioning, userCache, claimMap, samlOptions = {}, stubProvisioning = false }) {
  const app = express();
  app.use(session(SESSION));
  const middleware = jitSso({
    store,
    providers: [samlProvider({ ...samlProviderOptions(idpCert), ...(claimMap ? { claimMap } : {}), ...samlOptions })],
    provisioning: provisioning ?? { createUsers: true, sync: 'every-login' },
    logger: silentLogger,
    ...(userCache !== undefined ? { userCache } : {}),
  });
  if (stubProvisioning) {
    for (const provisioner of middleware.provisioners.values()) provisioner.provisionClaims = constantProvisioner().provisionClaims;
  }
  app.use(middleware);
  app.get('/me', requireAuth(), (req, res) => res.json(meBody(currentUser(req))));
  return { app, middleware };
}

export { APP_ROLES };
