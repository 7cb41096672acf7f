/**
 * `jitProvision()`: the Passport verify callback that turns a login into an app user — normalise,
 * gate, plan, apply through the store, audit.
 * @module
 */
import { JitSsoError, isJitSsoError } from '../errors.js';
import type { PresetName } from '../identity/presets.js';
import { toIdentity } from '../identity/to-identity.js';
import type { ClaimMap, Identity } from '../identity/types.js';
import { consoleLogger, type Logger } from '../internal/logger.js';
import type { AuditChanges, AuditEvent, AuditSubType, StoredUser, UserStore } from '../store/user-store.js';
import { auditRecorder, describeError, loginContextOf, loginEvent, type AuditRecorder, type LoginContext } from './audit.js';
import { checkAllowed } from './gates.js';
import { findLinkCandidate, missingLinkMethods } from './link-existing.js';
import { planProvisioning, type PlanContext, type ProvisioningPlan } from './plan.js';
import { isResolvedPolicy, resolvePolicy, type ProvisioningOptions, type ResolvedPolicy } from './policy.js';
import { candidateRoleNames } from './roles.js';

/** Options of {@link jitProvision}. */
export interface JitProvisionOptions {
  /** Where users live. */
  store: UserStore;
  /** The provider id; stored with each identity link and role assignment. */
  provider: string;
  /** The claim-name preset of the IdP. @default 'generic-saml' for SAML profiles, else 'generic-oidc' */
  preset?: PresetName;
  /** Claim → field overrides on top of the preset (also read from `provisioning.claimMap`). */
  claimMap?: ClaimMap;
  /** The provisioning policy. @default createUsers off, first-login sync */
  provisioning?: ProvisioningOptions | ResolvedPolicy;
  /** Called with every audit event after it is stored. Errors it throws are logged, not raised. */
  onAudit?: (event: AuditEvent) => void | Promise<void>;
  /** A pino-compatible logger. @default warnings and errors to the console */
  logger?: Logger;
  /**
   * Last say before any user is read or written: return `false` or a reason string to refuse the
   * login (`ERR_JIT_SSO_LOGIN_REFUSED`). An error it throws fails the login as
   * `ERR_JIT_SSO_INTERNAL` (500), logged with its stack and audited; no user is read or written.
   */
  beforeLogin?: (identity: Identity, context: LoginContext) => boolean | string | void | Promise<boolean | string | void>;
  /** @internal Where events go; `jitSso` shares one recorder between its providers and the router. */
  record?: AuditRecorder;
}

/** What one login did. */
export interface ProvisionResult {
  /** The signed-in user; `null` when refused (a user created `pending` is returned with `error` set). */
  user: StoredUser | null;
  /** The audit sub-type of the login. */
  outcome: AuditSubType;
  changes: AuditChanges;
  /** Set when the login is refused: its code and plain message. */
  error?: JitSsoError;
  /** The audit event written. */
  event: AuditEvent;
}

/** Passport's `done`. */
export type VerifyDone = (err: unknown, user?: StoredUser | false, info?: { code: string; message: string }) => void;

/** A Passport verify callback, usable with any strategy, plus the same logic without Passport. */
export interface JitProvisioner {
  /** `(profile, done)`, `(req, profile, done)`, or any arity whose last two arguments are profile and done. */
  (...args: unknown[]): void;
  /**
   * Provisions an already normalised identity. Rejects only for faults: `ERR_JIT_SSO_STORE_UNAVAILABLE`
   * when a store method failed, `ERR_JIT_SSO_INTERNAL` for anything else (a hook that threw).
   */
  provision(identity: Identity, context?: LoginContext): Promise<ProvisionResult>;
  /** Normalises raw claims (SAML profile or OIDC claims) with the preset, then provisions. */
  provisionClaims(raw: unknown, context?: LoginContext): Promise<ProvisionResult>;
  readonly provider: string;
  readonly policy: ResolvedPolicy;
}

const RETRIES = 3;

/**
 * Makes the verify callback that just-in-time provisions the person who signs in.
 *
 * @example
 * passport.use(new SamlStrategy(samlOptions,
 *   jitProvision({ store, provider: 'entra', preset: 'entra-saml', provisioning: { createUsers: true } }),
 *   logoutVerify));
 */
export function jitProvision(options: JitProvisionOptions): JitProvisioner {
  if (!options || typeof options.store !== 'object' || options.store === null) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: 'jitProvision: option "store" is required' });
  }
  if (typeof options.provider !== 'string' || options.provider === '') {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: 'jitProvision: option "provider" is required' });
  }
  const { provider, onAudit, beforeLogin } = options;
  const policy = isResolvedPolicy(options.provisioning) ? options.provisioning : resolvePolicy(options.provisioning);
  const claimMap = { ...options.claimMap, ...policy.claimMap };
  const missing = missingLinkMethods(options.store, policy.linkExisting);
  if (missing.length > 0) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
      message: `jitProvision: linkExisting: '${policy.linkExisting}' needs the store's ${missing.join(' and ')}()`,
      details: { path: 'provisioning.linkExisting', missing },
    });
  }
  const logger = options.logger ?? consoleLogger;
  const { store } = options;

  const record = options.record ?? auditRecorder(store, onAudit, logger);

  async function refuse(identity: Identity | undefined, error: JitSsoError, subType: AuditSubType, context: LoginContext, now: Date, userId?: string): Promise<ProvisionResult> {
    const why = typeof error.details.reason === 'string' ? error.details.reason : error.message;
    // Which claim an identifier refusal is about (never its value).
    const reason = typeof error.details.claim === 'string' ? `${why} (claim "${error.details.claim}")` : why;
    const event = loginEvent({ subType, provider, identity, userId, code: error.code, reason }, context, now);
    await record(event);
    return { user: null, outcome: subType, changes: event.changes ?? emptyChanges(), error, event };
  }

  async function attempt(identity: Identity, context: LoginContext, now: Date): Promise<ProvisionResult> {
    const gate = checkAllowed(identity, policy);
    if (gate) return refuse(identity, refusal(gate.code, gate.reason), 'denied', context, now);
    if (beforeLogin) {
      const verdict = await beforeLogin(identity, context);
      if (verdict === false || typeof verdict === 'string') {
        const reason = typeof verdict === 'string' ? verdict : 'refused by beforeLogin';
        return refuse(identity, refusal('ERR_JIT_SSO_LOGIN_REFUSED', reason), 'denied', context, now);
      }
    }
    let user = await fromStore(() => store.findUserByIdentity({ provider, subject: identity.key }));
    let linkedBy: PlanContext['linkedBy'];
    let notLinked: string | undefined;
    if (!user) ({ user, linkedBy, notLinked } = await fromStore(() => findLinkCandidate(store, identity, policy)));
    const names = candidateRoleNames(identity, policy);
    const existing = await fromStore(() => store.existingRoles(names, { caseInsensitive: policy.roleMatch === 'case-insensitive' }));
    const plan = planProvisioning(identity, user, policy, existing, { linkedBy, now });
    if (plan.action === 'deny') {
      return refuse(identity, refusal(plan.code, notLinked ? `${plan.reason}; ${notLinked}` : plan.reason), plan.subType, context, now, plan.userId);
    }
    const write = (tx: UserStore) => apply(tx, plan, identity, context, now, notLinked);
    const result = await fromStore(() => (store.transaction ? store.transaction(write) : write(store)));
    await record(result.event, { stored: true });
    return result;
  }

  async function provision(identity: Identity, context: LoginContext = {}): Promise<ProvisionResult> {
    const now = context.now ?? new Date();
    for (let n = 1; ; n++) {
      try {
        return await attempt(identity, context, now);
      } catch (err) {
        // A concurrent login of the same person won the race: read again and sign in as that user.
        const raced = isJitSsoError(err) && (err.code === 'ERR_JIT_SSO_IDENTITY_CONFLICT' || err.code === 'ERR_JIT_SSO_USER_NOT_FOUND');
        if (raced && n < RETRIES) continue;
        if (!isJitSsoError(err)) throw await unexpected(err, identity, context, now);
        throw err.code === 'ERR_JIT_SSO_IDENTITY_CONFLICT' ? storeError(err) : err;
      }
    }
  }

  /** A fault outside the store (a hook, jit-sso itself): logged with its stack and audited, never a refusal. */
  async function unexpected(err: unknown, identity: Identity | undefined, context: LoginContext, now: Date): Promise<JitSsoError> {
    const error = new JitSsoError('ERR_JIT_SSO_INTERNAL', { cause: err, details: { reason: describeError(err) } });
    logger.error({ code: error.code, provider, err: describeError(err), stack: err instanceof Error ? err.stack : undefined }, 'login failed: unexpected error');
    await record(loginEvent({ subType: 'denied', provider, identity, code: error.code, reason: describeError(err) }, context, now));
    return error;
  }

  async function provisionClaims(raw: unknown, context: LoginContext = {}): Promise<ProvisionResult> {
    let identity: Identity;
    try {
      identity = toIdentity(raw, { preset: options.preset ?? guessPreset(raw), provider, claimMap, linkExisting: policy.linkExisting });
    } catch (err) {
      if (!isJitSsoError(err)) throw await unexpected(err, undefined, context, context.now ?? new Date());
      return refuse(undefined, err, 'denied', context, context.now ?? new Date());
    }
    return provision(identity, context);
  }

  const verify = function jitVerify(...args: unknown[]): void {
    const done = args[args.length - 1] as VerifyDone;
    if (typeof done !== 'function' || args.length < 2) {
      throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: 'jitProvision: the verify callback needs (profile, done)' });
    }
    const context = loginContextOf(args.length >= 3 ? args[0] : undefined);
    provisionClaims(args[args.length - 2], context).then(
      (result) => (result.error ? done(null, false, { code: result.error.code, message: result.error.message }) : done(null, result.user ?? false)),
      (err) => done(err),
    );
  } as JitProvisioner;

  return Object.assign(verify, { provision, provisionClaims, provider, policy });

  async function apply(tx: UserStore, plan: Exclude<ProvisioningPlan, { action: 'deny' }>, identity: Identity, context: LoginContext, now: Date, note?: string): Promise<ProvisionResult> {
    let user: StoredUser | null;
    if (plan.action === 'create') {
      user = await tx.createUser(plan.user);
    } else {
      if (plan.link) await tx.linkIdentity(plan.userId, plan.link);
      if (plan.roles.add.length || plan.roles.remove.length) await tx.changeRoles(plan.userId, plan.roles);
      user = await tx.updateUser(plan.userId, plan.patch);
      if (!user) throw new JitSsoError('ERR_JIT_SSO_USER_NOT_FOUND', { details: { userId: plan.userId } });
    }
    const pending = user.status === 'pending';
    const error = pending ? refusal('ERR_JIT_SSO_USER_PENDING', 'created pending approval') : undefined;
    const event = loginEvent(
      {
        subType: plan.subType,
        provider,
        identity,
        userId: user.id,
        changes: plan.changes,
        ...(error ? { code: error.code } : {}),
        ...(error || note ? { reason: [error ? 'created pending approval' : undefined, note].filter(Boolean).join('; ') } : {}),
      },
      context,
      now,
    );
    await tx.appendAudit(event);
    return { user: pending ? null : user, outcome: plan.subType, changes: plan.changes, ...(error ? { error } : {}), event };
  }
}

function refusal(code: JitSsoError['code'], reason: string): JitSsoError {
  return new JitSsoError(code, { details: { reason } });
}

/** A store call: anything it throws or rejects with that is not a JitSsoError is the store failing. */
async function fromStore<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw isJitSsoError(err) ? err : storeError(err);
  }
}

function storeError(err: unknown): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_STORE_UNAVAILABLE', { cause: err, details: { reason: describeError(err) } });
}

function emptyChanges(): AuditChanges {
  return { fields: [], rolesAdded: [], rolesRemoved: [], rolesSkipped: [] };
}

function guessPreset(raw: unknown): PresetName {
  return typeof raw === 'object' && raw !== null && 'nameID' in raw ? 'generic-saml' : 'generic-oidc';
}
