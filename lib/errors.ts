/**
 * The one error class jit-sso throws, and its stable codes.
 *
 * Codes never change once released; match on `code`, never on `message`.
 * @module
 */

/**
 * Every code a {@link JitSsoError} can carry.
 * @example
 * if (err instanceof JitSsoError && err.code === 'ERR_JIT_SSO_USER_PENDING') showPendingPage();
 */
export const ERROR_CODES = [
  /** An option passed to jit-sso is wrong; `details.path` names it. Thrown at start-up. */
  'ERR_JIT_SSO_INVALID_OPTIONS',
  /** The claims are malformed, hostile or over a size bound. */
  'ERR_JIT_SSO_INVALID_CLAIMS',
  /** The claims carry no stable subject to key the user on. */
  'ERR_JIT_SSO_MISSING_SUBJECT',
  /** Unknown user and `createUsers` is off (Bizagi `AutoProvisionUsers` off). */
  'ERR_JIT_SSO_USER_NOT_PROVISIONED',
  /** The user exists but waits for an administrator to activate it. */
  'ERR_JIT_SSO_USER_PENDING',
  /** The user has been disabled in the app. */
  'ERR_JIT_SSO_USER_DISABLED',
  /** The user's domain is not in `allow.domains`. */
  'ERR_JIT_SSO_DOMAIN_NOT_ALLOWED',
  /** The user's tenant is not in `allow.tenants` (or `allowedTenants`). */
  'ERR_JIT_SSO_TENANT_NOT_ALLOWED',
  /** The user is in none of `allow.groups`. */
  'ERR_JIT_SSO_GROUP_NOT_ALLOWED',
  /** The roles/groups claim is absent and `missingClaim` is `'deny'`. */
  'ERR_JIT_SSO_ROLES_CLAIM_MISSING',
  /** The app's `beforeLogin` hook refused the login. */
  'ERR_JIT_SSO_LOGIN_REFUSED',
  /** A store was asked to link an identity that is already linked (to this or another user). */
  'ERR_JIT_SSO_IDENTITY_CONFLICT',
  /** A store was asked to change a user that does not exist. */
  'ERR_JIT_SSO_USER_NOT_FOUND',
  /** The user store failed or could not be reached (HTTP 503). */
  'ERR_JIT_SSO_STORE_UNAVAILABLE',
  /** The identity provider could not be reached (OIDC discovery, token or keys endpoint; HTTP 503). */
  'ERR_JIT_SSO_IDP_UNAVAILABLE',
  /** The protocol check failed (bad signature, audience, replay, state, …). One generic message. */
  'ERR_JIT_SSO_AUTHENTICATION_FAILED',
  /** `express-session` is not mounted before the jit-sso router. */
  'ERR_JIT_SSO_SESSION_REQUIRED',
  /** The request needs a signed-in user. */
  'ERR_JIT_SSO_NOT_AUTHENTICATED',
  /** The signed-in user lacks a role the route requires. */
  'ERR_JIT_SSO_FORBIDDEN',
  /** The posted message is over the size limit. */
  'ERR_JIT_SSO_PAYLOAD_TOO_LARGE',
  /** The provider id in the URL is not configured. */
  'ERR_JIT_SSO_UNKNOWN_PROVIDER',
  /** The claims carry no usable username (no login claim, or one empty after normalisation): no user is created. */
  'ERR_JIT_SSO_MISSING_USERNAME',
  /** A page on another site sent the request (`Origin` / `Sec-Fetch-Site`); refused with 403. */
  'ERR_JIT_SSO_CROSS_SITE_REQUEST',
  /** Something other than the store failed unexpectedly (a hook such as `beforeLogin`, or jit-sso itself); logged with its stack (HTTP 500). */
  'ERR_JIT_SSO_INTERNAL',
  /** A SAML message is not well-formed XML or exceeds the XML guard's caps (elements, depth, attributes, names); HTTP 400. */
  'ERR_JIT_SSO_MALFORMED_MESSAGE',
] as const;

/** A stable jit-sso error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The plain message shown to the person for each code. Security failures share one message (no oracle). */
const MESSAGES: Record<ErrorCode, string> = {
  ERR_JIT_SSO_INVALID_OPTIONS: 'jit-sso is not configured correctly.',
  ERR_JIT_SSO_INVALID_CLAIMS: 'Sign-in failed. Please try again or contact your administrator.',
  ERR_JIT_SSO_MISSING_SUBJECT: 'Sign-in failed. Please try again or contact your administrator.',
  ERR_JIT_SSO_USER_NOT_PROVISIONED:
    'Your account does not exist in this application. Ask your administrator to give you access.',
  ERR_JIT_SSO_USER_PENDING: 'Your account was created and is waiting for an administrator to approve it.',
  ERR_JIT_SSO_USER_DISABLED: 'Your account has been disabled. Contact your administrator.',
  ERR_JIT_SSO_DOMAIN_NOT_ALLOWED: 'Your organisation is not allowed to sign in to this application.',
  ERR_JIT_SSO_TENANT_NOT_ALLOWED: 'Your organisation is not allowed to sign in to this application.',
  ERR_JIT_SSO_GROUP_NOT_ALLOWED: 'You are not in a group that may sign in to this application.',
  ERR_JIT_SSO_ROLES_CLAIM_MISSING:
    'Your identity provider did not say which roles you have. Contact your administrator.',
  ERR_JIT_SSO_LOGIN_REFUSED: 'You may not sign in to this application.',
  ERR_JIT_SSO_IDENTITY_CONFLICT: 'Sign-in failed. Please try again.',
  ERR_JIT_SSO_USER_NOT_FOUND: 'Sign-in failed. Please try again.',
  ERR_JIT_SSO_STORE_UNAVAILABLE: 'Sign-in is unavailable right now. Please try again in a few minutes.',
  ERR_JIT_SSO_IDP_UNAVAILABLE: 'Sign-in is unavailable right now. Please try again in a few minutes.',
  ERR_JIT_SSO_AUTHENTICATION_FAILED: 'Sign-in failed. Please try again or contact your administrator.',
  ERR_JIT_SSO_SESSION_REQUIRED: 'jit-sso is not configured correctly.',
  ERR_JIT_SSO_NOT_AUTHENTICATED: 'Please sign in.',
  ERR_JIT_SSO_FORBIDDEN: 'You do not have access to this page.',
  ERR_JIT_SSO_PAYLOAD_TOO_LARGE: 'Sign-in failed. Please try again or contact your administrator.',
  ERR_JIT_SSO_UNKNOWN_PROVIDER: 'This sign-in option does not exist.',
  ERR_JIT_SSO_MISSING_USERNAME: 'Sign-in failed. Please try again or contact your administrator.',
  ERR_JIT_SSO_CROSS_SITE_REQUEST: 'This request came from another site and was refused.',
  ERR_JIT_SSO_INTERNAL: 'Something went wrong. Please try again later.',
  ERR_JIT_SSO_MALFORMED_MESSAGE: 'Sign-in failed. Please try again or contact your administrator.',
};

/** The HTTP status the router answers for each code. */
const STATUS: Record<ErrorCode, number> = {
  ERR_JIT_SSO_INVALID_OPTIONS: 500,
  ERR_JIT_SSO_INVALID_CLAIMS: 401,
  ERR_JIT_SSO_MISSING_SUBJECT: 401,
  ERR_JIT_SSO_USER_NOT_PROVISIONED: 403,
  ERR_JIT_SSO_USER_PENDING: 403,
  ERR_JIT_SSO_USER_DISABLED: 403,
  ERR_JIT_SSO_DOMAIN_NOT_ALLOWED: 403,
  ERR_JIT_SSO_TENANT_NOT_ALLOWED: 403,
  ERR_JIT_SSO_GROUP_NOT_ALLOWED: 403,
  ERR_JIT_SSO_ROLES_CLAIM_MISSING: 403,
  ERR_JIT_SSO_LOGIN_REFUSED: 403,
  ERR_JIT_SSO_IDENTITY_CONFLICT: 409,
  ERR_JIT_SSO_USER_NOT_FOUND: 404,
  ERR_JIT_SSO_STORE_UNAVAILABLE: 503,
  ERR_JIT_SSO_IDP_UNAVAILABLE: 503,
  ERR_JIT_SSO_AUTHENTICATION_FAILED: 401,
  ERR_JIT_SSO_SESSION_REQUIRED: 500,
  ERR_JIT_SSO_NOT_AUTHENTICATED: 401,
  ERR_JIT_SSO_FORBIDDEN: 403,
  ERR_JIT_SSO_PAYLOAD_TOO_LARGE: 413,
  ERR_JIT_SSO_UNKNOWN_PROVIDER: 404,
  ERR_JIT_SSO_MISSING_USERNAME: 401,
  ERR_JIT_SSO_CROSS_SITE_REQUEST: 403,
  ERR_JIT_SSO_INTERNAL: 500,
  ERR_JIT_SSO_MALFORMED_MESSAGE: 400,
};

/** Options of a {@link JitSsoError}. */
export interface JitSsoErrorOptions {
  /** Overrides the default plain message for the code. */
  message?: string;
  /** Facts for logs and the audit event (never shown to the person; never secrets). */
  details?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The error jit-sso throws and passes to Passport.
 *
 * @example
 * throw new JitSsoError('ERR_JIT_SSO_USER_NOT_PROVISIONED', { details: { subject } });
 */
export class JitSsoError extends Error {
  /** The stable code. */
  readonly code: ErrorCode;
  /** Facts for logs and audit; not for the person. */
  readonly details: Record<string, unknown>;
  /** The HTTP status the router answers with. */
  readonly status: number;

  constructor(code: ErrorCode, options: JitSsoErrorOptions = {}) {
    super(options.message ?? MESSAGES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JitSsoError';
    this.code = code;
    this.details = options.details ?? {};
    this.status = STATUS[code];
  }
}

/** The plain message for a code, as shown to the person. */
export function messageFor(code: ErrorCode): string {
  return MESSAGES[code];
}

/** The HTTP status for a code. */
export function statusFor(code: ErrorCode): number {
  return STATUS[code];
}

/** True when `value` is a {@link JitSsoError} (also across duplicated copies of the package). */
export function isJitSsoError(value: unknown): value is JitSsoError {
  return (
    value instanceof JitSsoError ||
    (value instanceof Error &&
      value.name === 'JitSsoError' &&
      (ERROR_CODES as readonly string[]).includes((value as { code?: string }).code ?? ''))
  );
}
