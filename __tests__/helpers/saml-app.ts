/**
 * An Express app (4 or 5) with express-session, jitSso and one SAML provider backed by the local
 * test IdP, plus a helper that walks a real SP-initiated login.
 */
import express5 from 'express';
import express4 from 'express4';
import session from 'express-session';
import request from 'supertest';
import { jitSso, type JitSsoOptions } from '../../lib/express/jit-sso.js';
import { currentUser } from '../../lib/express/context.js';
import { requireAuth, requireRole } from '../../lib/express/guards.js';
import { silentLogger } from '../../lib/internal/logger.js';
import { samlProvider, type SamlProviderOptions } from '../../lib/providers/saml/saml-provider.js';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import type { AuditEvent } from '../../lib/store/user-store.js';
import { createTestSamlIdp, generateTestKeys } from '../../lib/testing/saml-idp.js';
import type { CreateSamlResponseOptions, TestSamlIdp, TestSamlKeys, TestUser } from '../../lib/testing/saml-idp-types.js';

export const SP_ENTITY_ID = 'https://app.test/saml';
export const CALLBACK_URL = 'https://app.test/auth/entra/callback';
export const IDP_ISSUER = 'https://idp.test.local/saml';
export const IDP_ENTRY = 'https://idp.test.local/saml/sso';
export const TENANT = '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f';

export const USERS: TestUser[] = [
  { id: 'oid-alice', username: 'alice.johnson@contoso.com', email: 'alice.johnson@contoso.com', firstName: 'Alice', lastName: 'Johnson', displayName: 'Alice Johnson', groups: ['Sales'], roles: ['Invoice.Reader'], tenant: TENANT },
  { id: 'oid-bob', username: 'bob@contoso.com', displayName: 'Bob Stone', roles: ['Invoice.Approver', 'NotInApp'], tenant: TENANT },
];

let keys: Promise<TestSamlKeys> | undefined;

/** One IdP key pair per test file (generating RSA keys is slow). */
export async function testIdp(users: TestUser[] = USERS): Promise<TestSamlIdp> {
  keys ??= generateTestKeys();
  return createTestSamlIdp({ users: structuredClone(users), issuer: IDP_ISSUER, preset: 'entra-saml', baseUrl: 'https://idp.test.local/saml', keys: await keys });
}

export interface SamlAppOptions {
  express?: 4 | 5;
  provider?: Partial<SamlProviderOptions>;
  jitSso?: Partial<JitSsoOptions>;
  idp?: TestSamlIdp;
  store?: MemoryUserStore;
  session?: boolean;
  /** The express-session store. @default express-session's MemoryStore */
  sessionStore?: session.Store;
}

export async function samlApp(options: SamlAppOptions = {}) {
  const idp = options.idp ?? (await testIdp());
  const store = options.store ?? new MemoryUserStore({ roles: ['Admin', 'Invoice.Reader', 'Invoice.Approver', 'Employee', 'Seller'] });
  const events: AuditEvent[] = [];
  const express = (options.express === 4 ? express4 : express5) as typeof express5;
  const app = express();
  if (options.session !== false) app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, name: 'sid', ...(options.sessionStore ? { store: options.sessionStore } : {}) }));
  const middleware = jitSso({
    store,
    providers: [
      samlProvider({
        id: 'entra',
        preset: 'entra-saml',
        entryPoint: IDP_ENTRY,
        idpIssuer: IDP_ISSUER,
        idpCert: idp.certificate,
        spEntityId: SP_ENTITY_ID,
        callbackUrl: CALLBACK_URL,
        ...options.provider,
      }),
    ],
    provisioning: { createUsers: true },
    logger: silentLogger,
    onAudit: (e) => void events.push(e),
    ...options.jitSso,
  });
  app.use(middleware);
  app.get('/me', requireAuth(), (req, res) => res.json(currentUser(req)));
  app.get('/admin', requireRole('Admin'), (_req, res) => res.send('admin area'));
  app.get('/', (_req, res) => res.send('home'));
  return { app, idp, store, events, middleware };
}

/** The RelayState handle of the latest login each agent (browser) started, as the IdP would echo it. */
const startedRelayStates = new WeakMap<object, string>();

/** The RelayState the IdP sends back to `agent`: the handle of the login it started last, if any. */
export function relayStateOf(agent: object): string | undefined {
  return startedRelayStates.get(agent);
}

/**
 * Starts a login and returns the AuthnRequest's id, the RelayState the SP sent (the opaque handle
 * of the login, bound to this agent's browser cookie) and that cookie (`name=value`).
 */
export async function startLogin(agent: ReturnType<typeof request.agent>, returnTo = '/me') {
  const res = await agent.get(`/auth/entra/login?returnTo=${encodeURIComponent(returnTo)}`).expect(302);
  const location = new URL(res.headers.location as string);
  const relayState = location.searchParams.get('RelayState') ?? undefined;
  if (relayState !== undefined) startedRelayStates.set(agent, relayState);
  const setCookies = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
  const cookie = setCookies.map((c) => c.split(';')[0]!).find((c) => /^(__Host-)?jit-sso-saml=/.test(c));
  return { location, samlRequest: location.searchParams.get('SAMLRequest')!, relayState, cookie, setCookies };
}

/**
 * A whole SP-initiated login: login → IdP response for `user` → ACS. Returns the ACS response.
 * The IdP echoes the login's RelayState unless `relayState` replaces it (`null`: none posted).
 */
export async function login(
  ctx: { app: express5.Express; idp: TestSamlIdp },
  user: string,
  options: { agent?: ReturnType<typeof request.agent>; returnTo?: string; response?: Partial<CreateSamlResponseOptions>; relayState?: string | null } = {},
) {
  const agent = options.agent ?? request.agent(ctx.app);
  const started = await startLogin(agent, options.returnTo);
  const authn = ctx.idp.parseAuthnRequest(started.samlRequest);
  const response = ctx.idp.createResponse({ user, acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id, ...options.response });
  const relayState = options.relayState === undefined ? started.relayState : options.relayState;
  const res = await agent
    .post('/auth/entra/callback')
    .type('form')
    .send({ SAMLResponse: response.base64, ...(relayState === null || relayState === undefined ? {} : { RelayState: relayState }) });
  return { agent, res, authn, response, started };
}
