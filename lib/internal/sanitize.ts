/**
 * Turns an untrusted claim set (a node-saml profile or a decoded OIDC token) into sanitised values.
 *
 * ## The rule
 *
 * - **Shape.** The claim set must be a non-array object; anything else is refused. Only its own,
 *   enumerable data properties are read: inherited members and getters are never touched, and the
 *   input is never mutated.
 * - **Names.** A claim name is kept exactly as sent, and is only ever written to objects created with
 *   `Object.create(null)`, so `__proto__`, `constructor` and `prototype` are ordinary keys. A name
 *   containing a control character (below) is refused, because stripping it could make two claims
 *   collide.
 * - **Values.**
 *   - A string has every C0 control (U+0000–U+001F, which includes NUL, tab, CR and LF), DEL (U+007F)
 *     and C1 control (U+0080–U+009F) removed, **none kept**, even tab or newline inside a value, and
 *     is then trimmed. node-saml hands over values with trailing newlines and tabs.
 *   - A number, bigint or boolean becomes its string form (`true` → `"true"`).
 *   - `null` or `undefined` (an empty SAML `AttributeValue`) becomes `""`: the claim is present but
 *     carries no value.
 *   - An array becomes a list of strings. Its scalar elements are sanitised as above; elements that are
 *     `null`, objects or nested arrays are dropped, and so are elements that end up empty.
 *   - A nested object (Keycloak's `realm_access`, Entra's `_claim_names`, node-saml's `attributes`
 *     copy) is **not** turned into a value: it is kept aside, as received, and only the paths jit-sso
 *     knows are read from it (with the same value and list bounds).
 *   - Functions (node-saml's `getAssertionXml`, …) and symbols are skipped.
 * - **Bounds** ({@link CLAIM_LIMITS}). More claims than `maxClaims`, a name longer than `maxNameLength`,
 *   a string longer than `maxValueLength` (measured as received, before stripping) or a list longer
 *   than `maxListLength` refuses the whole claim set.
 *
 * Every refusal throws `JitSsoError('ERR_JIT_SSO_INVALID_CLAIMS')` with `details: { reason, claim,
 * limit? }`, where `claim` is the claim name, sanitised and cut to 64 characters. The value itself is
 * never put in the error.
 * @module
 */
import { JitSsoError } from '../errors.js';
import { createSafeRecord, isPlainRecord, type SafeRecord } from './safe-object.js';

/**
 * The size bounds of one claim set. Real assertions stay far below them (Entra switches to an overage
 * link above 150/200 groups, Okta fails above 100, Google sends at most 75).
 * @example
 * if (groups.length > CLAIM_LIMITS.maxListLength) …
 */
export const CLAIM_LIMITS = {
  /** Longest string value, in UTF-16 code units as received. */
  maxValueLength: 4096,
  /** Longest claim name. */
  maxNameLength: 512,
  /** Most values in one multi-valued claim. */
  maxListLength: 1000,
  /** Most claims (own keys) in one claim set. */
  maxClaims: 500,
} as const;

/** Why a claim set was refused; `details.reason` of the error. */
export const INVALID_CLAIM_REASONS = [
  'not-an-object',
  'unreadable',
  'too-many-claims',
  'name-too-long',
  'control-character-in-name',
  'value-too-long',
  'list-too-long',
  // An identifier (subject, NameID, oid/tid, a username or email a login is linked by) is refused,
  // never cleaned: see lib/identity/identifier.ts.
  'identifier-control-character',
  'identifier-invalid-unicode',
  'identifier-not-nfc',
  'identifier-whitespace',
  'identifier-too-long',
  'identifier-not-nfkc',
] as const;

/** A reason in {@link INVALID_CLAIM_REASONS}. */
export type InvalidClaimReason = (typeof INVALID_CLAIM_REASONS)[number];

/** A sanitised claim value: one string, or a list of strings. */
export type ClaimValue = string | string[];

/** A claim set after {@link snapshotClaims}. */
export interface ClaimSnapshot {
  /** Scalar and list claims, sanitised, on a prototype-less record (what `Identity.attributes` shows). */
  values: SafeRecord<ClaimValue>;
  /** Object-valued claims as received; read them only with `readOwn`/`readOwnPath`. */
  objects: SafeRecord<Record<string, unknown>>;
  /**
   * Scalar and list claims **as received**, before any stripping or trimming (same bounds): what an
   * identifier is read and checked from, so that a value is refused rather than changed.
   */
  raw: SafeRecord<unknown>;
}

const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F]/g;
const HAS_CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * Removes every C0, DEL and C1 control character from `text`, then trims it.
 * @example
 * sanitizeText('alice\u0000@contoso.com\n\t'); // 'alice@contoso.com'
 */
export function sanitizeText(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '').trim();
}

/** Throws the refusal for `reason`; `claim` is shortened and cleaned so the error stays log-safe. */
export function refuseClaims(reason: InvalidClaimReason, claim?: string, limit?: number): never {
  const details: Record<string, unknown> = { reason };
  if (claim !== undefined) details.claim = sanitizeText(claim).slice(0, 64);
  if (limit !== undefined) details.limit = limit;
  throw new JitSsoError('ERR_JIT_SSO_INVALID_CLAIMS', { details });
}

/** A scalar as a sanitised string; `undefined` for anything that is not a scalar. */
function scalarToText(name: string, value: unknown): string | undefined {
  if (typeof value === 'string') {
    if (value.length > CLAIM_LIMITS.maxValueLength) {
      refuseClaims('value-too-long', name, CLAIM_LIMITS.maxValueLength);
    }
    return sanitizeText(value);
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined;
}

/**
 * A list claim (or a string, as a one-element list) as sanitised, non-empty strings; `undefined` when
 * `value` is neither. Used for top-level arrays and for lists read out of nested objects.
 * @example
 * sanitizeList('groups', ['a\n', null, '', 'b']); // ['a', 'b']
 */
export function sanitizeList(name: string, value: unknown): string[] | undefined {
  if (!Array.isArray(value)) {
    const text = scalarToText(name, value);
    if (text === undefined) return undefined;
    return text === '' ? [] : [text];
  }
  if (value.length > CLAIM_LIMITS.maxListLength) {
    refuseClaims('list-too-long', name, CLAIM_LIMITS.maxListLength);
  }
  const list: string[] = [];
  for (const element of value as unknown[]) {
    const text = scalarToText(name, element);
    if (text !== undefined && text !== '') list.push(text);
  }
  return list;
}

function checkName(name: string): void {
  if (name.length > CLAIM_LIMITS.maxNameLength) {
    refuseClaims('name-too-long', name, CLAIM_LIMITS.maxNameLength);
  }
  if (HAS_CONTROL_CHARACTER.test(name)) refuseClaims('control-character-in-name', name);
}

function readSnapshot(raw: Record<string, unknown>): ClaimSnapshot {
  const names = Object.keys(raw);
  if (names.length > CLAIM_LIMITS.maxClaims) {
    refuseClaims('too-many-claims', undefined, CLAIM_LIMITS.maxClaims);
  }
  const snapshot: ClaimSnapshot = { values: createSafeRecord(), objects: createSafeRecord(), raw: createSafeRecord() };
  for (const name of names) {
    checkName(name);
    const descriptor = Object.getOwnPropertyDescriptor(raw, name);
    if (descriptor === undefined || !('value' in descriptor)) continue;
    const value: unknown = descriptor.value;
    if (!isPlainRecord(value)) snapshot.raw[name] = Array.isArray(value) ? [...(value as unknown[])] : value;
    if (value === null || value === undefined) {
      snapshot.values[name] = '';
    } else if (Array.isArray(value)) {
      snapshot.values[name] = sanitizeList(name, value) ?? [];
    } else if (isPlainRecord(value)) {
      snapshot.objects[name] = value;
    } else {
      const text = scalarToText(name, value);
      if (text !== undefined) snapshot.values[name] = text;
    }
  }
  return snapshot;
}

/**
 * Reads and sanitises a raw claim set under the rule of this module.
 * @throws JitSsoError `ERR_JIT_SSO_INVALID_CLAIMS` when the set is not an object, cannot be read
 * (a throwing proxy), or breaks a bound in {@link CLAIM_LIMITS}.
 * @example
 * const { values } = snapshotClaims(profile);
 * values['http://schemas.microsoft.com/identity/claims/tenantid']; // '8d3f…'
 */
export function snapshotClaims(raw: unknown): ClaimSnapshot {
  try {
    if (!isPlainRecord(raw)) return refuseClaims('not-an-object');
    return readSnapshot(raw);
  } catch (error) {
    if (error instanceof JitSsoError) throw error;
    // A proxy trap threw; its message may quote the input, so it is not kept as the cause.
    return refuseClaims('unreadable');
  }
}
