/**
 * An Express app (4 or 5) with express-session, jitSso and an OIDC provider backed by the local test
 * OpenID provider, plus helpers that walk a real authorization-code login and reach into the
 * session store (to play an attacker who has lost or changed the login's state).
 */
import type { JsonWebKey } from 'node:crypto';
import express5 from 'express';
import express4 from 'express4';
import session from 'express-session';
import request from 'supertest';
import { currentUser } from '../../lib/express/context.js';
import { requireAuth } from '../../lib/express/guards.js';
import { jitSso, type JitSsoOptions } from '../../lib/express/jit-sso.js';
import { silentLogger } from '../../lib/internal/logger.js';
import { oidcProvider, type OidcProviderOptions } from '../../lib/providers/oidc/oidc-provider.js';
import type { SsoProvider } from '../../lib/providers/types.js';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import type { AuditEvent } from '../../lib/store/user-store.js';
import { createTestOidcProvider, generateTestSigningJwk, type IdTokenTamper, type TestOidcProvider, type TestOidcProviderOptions, type TestOidcUser } from '../../lib/testing/oidc-provider.js';

export const CLIENT_ID = 'jit-sso-app';
export const CLIENT_SECRET = 'test-client-secret-0123456789';
export const TENANT = '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f';
export const OTHER_TENANT = '5f1e2d3c-4b5a-4697-8899-aabbccddeeff';

/** The callback URL of provider `id`: one per provider (mix-up defence). */
export const callbackUrl = (id: string) => `https://app.test/auth/${id}/callback`;

export const OIDC_USERS: TestOidcUser[] = [
  { id: 'oid-alice', username: 'alice.johnson@contoso.com', email: 'alice.johnson@contoso.com', emailVerified: true, firstName: 'Alice', lastName: 'Johnson', displayName: 'Alice Johnson', groups: ['Sales'], roles: ['Invoice.Reader'], tenant: TENANT },
  { id: 'oid-bob', username: 'bob@contoso.com', email: 'bob@contoso.com', displayName: 'Bob Stone', roles: ['Invoice.Approver', 'NotInApp'], tenant: TENANT },
];

let signingKey: Promise<JsonWebKey> | undefined;
const started: TestOidcProvider[] = [];

/** A started test OpenID provider with one client per callback id; closed by {@link closeOps}. */
export async function testOp(options: Partial<TestOidcProviderOptions> & { callbackIds?: string[] } = {}): Promise<TestOidcProvider> {
  signingKey ??= generateTestSigningJwk();
  const { callbackIds = ['oidc'], ...rest } = options;
  const op = createTestOidcProvider({
    users: structuredClone(OIDC_USERS),
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: callbackIds.map(callbackUrl) }],
    signingKey: await signingKey,
    ...rest,
  });
  await op.start();
  started.push(op);
  return op;
}

/** Stops every provider {@link testOp} started (use in `afterEach`). */
export async function closeOps(): Promise<void> {
  await Promise.all(started.splice(0).map((op) => op.close()));
}

/** Options of the `oidcProvider()` a test OP serves: issuer, client, callback, insecure http. */
export function providerFor(op: TestOidcProvider, id = 'oidc', overrides: Partial<OidcProviderOptions> = {}): SsoProvider {
  return oidcProvider({ id, issuer: op.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, callbackUrl: callbackUrl(id), allowInsecureRequests: true, ...overrides } as OidcProviderOptions);
}

export interface OidcAppOptions {
  express?: 4 | 5;
  op?: TestOidcProvider;
  provider?: Partial<OidcProviderOptions>;
  /** Providers mounted after the OIDC one (a SAML provider, a second OIDC provider). */
  extraProviders?: SsoProvider[];
  jitSso?: Partial<JitSsoOptions>;
  store?: MemoryUserStore;
}

export async function oidcApp(options: OidcAppOptions = {}) {
  const op = options.op ?? (await testOp());
  const store = options.store ?? new MemoryUserStore({ roles: ['Admin', 'Invoice.Reader', 'Invoice.Approver', 'Employee', 'Sales'] });
  const sessions = new session.MemoryStore();
  const events: AuditEvent[] = [];
  const express = (options.express === 4 ? express4 : express5) as typeof express5;
  const app = express();
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, name: 'sid', store: sessions }));
  const middleware = jitSso({
    store,
    providers: [providerFor(op, 'oidc', options.provider), ...(options.extraProviders ?? [])],
    // Explicit, as a provider that trusts several tenants requires (the as-is default is refused there).
    provisioning: { createUsers: true, unmappedRoles: 'as-is' },
    logger: silentLogger,
    onAudit: (e) => void events.push(e),
    ...options.jitSso,
  });
  app.use(middleware);
  app.get('/me', requireAuth(), (req, res) => res.json(currentUser(req)));
  app.get('/', (_req, res) => res.send('home'));
  return { app, op, store, events, middleware, sessions };
}

export type OidcCtx = Awaited<ReturnType<typeof oidcApp>>;
export type Agent = ReturnType<typeof request.agent>;

/** Starts a login at `/auth/{provider}/login`; returns the authorization URL the app redirected to. */
export async function startOidcLogin(agent: Agent, provider = 'oidc', returnTo = '/me'): Promise<URL> {
  const res = await agent.get(`/auth/${provider}/login?returnTo=${encodeURIComponent(returnTo)}`).expect(302);
  return new URL(res.headers.location as string);
}

/** The path and query of a callback URL, for the app agent. */
export const pathOf = (url: URL) => `${url.pathname}${url.search}`;

/**
 * A whole login: app login → the test OP signs `user` in → the app's callback. `tamper` changes the
 * next ID token; `editCallback` changes the callback URL before the browser follows it.
 */
export async function oidcLogin(
  ctx: { app: express5.Express; op: TestOidcProvider },
  user: string,
  options: { agent?: Agent; provider?: string; returnTo?: string; tamper?: IdTokenTamper; op?: TestOidcProvider; editCallback?: (url: URL) => URL | void } = {},
) {
  const agent = options.agent ?? request.agent(ctx.app);
  const op = options.op ?? ctx.op;
  const authorizationUrl = await startOidcLogin(agent, options.provider, options.returnTo);
  if (options.tamper) op.tamperNextIdToken(options.tamper);
  const returned = await op.authorize(authorizationUrl.href, user);
  const callback = options.editCallback?.(returned) ?? returned;
  const res = await agent.get(pathOf(callback)).set('Accept', 'text/html');
  return { agent, res, authorizationUrl, callback };
}

/** Changes every stored session (a test has one browser at a time). */
export async function editSessions(sessions: session.MemoryStore, edit: (data: Record<string, unknown>) => void): Promise<void> {
  const all = await new Promise<Record<string, session.SessionData>>((resolve, reject) =>
    sessions.all((err, result) => (err ? reject(err) : resolve((result ?? {}) as Record<string, session.SessionData>))),
  );
  for (const [sid, data] of Object.entries(all)) {
    edit(data as unknown as Record<string, unknown>);
    await new Promise<void>((resolve, reject) => sessions.set(sid, data, (err) => (err ? reject(err) : resolve())));
  }
}

/** The logins in progress stored for `provider` in every session. */
export function pendingLogins(data: Record<string, unknown>, provider = 'oidc'): Array<Record<string, unknown>> {
  return ((data.jitSsoOidc as Record<string, unknown> | undefined)?.[provider] as Array<Record<string, unknown>> | undefined) ?? [];
}

/** Entra's multi-tenant endpoint (any work or school account). */
export const ENTRA_ORGANIZATIONS = 'https://login.microsoftonline.com/organizations/v2.0';
/** The issuer of tokens from tenant `tid` on Entra's v2.0 endpoints. */
export const entraIssuer = (tid: unknown) => `https://login.microsoftonline.com/${String(tid)}/v2.0`;

/**
 * A `fetch` that makes the test OP answer for Entra's `organizations` endpoint: its discovery
 * document comes back with Entra's `{tenantid}` issuer template (and, like Entra, without RFC 9207
 * `iss` support); everything else goes to the network as is.
 */
export function entraMultiTenantFetch(op: TestOidcProvider) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    if (url !== `${ENTRA_ORGANIZATIONS}/.well-known/openid-configuration`) return fetch(url, init);
    const doc = (await (await fetch(op.discoveryUrl)).json()) as Record<string, unknown>;
    delete doc.authorization_response_iss_parameter_supported;
    return Response.json({ ...doc, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' });
  };
}

/** `oidcProvider` options for the multi-tenant Entra endpoint served by `op`. */
export function entraMultiTenant(op: TestOidcProvider, allowedTenants: string[] | undefined = [TENANT]): Partial<OidcProviderOptions> {
  return { preset: 'entra-oidc', issuer: ENTRA_ORGANIZATIONS, fetch: entraMultiTenantFetch(op), ...(allowedTenants ? { allowedTenants } : {}) };
}

/**
 * A login through the multi-tenant Entra imitation: the ID token's `iss` is set from its `tid` as
 * Entra does (then `tamper` runs), and the callback carries no `iss` parameter.
 */
export function entraLogin(ctx: OidcCtx, user: string, options: Parameters<typeof oidcLogin>[2] = {}) {
  const tamper = options.tamper;
  return oidcLogin(ctx, user, {
    ...options,
    tamper: (claims, header) => {
      const tenantClaims = { ...claims, iss: entraIssuer(claims.tid) };
      return tamper ? tamper(tenantClaims, header) : { claims: tenantClaims };
    },
    editCallback: (url) => {
      url.searchParams.delete('iss');
      return options.editCallback?.(url) ?? url;
    },
  });
}
