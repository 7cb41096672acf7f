/**
 * The authorization-code flow of one OIDC provider as a Passport strategy: the login redirect
 * (state, nonce, PKCE S256 — all three always) and the callback (openid-client's validation, then
 * jit-sso's checks, userinfo, group overage, provisioning).
 * @module
 */
import type { Request } from 'express';
import type { Strategy, StrategyCreated } from 'passport';
import { isJitSsoError, JitSsoError } from '../../errors.js';
import { toIdentity } from '../../identity/to-identity.js';
import type { Identity } from '../../identity/types.js';
import type { Logger } from '../../internal/logger.js';
import { bindReturnTo } from '../../internal/pending-logins.js';
import { isPlainRecord } from '../../internal/safe-object.js';
import { loginContextOf } from '../../provisioning/audit.js';
import type { JitProvisioner } from '../../provisioning/jit-provision.js';
import type { SsoSessionInfo } from '../types.js';
import { checkIdToken, oidcRefusal } from './oidc-checks.js';
import { isUnreachable, jitSsoCause, messageOf, type DiscoveredIdp } from './oidc-client.js';
import type { ResolvedOidcOptions } from './oidc-options.js';
import { rememberLogin, takeLogin, type PendingLogin } from './oidc-session.js';

/** The Passport `authenticate` option that makes the strategy start a login rather than finish one. */
export const LOGIN_OPTION = 'jitSsoOidcLogin';

export { boundReturnTo } from '../../internal/pending-logins.js';

interface FlowContext {
  o: ResolvedOidcOptions;
  ready(): Promise<DiscoveredIdp>;
  provisioner: JitProvisioner;
  logger: Logger;
}

type Verdict =
  | { kind: 'success'; user: Express.User; info: Record<string, unknown> }
  | { kind: 'fail'; info: Record<string, unknown> }
  | { kind: 'error'; error: Error }
  | { kind: 'redirect'; url: string };

/** The Passport strategy of one OIDC provider, registered under its id. */
export function oidcStrategy(ctx: FlowContext): Strategy {
  return {
    name: ctx.o.id,
    authenticate(this: StrategyCreated<Strategy>, req: Request, options?: Record<string, unknown>) {
      const login = options?.[LOGIN_OPTION] as { returnTo: string } | undefined;
      const run = login ? startLogin(ctx, req, login.returnTo) : finishLogin(ctx, req);
      run.then(
        (verdict) => {
          if (verdict.kind === 'redirect') return this.redirect(verdict.url, 302);
          if (verdict.kind === 'success') return this.success(verdict.user, verdict.info);
          if (verdict.kind === 'fail') return this.fail(verdict.info);
          return this.error(verdict.error);
        },
        (err: unknown) => this.error(err instanceof Error ? err : new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { cause: err })),
      );
    },
  };
}

async function startLogin({ o, ready, logger }: FlowContext, req: Request, returnTo: string): Promise<Verdict> {
  let idp: DiscoveredIdp;
  try {
    idp = await ready();
  } catch (err) {
    const error = asError(err);
    logger.error({ provider: o.id, code: error.code, reason: error.details.reason }, 'OIDC discovery failed');
    return { kind: 'error', error };
  }
  const { client, config } = idp;
  const codeVerifier = client.randomPKCECodeVerifier();
  const pending: PendingLogin = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier, returnTo, startedAt: Date.now() };
  if (!rememberLogin(req, o.id, pending, o.loginTimeoutMs)) {
    return { kind: 'error', error: new JitSsoError('ERR_JIT_SSO_SESSION_REQUIRED') };
  }
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: o.callbackUrl,
    scope: o.scope,
    response_type: 'code',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  });
  return { kind: 'redirect', url: url.href };
}

async function finishLogin(ctx: FlowContext, req: Request): Promise<Verdict> {
  const { o } = ctx;
  try {
    const params = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    const states = params.getAll('state');
    if (states.length !== 1) throw oidcRefusal(states.length ? 'more than one state parameter' : 'state missing from the callback');
    const pending = takeLogin(req, o.id, states[0]!);
    if (!pending) throw oidcRefusal('state does not match a login this session started with this provider');
    if (Date.now() - pending.startedAt > o.loginTimeoutMs) throw oidcRefusal('login took too long');
    if (typeof pending.codeVerifier !== 'string' || !pending.codeVerifier) throw oidcRefusal('PKCE code_verifier missing from the session');
    if (typeof pending.nonce !== 'string' || !pending.nonce) throw oidcRefusal('nonce missing from the session');
    bindReturnTo(req, pending.returnTo);

    const idp = await ctx.ready();
    const claims = await exchange(ctx, idp, params, pending);
    const result = await ctx.provisioner.provisionClaims(claims, loginContextOf(req));
    if (result.error || !result.user) {
      const error = result.error ?? new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED');
      return { kind: 'fail', info: { code: error.code, message: error.message, audited: true } };
    }
    const session: SsoSessionInfo = { provider: o.id };
    return { kind: 'success', user: result.user as unknown as Express.User, info: { session, outcome: result.outcome } };
  } catch (thrown) {
    const err = jitSsoCause(thrown) ?? thrown;
    if (isJitSsoError(err) && err.status < 500) return { kind: 'fail', info: { code: err.code, message: err.message, reason: err.details.reason } };
    if (isJitSsoError(err)) return { kind: 'error', error: err }; // the router logs it with its reason
    if (isUnreachable(err)) return { kind: 'error', error: new JitSsoError('ERR_JIT_SSO_IDP_UNAVAILABLE', { cause: err, details: { reason: messageOf(err) } }) };
    // openid-client refused the response: state, code, PKCE, signature, iss, aud, exp, nonce, …
    return { kind: 'fail', info: { code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: messageOf(err) } };
  }
}

/** Code → tokens, validated by openid-client and then by jit-sso; returns the claims to provision. */
async function exchange(ctx: FlowContext, idp: DiscoveredIdp, params: URLSearchParams, pending: PendingLogin): Promise<Record<string, unknown>> {
  const { o } = ctx;
  const { client, config } = idp;
  const currentUrl = new URL(o.callbackUrl);
  for (const [key, value] of params) currentUrl.searchParams.append(key, value);
  const tokens = await client.authorizationCodeGrant(config, currentUrl, {
    pkceCodeVerifier: pending.codeVerifier,
    expectedNonce: pending.nonce,
    expectedState: pending.state,
    idTokenExpected: true,
  });
  const idClaims = tokens.claims();
  if (typeof tokens.id_token !== 'string' || !idClaims) throw oidcRefusal('no ID token in the token response');
  const idTokenClaims = { ...idClaims } as Record<string, unknown>;
  checkIdToken(tokens.id_token, idTokenClaims, o, idp, { nonce: pending.nonce, nowMs: Date.now() });

  let claims = idTokenClaims;
  if (o.userinfo) {
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
    // The signed ID token wins over userinfo for every claim both carry.
    claims = { ...(userinfo as Record<string, unknown>), ...idTokenClaims };
  }
  return withResolvedGroups(ctx, claims, tokens.access_token);
}

/** Entra group overage: asks `resolveGroups` for the groups the token left out. */
async function withResolvedGroups({ o }: FlowContext, claims: Record<string, unknown>, accessToken: string): Promise<Record<string, unknown>> {
  if (!o.resolveGroups) return claims;
  let identity: Identity;
  try {
    identity = toIdentity(claims, { preset: o.preset, provider: o.id, ...(o.claimMap ? { claimMap: o.claimMap } : {}) });
  } catch {
    return claims; // the provisioner refuses these claims and audits why
  }
  if (!identity.groupsOverage) return claims;
  let groups: unknown;
  try {
    groups = await o.resolveGroups(identity, { accessToken, claims: Object.freeze({ ...claims }) });
  } catch (cause) {
    // Graph (or whatever the hook asks) is down: an infrastructure failure, not a refusal.
    throw new JitSsoError('ERR_JIT_SSO_IDP_UNAVAILABLE', { cause, details: { reason: `resolveGroups failed: ${messageOf(cause)}` } });
  }
  if (groups === undefined) return claims;
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path: 'resolveGroups', reason: 'resolveGroups must return string[] or undefined' } });
  }
  const { _claim_names: names, _claim_sources: sources, hasgroups: _implicitFlowHint, ...rest } = claims;
  const remaining = isPlainRecord(names) ? Object.fromEntries(Object.entries(names).filter(([name]) => name !== 'groups')) : {};
  return { ...rest, ...(Object.keys(remaining).length ? { _claim_names: remaining, _claim_sources: sources } : {}), groups };
}

function asError(err: unknown): JitSsoError {
  if (isJitSsoError(err)) return err;
  return new JitSsoError('ERR_JIT_SSO_IDP_UNAVAILABLE', { cause: err, details: { reason: messageOf(err) } });
}
