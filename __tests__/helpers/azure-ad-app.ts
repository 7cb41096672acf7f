/**
 * An Express app (4 or 5) with express-session and jitSso mounting `azureAdProvider()` — the real
 * passport-azure-ad `OIDCStrategy` — against the local test OpenID provider issuing Entra-shaped
 * tokens, reached through an https front (see azure-ad-tls-front.ts for why), plus a browser that
 * walks a login.
 */
import type { JsonWebKey } from 'node:crypto';
import { expect } from '@jest/globals';
import express5 from 'express';
import express4 from 'express4';
import session from 'express-session';
import request from 'supertest';
import { azureAdProvider, type AzureAdProviderOptions } from '../../lib/azure-ad/index.js';
import { currentUser } from '../../lib/express/context.js';
import { requireAuth } from '../../lib/express/guards.js';
import { jitSso, type JitSsoOptions } from '../../lib/express/jit-sso.js';
import { silentLogger } from '../../lib/internal/logger.js';
import { MemoryUserStore } from '../../lib/store/memory-store.js';
import type { AuditEvent } from '../../lib/store/user-store.js';
import { createTestOidcProvider, generateTestSigningJwk, type IdTokenTamper, type TestOidcProvider, type TestOidcUser } from '../../lib/testing/oidc-provider.js';
import { startTlsFront, type TlsFront } from './azure-ad-tls-front.js';

export const AZ_CLIENT_ID = 'jit-sso-azure-app';
export const AZ_CLIENT_SECRET = 'azure-test-client-secret-0123456789';
export const CONTOSO = '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f';
export const FABRIKAM = '5f1e2d3c-4b5a-4697-8899-aabbccddeeff';
export const PROVIDER_ID = 'azure';
export const REDIRECT_URL = `https://app.test/auth/${PROVIDER_ID}/callback`;

export const ENTRA_USERS: TestOidcUser[] = [
  { id: 'oid-alice', username: 'alice.johnson@contoso.com', email: 'alice.johnson@contoso.com', firstName: 'Alice', lastName: 'Johnson', displayName: 'Alice Johnson', roles: ['Invoice.Reader'], tenant: CONTOSO },
  { id: 'oid-bob', username: 'bob@contoso.com', displayName: 'Bob Stone', roles: ['Invoice.Approver'], tenant: CONTOSO },
  { id: 'oid-mallory', username: 'mallory@fabrikam.com', displayName: 'Mallory', roles: ['Admin'], tenant: FABRIKAM },
];

let signingKey: Promise<JsonWebKey> | undefined;
const running: Array<{ close(): Promise<void> }> = [];

export interface EntraFixture {
  op: TestOidcProvider;
  front: TlsFront;
}

/**
 * A started test provider with Entra-shaped claims and its https front. Tenant-specific by default
 * (issuer `…/{CONTOSO}/v2.0`); `multiTenant` imitates the `organizations` metadata.
 */
export async function entraFixture(options: { multiTenant?: boolean } = {}): Promise<EntraFixture> {
  signingKey ??= generateTestSigningJwk();
  const key = await signingKey;
  const op = createTestOidcProvider({
    users: structuredClone(ENTRA_USERS),
    clients: [{ clientId: AZ_CLIENT_ID, clientSecret: AZ_CLIENT_SECRET, redirectUris: [REDIRECT_URL], tokenEndpointAuthMethod: 'client_secret_post' }],
    issuer: options.multiTenant ? '/organizations/v2.0' : `/${CONTOSO}/v2.0`,
    claimsShape: 'entra',
    signingKey: key,
  });
  await op.start();
  running.push(op);
  const front = await startTlsFront(op, { signingKey: key, ...(options.multiTenant ? { multiTenant: true } : {}) });
  running.push(front);
  return { op, front };
}

/** Stops every provider and front started here (use in `afterEach`). */
export async function closeEntra(): Promise<void> {
  for (const item of running.splice(0).reverse()) await item.close();
}

/** `azureAdProvider` options for the fixture's metadata. */
export function azureOptions(fixture: EntraFixture, overrides: Partial<AzureAdProviderOptions> = {}): AzureAdProviderOptions {
  return { id: PROVIDER_ID, identityMetadata: fixture.front.identityMetadata, clientID: AZ_CLIENT_ID, clientSecret: AZ_CLIENT_SECRET, redirectUrl: REDIRECT_URL, ...overrides };
}

export interface AzureAppOptions {
  express?: 4 | 5;
  multiTenant?: boolean;
  provider?: Partial<AzureAdProviderOptions>;
  jitSso?: Partial<JitSsoOptions>;
  /** `false`: no express-session (a misconfigured app). */
  session?: false;
}

export async function azureApp(options: AzureAppOptions = {}) {
  const fixture = await entraFixture({ ...(options.multiTenant ? { multiTenant: true } : {}) });
  const store = new MemoryUserStore({ roles: ['Admin', 'Invoice.Reader', 'Invoice.Approver'] });
  const sessions = new session.MemoryStore();
  const events: AuditEvent[] = [];
  const express = (options.express === 4 ? express4 : express5) as typeof express5;
  const app = express();
  if (options.session !== false) app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, name: 'sid', store: sessions }));
  const provider = azureAdProvider(azureOptions(fixture, options.provider));
  app.use(
    jitSso({
      store,
      providers: [provider],
      // Explicit, as a provider that trusts several tenants requires (the as-is default is refused there).
      provisioning: { createUsers: true, unmappedRoles: 'as-is' },
      logger: silentLogger,
      onAudit: (e) => void events.push(e),
      ...options.jitSso,
    }),
  );
  app.get('/me', requireAuth(), (req, res) => res.json(currentUser(req)));
  return { ...fixture, app, store, events, sessions, provider };
}

export type AzureCtx = Awaited<ReturnType<typeof azureApp>>;
export type Agent = ReturnType<typeof request.agent>;

/** What the provider sends the browser back with: a redirect to the callback, or a form to post to it. */
export type AuthorizationResponse = { method: 'GET'; url: URL } | { method: 'POST'; url: URL; form: Record<string, string> };

/**
 * Plays the browser at the provider: the authorization URL passport-azure-ad made points at the
 * https front; the browser goes to the provider's own http origin, signs `userId` in, and returns
 * the redirect to the callback (`response_mode=query`) or the auto-submitting form (`form_post`).
 */
export async function authorizeAt(fixture: EntraFixture, authorizationUrl: URL, userId: string): Promise<AuthorizationResponse> {
  const opOrigin = new URL(fixture.op.issuer).origin;
  let next = new URL(authorizationUrl.pathname + authorizationUrl.search, opOrigin);
  fixture.op.login(userId);
  const jar = new Map<string, string>();
  for (let hops = 0; hops < 10; hops++) {
    if (next.origin !== opOrigin) return { method: 'GET', url: next };
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const res = await fetch(next, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (/expires=Thu, 01 Jan 1970/i.test(line) || eq === pair.length - 1) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (location) {
      next = new URL(location, next);
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/i.exec(html)?.[1];
    if (!action) throw new Error(`the provider stopped with HTTP ${res.status}: ${html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 200)}`);
    const form = Object.fromEntries([...html.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)].map((m) => [unescapeHtml(m[1]!), unescapeHtml(m[2]!)]));
    return { method: 'POST', url: new URL(unescapeHtml(action)), form };
  }
  throw new Error('too many redirects at the provider');
}

function unescapeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Starts a login at `/auth/azure/login`; returns the authorization URL passport-azure-ad redirected to. */
export async function startAzureLogin(agent: Agent, returnTo = '/me'): Promise<URL> {
  const res = await agent.get(`/auth/${PROVIDER_ID}/login?returnTo=${encodeURIComponent(returnTo)}`).expect(302);
  return new URL(res.headers.location as string);
}

/** Sends the authorization response to the app, as the browser would (following neither redirect). */
export function deliver(agent: Agent, response: AuthorizationResponse) {
  const path = response.url.pathname + response.url.search;
  if (response.method === 'GET') return agent.get(path).set('Accept', 'text/html');
  return agent.post(path).type('form').send(response.form).set('Accept', 'text/html');
}

/**
 * A whole login: app login → the provider signs `userId` in → the app's callback. `tamper` changes
 * the next ID token at the provider (before the front adds `typ` and signs it again in kind).
 */
export async function azureLogin(ctx: AzureCtx, userId: string, options: { agent?: Agent; returnTo?: string; tamper?: IdTokenTamper; edit?: (response: AuthorizationResponse) => AuthorizationResponse } = {}) {
  const agent = options.agent ?? request.agent(ctx.app);
  const authorizationUrl = await startAzureLogin(agent, options.returnTo);
  if (options.tamper) ctx.op.tamperNextIdToken(options.tamper);
  const response = await authorizeAt(ctx, authorizationUrl, userId);
  const res = await deliver(agent, options.edit?.(response) ?? response);
  return { agent, res, authorizationUrl, response };
}

/** Asserts nobody is signed in on `agent`. */
export async function expectSignedOut(agent: Agent): Promise<void> {
  const me = await agent.get('/me').set('Accept', 'application/json');
  expect(me.status).toBe(401);
  expect(me.body).toEqual({ error: expect.objectContaining({ code: 'ERR_JIT_SSO_NOT_AUTHENTICATED' }) });
}

/** The logins in progress jit-sso stored for the provider in every session, and passport-azure-ad's tuples. */
export async function storedLogins(sessions: session.MemoryStore): Promise<{ pending: Array<Record<string, unknown>>; tuples: Array<Record<string, unknown>> }> {
  const pending: Array<Record<string, unknown>> = [];
  const tuples: Array<Record<string, unknown>> = [];
  await editSessions(sessions, (data) => {
    pending.push(...(((data.jitSsoAzureAd as Record<string, unknown> | undefined)?.[PROVIDER_ID] as Array<Record<string, unknown>> | undefined) ?? []));
    tuples.push(...(((data[`jitSsoAzureAdState:${PROVIDER_ID}`] as { content?: Array<Record<string, unknown>> } | undefined)?.content) ?? []));
  });
  return { pending, tuples };
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
