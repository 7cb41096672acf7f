/**
 * passport-azure-ad, loaded on first use: it is an optional peer dependency (deprecated upstream),
 * so neither `require('jit-sso')` nor `import 'jit-sso/azure-ad'` may load it. Only the slice of
 * its `OIDCStrategy` jit-sso drives is typed here, so the published types never name the package.
 * @module
 */
import type { Request } from 'express';
import { JitSsoError } from '../errors.js';

/** What passport-azure-ad's `OIDCStrategy` constructor takes, as jit-sso sets it. */
export interface OidcStrategyConfig {
  identityMetadata: string;
  clientID: string;
  clientSecret: string;
  responseType: 'code';
  responseMode: 'query' | 'form_post';
  redirectUrl: string;
  allowHttpForRedirectUrl: boolean;
  validateIssuer: boolean;
  issuer?: string[];
  passReqToCallback: true;
  scope: string[];
  useCookieInsteadOfSession: false;
  sessionKey: string;
  nonceLifetime: number;
  nonceMaxAmount: number;
  clockSkew: number;
  isB2C: false;
  loggingNoPII: true;
  loggingLevel: 'error';
}

/** The verify callback of arity 9 (with `passReqToCallback`): passport-azure-ad picks the arguments by `length`. */
export type OidcVerify = (
  req: Request,
  iss: string,
  sub: string,
  profile: unknown,
  jwtClaims: Record<string, unknown>,
  accessToken: string | null,
  refreshToken: string | null,
  params: Record<string, unknown> | null,
  done: (err: Error | null, user?: unknown, info?: unknown) => void,
) => void;

/** The Passport strategy passport-azure-ad builds; `authenticate` runs with Passport's action methods on `this`. */
export interface OidcStrategyInstance {
  authenticate(this: OidcStrategyInstance & StrategyActions, req: Request, options?: Record<string, unknown>): void;
}

/** The methods Passport puts on the object a strategy's `authenticate` runs on. */
export interface StrategyActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  redirect(url: string, status?: number): void;
  pass(): void;
  error(err: unknown): void;
}

export type OidcStrategyClass = new (config: OidcStrategyConfig, verify: OidcVerify) => OidcStrategyInstance;

// A variable, so that bundlers leave the import alone and TypeScript needs no types for it.
const PACKAGE = 'passport-azure-ad';
let loading: Promise<OidcStrategyClass> | undefined;

/**
 * Imports passport-azure-ad's `OIDCStrategy` once. A failure is not remembered: the next call tries again.
 * @throws JitSsoError `ERR_JIT_SSO_INVALID_OPTIONS` when the package is not installed
 */
export function loadOidcStrategy(): Promise<OidcStrategyClass> {
  loading ??= importStrategy().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

async function importStrategy(): Promise<OidcStrategyClass> {
  let mod: { OIDCStrategy?: unknown; default?: { OIDCStrategy?: unknown } };
  try {
    mod = (await import(PACKAGE)) as typeof mod;
  } catch (cause) {
    const code = (cause as { code?: unknown })?.code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: missing
        ? 'jit-sso/azure-ad needs passport-azure-ad: npm install passport-azure-ad (an optional peer dependency; consider oidcProvider instead, see the azureAdProvider docs)'
        : 'jit-sso/azure-ad could not load passport-azure-ad',
      details: { path: 'passport-azure-ad', reason: missing ? 'passport-azure-ad is not installed' : 'passport-azure-ad failed to load' },
      cause,
    });
  }
  const Strategy = mod.OIDCStrategy ?? mod.default?.OIDCStrategy;
  if (typeof Strategy !== 'function') {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: 'jit-sso/azure-ad: the installed passport-azure-ad has no OIDCStrategy (use version 4)',
      details: { path: 'passport-azure-ad', reason: 'OIDCStrategy export missing' },
    });
  }
  return Strategy as OidcStrategyClass;
}
