/**
 * The rule for claim values that are **identifiers** — the subject an identity is keyed on (NameID,
 * `sub`, Entra `oid`, a mapped `objectGUID`), the tenant that qualifies it (`tid`), and the username
 * or email a first login is linked by (`linkExisting`).
 *
 * Every other claim is sanitised (control characters stripped, trimmed: `lib/internal/sanitize.ts`).
 * An identifier is not: stripping `pid-victim<TAB>ctl` gives the existing user `pid-victimctl`, and
 * trimming `" kate "` gives `kate`. So an identifier is read as received and **refused** when it
 * - holds a control character (C0, DEL, C1) or a lone surrogate (stores would write it as U+FFFD,
 *   merging every such value into one);
 * - is not in Unicode NFC (two spellings of one name would be two keys, or one after a store
 *   normalises it);
 * - starts or ends with whitespace;
 * - is longer than {@link IDENTIFIER_MAX_LENGTH} UTF-16 code units;
 * - (usernames and emails a login is linked by, compared caselessly) changes under NFKC or holds a
 *   default-ignorable code point: the Kelvin sign `K`, fullwidth `ｋ` or a zero-width space would
 *   otherwise fold onto another person's name (`lib/internal/canonical.ts`).
 *
 * A refusal is `ERR_JIT_SSO_INVALID_CLAIMS` (401, audited as a denied login) with `details.reason`
 * one of the `identifier-*` reasons of `INVALID_CLAIM_REASONS` and `details.claim` the claim's name.
 * @module
 */
import { isNfkcStable } from '../internal/canonical.js';
import { refuseClaims, type InvalidClaimReason } from '../internal/sanitize.js';

/** The longest identifier accepted, in UTF-16 code units (Entra UPNs stop at 113, emails at 254). */
export const IDENTIFIER_MAX_LENGTH = 256;

const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
// In a `u` regular expression a surrogate range matches only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const SURROUNDING_SPACE = /^\s|\s$/u;

/** How strictly to check an identifier. */
export interface IdentifierRule {
  /** Also refuse values NFKC changes (names compared caselessly: usernames, emails, domains). */
  nfkc?: boolean;
}

/**
 * Why `value` is not acceptable as an identifier; `undefined` when it is.
 * @example
 * identifierProblem('pid-victim\tctl');            // 'identifier-control-character'
 * identifierProblem('\u212Aate', { nfkc: true });  // 'identifier-not-nfkc'
 * identifierProblem('kate');                       // undefined
 */
export function identifierProblem(value: string, rule: IdentifierRule = {}): InvalidClaimReason | undefined {
  if (value.length > IDENTIFIER_MAX_LENGTH) return 'identifier-too-long';
  if (CONTROL.test(value)) return 'identifier-control-character';
  if (LONE_SURROGATE.test(value)) return 'identifier-invalid-unicode';
  if (SURROUNDING_SPACE.test(value)) return 'identifier-whitespace';
  if (value.normalize('NFC') !== value) return 'identifier-not-nfc';
  if (rule.nfkc && !isNfkcStable(value)) return 'identifier-not-nfkc';
  return undefined;
}

/**
 * `value` when it is an acceptable identifier; refuses the claim set otherwise.
 * @throws JitSsoError `ERR_JIT_SSO_INVALID_CLAIMS` with `details.reason` and `details.claim`.
 * @example
 * const subject = checkIdentifier(rawNameId, 'nameID');
 */
export function checkIdentifier(value: string, claim: string, rule: IdentifierRule = {}): string {
  const problem = identifierProblem(value, rule);
  if (problem !== undefined) refuseClaims(problem, claim);
  return value;
}
