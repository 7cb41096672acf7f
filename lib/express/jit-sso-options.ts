/**
 * `jitSso()` options and their validation.
 * @module
 */
import { z } from 'zod';
import type { Identity } from '../identity/types.js';
import { parseOptions } from '../internal/options.js';
import type { Logger } from '../internal/logger.js';
import type { LoginContext } from '../provisioning/audit.js';
import type { ProvisioningOptions } from '../provisioning/policy.js';
import type { SsoProvider } from '../providers/types.js';
import type { AuditEvent, UserStore } from '../store/user-store.js';
import type { JitSsoHooks } from './respond.js';

/** Options of `jitSso()`. */
export interface JitSsoOptions {
  /** Where users live: `MemoryUserStore`, `SqlUserStore` (`jit-sso/sql`) or your own `UserStore`. */
  store: UserStore;
  /** The identity providers, from `samlProvider()` / `oidcProvider()`. The first is the guards' default. */
  providers: SsoProvider[];
  /** Provisioning defaults for every provider (each provider's `provisioning` wins). */
  provisioning?: ProvisioningOptions;
  /** Where the login routes live. @default '/auth' */
  basePath?: string;
  /** Where people land after login when no `returnTo` is given (or it is refused). @default '/' */
  landingPath?: string;
  /** Called with every audit event after it is stored. */
  onAudit?: (event: AuditEvent) => void | Promise<void>;
  /** A pino-compatible logger. @default warnings and errors to the console */
  logger?: Logger;
  /** Pages and login hooks. */
  hooks?: JitSsoHooks & {
    /** Last say on a login before any user is read or written: `false` or a reason refuses it. */
    beforeLogin?: (identity: Identity, context: LoginContext) => boolean | string | void | Promise<boolean | string | void>;
  };
  /**
   * The cache in front of the store for reading the signed-in user on each request; a login
   * refreshes it. `false` reads the store every time.
   * @default { ttlMs: 5000, max: 10000 }
   */
  userCache?: { ttlMs?: number; max?: number } | false;
}

const path = z.string().regex(/^\/[A-Za-z0-9/_.~-]*$/, 'must be a path starting with /');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');

const schema = z
  .object({
    store: z.custom<UserStore>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        ['findUserByIdentity', 'findUserById', 'createUser', 'updateUser', 'linkIdentity', 'existingRoles', 'changeRoles', 'appendAudit'].every(
          (m) => typeof (v as Record<string, unknown>)[m] === 'function',
        ),
      'must implement the UserStore contract (see README, "The UserStore contract")',
    ),
    providers: z
      .array(z.custom<SsoProvider>((v) => typeof v === 'object' && v !== null && typeof (v as SsoProvider).mount === 'function', 'must come from samlProvider() or oidcProvider()'))
      .min(1, 'give at least one provider'),
    provisioning: z.record(z.string(), z.unknown()).optional(),
    basePath: path.default('/auth'),
    landingPath: path.default('/'),
    onAudit: fn.optional(),
    logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && ['warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'), 'must be a pino-compatible logger').optional(),
    hooks: z.object({ renderError: fn.optional(), beforeLogin: fn.optional() }).strict().optional(),
    userCache: z.union([z.literal(false), z.object({ ttlMs: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }).strict()]).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const seen = new Set<string>();
    o.providers.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}"` });
      seen.add(p.id);
    });
  });

/** Validates `jitSso()` options at start-up; a wrong option throws naming its path. */
export function resolveJitSsoOptions(input: JitSsoOptions) {
  const o = parseOptions(schema, input, 'jitSso');
  return { ...input, basePath: o.basePath.replace(/\/+$/, '') || '/', landingPath: o.landingPath };
}
