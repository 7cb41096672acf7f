/**
 * The Passport strategy of one azure-ad provider: a thin shell around passport-azure-ad's
 * `OIDCStrategy` that adds what it lacks — PKCE S256, a session check, a `returnTo` bound to the
 * login, a strict callback shape — and turns its string failures into jit-sso refusals.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { Strategy, StrategyCreated } from 'passport';
import { isJitSsoError, JitSsoError, messageFor, type ErrorCode } from '../errors.js';
import type { Logger } from '../internal/logger.js';
import { bindReturnTo } from '../internal/pending-logins.js';
import type { ResolvedAzureAdOptions } from './azure-ad-options.js';
import { rememberLogin, sessionOf, takeLogin } from './azure-ad-session.js';
import { azureAdRefusal } from './azure-ad-verify.js';
import type { OidcStrategyInstance, StrategyActions } from './load-passport-azure-ad.js';

/** The Passport `authenticate` option that makes the strategy start a login rather than finish one. */
export const LOGIN_OPTION = 'jitSsoAzureAdLogin';

/** passport-azure-ad puts `CUSTOM` and 32 random characters before a custom state. */
const CUSTOM_STATE_PREFIX = 'CUSTOM';
const CUSTOM_STATE_OFFSET = 38;

/** Parameters an authorization-code response may carry; `id_token` and tokens never (no hybrid or implicit flow). */
const CALLBACK_PARAMS = new Set(['code', 'state', 'error', 'error_description', 'error_uri', 'session_state', 'iss', 'client_info']);

/** passport-azure-ad failures that mean Entra (metadata, keys) could not be reached, not that it said no. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|socket hang up|Cannot get AAD|failed to load metadata|certificate|self[- ]signed/i;

export { boundReturnTo } from '../internal/pending-logins.js';

interface FlowContext {
  o: ResolvedAzureAdOptions;
  /** passport-azure-ad's strategy, built on first use. */
  strategy(): Promise<OidcStrategyInstance>;
  logger: Logger;
}

/**
 * The parameters of a callback: from the query (`responseMode: 'query'`) or the posted form
 * (`'form_post'`), each at most once and a string, `state` always, `code` or `error`, nothing else
 * that would steer passport-azure-ad into another flow.
 * @throws JitSsoError `ERR_JIT_SSO_AUTHENTICATION_FAILED`
 */
export function callbackParams(req: Request, o: Pick<ResolvedAzureAdOptions, 'responseMode'>): Record<string, string> {
  const expected = o.responseMode === 'query' ? 'GET' : 'POST';
  if (req.method !== expected) throw azureAdRefusal(`callback by ${req.method}, expected ${expected} (responseMode ${o.responseMode})`);
  const query = req.originalUrl.split('?')[1] ?? '';
  // passport-azure-ad reads the query before the body: a form_post callback must have none.
  if (expected === 'POST' && query) throw azureAdRefusal('form_post callback with a query string');
  const entries: Array<[string, unknown]> = expected === 'GET' ? [...new URLSearchParams(query)] : Object.entries((req.body ?? {}) as Record<string, unknown>);
  const params: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!CALLBACK_PARAMS.has(name)) throw azureAdRefusal(`unexpected callback parameter "${name.slice(0, 40)}"`);
    if (Object.hasOwn(params, name) || typeof value !== 'string') throw azureAdRefusal(`callback parameter "${name}" repeated or not a string`);
    params[name] = value;
  }
  if (expected === 'GET') {
    // The parsed query (qs on Express 4) is what passport-azure-ad reads: it must agree.
    const parsed = (req.query ?? {}) as Record<string, unknown>;
    for (const name of ['state', 'code', 'error']) if (parsed[name] !== params[name]) throw azureAdRefusal(`callback parameter "${name}" is malformed`);
  }
  if (!params.state) throw azureAdRefusal('state missing from the callback');
  if (!params.code === !params.error) throw azureAdRefusal('callback carries neither a code nor an error, or both');
  return params;
}

/** The Passport strategy of one azure-ad provider, registered under its id. */
export function azureAdStrategy(ctx: FlowContext): Strategy {
  return {
    name: ctx.o.id,
    authenticate(this: StrategyCreated<Strategy>, req: Request, options?: Record<string, unknown>) {
      const login = options?.[LOGIN_OPTION] as { returnTo: string } | undefined;
      const actions = once(this, ctx);
      (login ? startLogin(ctx, actions, req, login.returnTo) : finishLogin(ctx, actions, req)).catch((err: unknown) => actions.error(err));
    },
  };
}

async function startLogin(ctx: FlowContext, actions: StrategyActions, req: Request, returnTo: string): Promise<void> {
  const { o } = ctx;
  // passport-azure-ad would quietly put its state into a throw-away object instead.
  if (!sessionOf(req)) return actions.error(new JitSsoError('ERR_JIT_SSO_SESSION_REQUIRED'));
  const inner = await ctx.strategy();
  const key = randomBytes(24).toString('base64url');
  const codeVerifier = randomBytes(32).toString('base64url');
  rememberLogin(req, o.id, { key, codeVerifier, returnTo, startedAt: Date.now() }, o.loginTimeoutMs);
  // The login route always starts a login: `?code=…` on it must not make passport-azure-ad finish one.
  const clean = Object.create(req, { query: { value: {} }, body: { value: {} } }) as Request;
  delegate(inner, actions, clean, {
    customState: key,
    extraAuthReqQueryParams: { code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'), code_challenge_method: 'S256' },
  });
}

async function finishLogin(ctx: FlowContext, actions: StrategyActions, req: Request): Promise<void> {
  const { o } = ctx;
  let codeVerifier: string;
  try {
    const { state } = callbackParams(req, o);
    if (!state!.startsWith(CUSTOM_STATE_PREFIX) || state!.length <= CUSTOM_STATE_OFFSET) throw azureAdRefusal('state was not issued by jit-sso');
    const pending = takeLogin(req, o.id, state!.slice(CUSTOM_STATE_OFFSET));
    if (!pending) throw azureAdRefusal('state does not match a login this session started with this provider');
    if (Date.now() - pending.startedAt > o.loginTimeoutMs) throw azureAdRefusal('login took too long');
    if (typeof pending.codeVerifier !== 'string' || !pending.codeVerifier) throw azureAdRefusal('PKCE code_verifier missing from the session');
    codeVerifier = pending.codeVerifier;
    bindReturnTo(req, pending.returnTo);
  } catch (err) {
    return actions.fail(err);
  }
  const inner = await ctx.strategy();
  delegate(inner, actions, req, { extraTokenReqQueryParams: { code_verifier: codeVerifier } });
}

/** Runs passport-azure-ad's `authenticate` with its outcomes routed through jit-sso's. */
function delegate(inner: OidcStrategyInstance, actions: StrategyActions, req: Request, options: Record<string, unknown>): void {
  const run = Object.create(inner) as OidcStrategyInstance & StrategyActions;
  run.success = (user, info) => actions.success(user, info);
  run.fail = (challenge) => actions.fail(challenge);
  run.redirect = (url, status) => actions.redirect(url, status);
  run.pass = () => actions.pass();
  run.error = (err) => actions.error(err);
  inner.authenticate.call(run, req, options);
}

/**
 * Passport's actions, each outcome at most once (passport-azure-ad can report twice, e.g. when the
 * keys endpoint answers an error), with its string failures turned into jit-sso's refusals.
 */
function once(target: StrategyCreated<Strategy>, { o, logger }: FlowContext): StrategyActions {
  let settled = false;
  const settle =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      if (settled) return;
      settled = true;
      fn(...args);
    };
  return {
    success: settle((user, info) => target.success(user as Express.User, info as object)),
    redirect: settle((url, status) => target.redirect(url, status ?? 302)),
    pass: settle(() => target.pass()),
    // The router answers a jit-sso 5xx with its page, and any other error as a refused login (401).
    error: settle((err) => target.error(err instanceof Error ? err : new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { details: { reason: String(err) } }))),
    fail: settle((challenge) => {
      if (isJitSsoError(challenge)) {
        if (challenge.status >= 500) return target.error(challenge);
        return target.fail({ code: challenge.code, message: challenge.message, reason: challenge.details.reason }, challenge.status);
      }
      if (typeof challenge === 'object' && challenge !== null && typeof (challenge as { code?: unknown }).code === 'string') return target.fail(challenge);
      const reason = `passport-azure-ad: ${typeof challenge === 'string' ? challenge.slice(0, 300) : 'refused the response'}`;
      if (UNREACHABLE.test(reason)) {
        logger.warn({ provider: o.id, reason }, 'Entra ID metadata or keys unreachable');
        return target.error(new JitSsoError('ERR_JIT_SSO_IDP_UNAVAILABLE', { details: { reason } }));
      }
      // On multi-tenant metadata the issuers are exactly the allowed tenants' (checked after the signature).
      const code: ErrorCode = o.multiTenant && o.validateIssuer && /jwt issuer is invalid/.test(reason) ? 'ERR_JIT_SSO_TENANT_NOT_ALLOWED' : 'ERR_JIT_SSO_AUTHENTICATION_FAILED';
      const why = code === 'ERR_JIT_SSO_TENANT_NOT_ALLOWED' ? `ID token iss is not the issuer of a tenant in allowedTenants (${reason})` : reason;
      target.fail({ code, message: messageFor(code), reason: why }, code === 'ERR_JIT_SSO_TENANT_NOT_ALLOWED' ? 403 : 401);
    }),
  };
}
