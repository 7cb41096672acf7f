/**
 * A local OpenID provider for tests and the example app (`jit-sso/testing`), on oidc-provider,
 * in-process on 127.0.0.1: authorization code flow with PKCE, standard or Entra-shaped claims,
 * programmatic login, and ID-token tampering for security tests.
 *
 * WARNING: a test tool. It signs anyone in as anyone, with no password, and forges tokens on
 * request. Never run it in production.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Jose from 'jose';
import { JitSsoError } from '../errors.js';
import { memoryAdapter } from './oidc-provider-adapter.js';
import { claimsConfig, claimsFor } from './oidc-provider-claims.js';
import { handleInteraction, type InteractionApi } from './oidc-provider-pages.js';
import { generateSigningJwk, publicJwk, signingKeys, tamperIdToken, type SigningKeys } from './oidc-provider-tamper.js';
import {
  TEST_OIDC_AUTH_METHODS,
  TEST_OIDC_CLAIM_SHAPES,
  type IdTokenTamper,
  type TestOidcClient,
  type TestOidcProvider,
  type TestOidcProviderOptions,
  type TestOidcUser,
} from './oidc-provider-types.js';

export * from './oidc-provider-types.js';
export { ENTRA_JWT_GROUP_LIMIT } from './oidc-provider-claims.js';

/** The slice of oidc-provider used here (it ships no types). */
interface OidcProviderInstance extends InteractionApi {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  Grant: new (init: { clientId: string; accountId: string }) => { addOIDCScope(scope: string): void; save(): Promise<string> };
}
interface KoaContext {
  status: number;
  body: unknown;
  oidc?: { route?: string };
}
interface GrantContext {
  oidc: { client: { clientId: string }; session: { accountId: string }; params: Record<string, unknown>; provider: OidcProviderInstance };
}
type OidcProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProviderInstance;

// Loaded on start(): both packages are ESM-only, and `require('jit-sso/testing')` must not load them.
const OIDC_PROVIDER = 'oidc-provider';

function invalid(path: string, message: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: `Test OIDC provider: ${message}`, details: { path } });
}

function checkUser(user: TestOidcUser, path: string): TestOidcUser {
  if (!user || typeof user !== 'object') throw invalid(path, 'a user must be an object.');
  for (const key of ['id', 'username'] as const) {
    if (typeof user[key] !== 'string' || user[key].trim() === '') throw invalid(`${path}.${key}`, `a user needs a non-empty ${key}.`);
  }
  for (const key of ['groups', 'roles'] as const) {
    const list = user[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((v) => typeof v === 'string'))) throw invalid(`${path}.${key}`, `${key} must be a list of strings.`);
  }
  return structuredClone(user);
}

function clientMetadata(client: TestOidcClient, index: number): Record<string, unknown> {
  const path = `clients[${index}]`;
  if (typeof client?.clientId !== 'string' || !client.clientId) throw invalid(`${path}.clientId`, 'a client needs a clientId.');
  if (!Array.isArray(client.redirectUris) || client.redirectUris.length === 0) throw invalid(`${path}.redirectUris`, 'a client needs redirect URIs.');
  const method = client.tokenEndpointAuthMethod ?? (client.jwks ? 'private_key_jwt' : 'client_secret_basic');
  if (!(TEST_OIDC_AUTH_METHODS as readonly string[]).includes(method)) throw invalid(`${path}.tokenEndpointAuthMethod`, `use one of ${TEST_OIDC_AUTH_METHODS.join(', ')}.`);
  if (method === 'private_key_jwt' ? !client.jwks : !client.clientSecret) throw invalid(path, `${method} needs ${method === 'private_key_jwt' ? 'jwks' : 'clientSecret'}.`);
  return {
    client_id: client.clientId,
    ...(client.clientSecret ? { client_secret: client.clientSecret } : {}),
    ...(client.jwks ? { jwks: client.jwks } : {}),
    redirect_uris: [...client.redirectUris],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: method,
  };
}

/**
 * A fresh RS256 signing key as a private JWK (with `kid`), for `signingKey`: generate one per test
 * file and share it, since generating RSA keys is slow.
 * @example
 * const signingKey = await generateTestSigningJwk();
 * const op = createTestOidcProvider({ users, clients, signingKey });
 */
export async function generateTestSigningJwk(): Promise<JsonWebKey> {
  return generateSigningJwk((await import('jose')) as typeof Jose);
}

/** Drops oidc-provider's session cookie, so that every authorization request asks who signs in. */
function withoutOpSession(cookie: string | undefined): string | undefined {
  return cookie?.split(/;\s*/).filter((c) => !/^_session(\.sig)?=/.test(c)).join('; ');
}

/**
 * Creates a local OpenID provider; call `start()` before use and `close()` after.
 *
 * WARNING: tests and local development only. It signs anyone in as anyone without a password and
 * forges tokens on request; never run it where real users can reach it.
 *
 * Authorization requests need PKCE (S256). Each authorization request shows a page to pick a user
 * (for the example app) unless a test armed one with `login()` or `authorize()`.
 * @example
 * const op = createTestOidcProvider({
 *   users: [{ id: 'oid-alice', username: 'alice@contoso.com', tenant, roles: ['Invoice.Reader'] }],
 *   clients: [{ clientId: 'app', clientSecret: 's3cret', redirectUris: ['https://app.test/auth/entra/callback'] }],
 *   claimsShape: 'entra',
 * });
 * await op.start();
 * op.tamperNextIdToken((claims) => ({ claims: { ...claims, aud: 'someone-else' } }));
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md
 */
export function createTestOidcProvider(options: TestOidcProviderOptions): TestOidcProvider {
  if (!options || typeof options !== 'object') throw invalid('options', 'options are required.');
  const users = new Map<string, TestOidcUser>();
  (options.users ?? []).forEach((u, i) => {
    const user = checkUser(u, `users[${i}]`);
    if (users.has(user.id)) throw invalid(`users[${i}].id`, `duplicate user id "${user.id}".`);
    users.set(user.id, user);
  });
  const clients = (options.clients ?? []).map(clientMetadata);
  if (clients.length === 0) throw invalid('clients', 'register at least one client.');
  const shape = options.claimsShape ?? 'standard';
  if (!(TEST_OIDC_CLAIM_SHAPES as readonly string[]).includes(shape)) throw invalid('claimsShape', `use one of ${TEST_OIDC_CLAIM_SHAPES.join(', ')}.`);
  const basePath = options.issuer ?? '';
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(basePath)) throw invalid('issuer', "the issuer is a path such as '/contoso/v2.0' (no trailing slash).");

  let server: Server | undefined;
  let issuer: string | undefined;
  let keys: SigningKeys | undefined;
  let armedNext: string | undefined;
  const armedByState = new Map<string, string>();
  const tampers: IdTokenTamper[] = [];

  const requireUser = (id: string) => {
    if (!users.has(id)) throw invalid('userId', `no user "${id}".`);
    return id;
  };
  const takeArmed = (state: string | undefined) => {
    const byState = state === undefined ? undefined : armedByState.get(state);
    if (byState !== undefined) {
      armedByState.delete(state!);
      return byState;
    }
    const next = armedNext;
    armedNext = undefined;
    return next;
  };

  async function start(): Promise<void> {
    if (server) return;
    const Provider = ((await import(OIDC_PROVIDER)) as { default: OidcProviderClass }).default;
    const jose = (await import('jose')) as typeof Jose;
    keys = signingKeys(jose, options.signingKey ?? (await generateSigningJwk(jose)));
    const listening = createServer();
    await new Promise<void>((resolve, reject) => listening.once('error', reject).listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as AddressInfo;
    issuer = `http://127.0.0.1:${port}${basePath}`;
    const provider = new Provider(issuer, configuration(keys.privateJwk));
    provider.use(async (ctx, next) => {
      await next();
      const body = ctx.body as Record<string, unknown> | undefined;
      if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || typeof body?.id_token !== 'string') return;
      const tamper = tampers.shift();
      if (tamper) body.id_token = await tamperIdToken(body.id_token, tamper, keys!);
    });
    const handle = provider.callback();
    const host = { api: provider, users: () => [...users.values()], takeArmed };
    listening.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      if (basePath && url !== basePath && !url.startsWith(`${basePath}/`) && !url.startsWith(`${basePath}?`)) {
        res.writeHead(404).end();
        return;
      }
      const path = url.slice(basePath.length) || '/';
      Object.assign(req, { originalUrl: url, url: path });
      const pathname = path.split('?')[0]!;
      if (pathname === '/auth' || pathname.startsWith('/auth/')) req.headers.cookie = withoutOpSession(req.headers.cookie);
      handleInteraction(host, req, res, pathname).then(
        (handled) => void (handled || handle(req, res)),
        () => void (res.headersSent || res.writeHead(500).end()),
      );
    });
    server = listening;
  }

  function configuration(privateJwk: JsonWebKey): Record<string, unknown> {
    const attributeNames = [...new Set([...users.values()].flatMap((u) => Object.keys(u.attributes ?? {})))];
    return {
      // Clients live in the adapter rather than in the static `clients` list (see memoryAdapter).
      adapter: memoryAdapter(clients),
      async findAccount(_ctx: unknown, sub: string) {
        if (!users.has(sub)) return undefined;
        return { accountId: sub, claims: async () => claimsFor(users.get(sub) ?? { id: sub, username: sub }, shape) };
      },
      claims: claimsConfig(attributeNames),
      // Scope claims go into the ID token (as Entra, Okta and Keycloak put them), not only userinfo.
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${basePath}/interaction/${interaction.uid}` },
      // First-party test clients: consent to every requested scope without a page.
      async loadExistingGrant(ctx: GrantContext) {
        const { client, session, params, provider } = ctx.oidc;
        const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
        grant.addOIDCScope(typeof params.scope === 'string' ? params.scope : 'openid');
        await grant.save();
        return grant;
      },
      pkce: { required: () => true },
      jwks: { keys: [privateJwk] },
      cookies: { keys: [randomBytes(32).toString('hex')] },
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    };
  }

  async function authorize(authorizationUrl: string, userId?: string): Promise<URL> {
    if (!issuer) throw invalid('start', 'call start() first.');
    let next = new URL(authorizationUrl);
    if (userId !== undefined) {
      requireUser(userId);
      const state = next.searchParams.get('state');
      if (state) armedByState.set(state, userId);
      else armedNext = userId;
    }
    const origin = new URL(issuer).origin;
    const jar = new Map<string, string>();
    for (let hops = 0; hops < 10 && next.origin === origin; hops++) {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const res = await fetch(next, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1);
        if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name);
        else jar.set(name, value);
      }
      const location = res.headers.get('location');
      if (!location) {
        const text = (await res.text()).replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
        throw new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { message: `Test OIDC provider: the authorization request stopped with HTTP ${res.status}: ${text}`, details: { status: res.status } });
      }
      next = new URL(location, next);
    }
    return next;
  }

  return {
    get issuer() {
      if (!issuer) throw invalid('start', 'call start() first.');
      return issuer;
    },
    get discoveryUrl() {
      return `${this.issuer}/.well-known/openid-configuration`;
    },
    get jwks() {
      if (!keys) throw invalid('start', 'call start() first.');
      return { keys: [publicJwk(keys.privateJwk)] };
    },
    start,
    async close() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    listUsers: () => [...users.values()].map((u) => structuredClone(u)),
    getUser: (id) => (users.has(id) ? structuredClone(users.get(id)) : undefined),
    addUser(user) {
      const checked = checkUser(user, 'user');
      if (users.has(checked.id)) throw invalid('user.id', `user "${checked.id}" exists.`);
      users.set(checked.id, checked);
      return structuredClone(checked);
    },
    updateUser(id, patch) {
      const current = users.get(requireUser(id))!;
      const updated = checkUser({ ...current, ...structuredClone(patch), id }, 'patch');
      users.set(id, updated);
      return structuredClone(updated);
    },
    login(userId) {
      armedNext = requireUser(userId);
    },
    authorize,
    tamperNextIdToken(tamper) {
      if (typeof tamper !== 'function') throw invalid('tamper', 'tamperNextIdToken needs a function.');
      tampers.push(tamper);
    },
  };
}
