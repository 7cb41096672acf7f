/**
 * Building audit events: one per login attempt, with bounded, control-character-free text.
 * @module
 */
import type { Identity } from '../identity/types.js';
import type { Logger } from '../internal/logger.js';
import type { AuditChanges, AuditEvent, AuditSubType, UserStore } from '../store/user-store.js';

/** Where a login came from, for the audit event. Values are sanitised before they are stored. */
export interface LoginContext {
  /** The client address (Express `req.ip`). */
  ip?: string;
  /** A request id for correlating logs. */
  requestId?: string;
  /** The login's time. @default new Date() */
  now?: Date;
}

const MAX_TEXT = 256;

/** Strips control characters and bounds the length of free text that goes into audit events and logs. */
export function boundText(value: string, max = MAX_TEXT): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** One login event. `subject` is the identity's link key (tenant-qualified where the IdP needs it). */
export function loginEvent(
  fields: {
    type?: AuditEvent['type'];
    subType: AuditSubType;
    provider: string;
    identity?: Pick<Identity, 'key'>;
    userId?: string;
    code?: string;
    reason?: string;
    changes?: AuditChanges;
  },
  context: LoginContext,
  at: Date,
): AuditEvent {
  const event: AuditEvent = {
    at,
    type: fields.type ?? 'login',
    subType: fields.subType,
    provider: fields.provider,
    subject: fields.identity ? boundText(fields.identity.key) : '',
  };
  if (fields.userId !== undefined) event.userId = fields.userId;
  if (fields.code !== undefined) event.code = fields.code;
  if (fields.reason !== undefined) event.reason = boundText(fields.reason);
  if (fields.changes !== undefined) event.changes = fields.changes;
  if (context.ip) event.ip = boundText(context.ip, 64);
  if (context.requestId) event.requestId = boundText(context.requestId, 128);
  return event;
}

/** The audit context of an HTTP request: Express's `req.ip` and a request id (`req.id` or `X-Request-Id`). */
export function loginContextOf(req: unknown): LoginContext {
  if (typeof req !== 'object' || req === null || !('headers' in req)) return {};
  const r = req as { ip?: string; id?: unknown; headers: Record<string, unknown> };
  const header = r.headers['x-request-id'];
  const requestId = typeof r.id === 'string' ? r.id : typeof header === 'string' ? header : undefined;
  return { ...(r.ip ? { ip: r.ip } : {}), ...(requestId ? { requestId } : {}) };
}

/** Records an event: appends it to the store (unless already stored in a transaction) and calls `onAudit`. Never throws. */
export type AuditRecorder = (event: AuditEvent, options?: { stored?: boolean }) => Promise<void>;

/** The one place audit events leave jit-sso: failures are logged, never raised into a login. */
export function auditRecorder(
  store: Pick<UserStore, 'appendAudit'>,
  onAudit: ((event: AuditEvent) => void | Promise<void>) | undefined,
  logger: Logger,
): AuditRecorder {
  return async (event, { stored = false } = {}) => {
    if (!stored) {
      try {
        await store.appendAudit(event);
      } catch (err) {
        logger.error({ err: describeError(err), code: event.code }, 'audit event could not be stored');
      }
    }
    if (onAudit) {
      try {
        await onAudit(event);
      } catch (err) {
        logger.error({ err: describeError(err) }, 'onAudit threw');
      }
    }
  };
}

/** An error as one bounded line for logs (no stack, no payloads). */
export function describeError(err: unknown): string {
  return boundText(err instanceof Error ? `${err.name}: ${err.message}` : String(err), 300);
}
