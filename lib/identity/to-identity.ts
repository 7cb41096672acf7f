/**
 * `toIdentity`: one login's claims (a node-saml profile or decoded OIDC claims) → an `Identity`.
 * Pure: no I/O, and the input is never mutated.
 * @module
 */
import { JitSsoError } from '../errors.js';
import { createSafeRecord, isPlainRecord, readOwn, readOwnPath, type SafeRecord } from '../internal/safe-object.js';
import { sanitizeList, sanitizeText, snapshotClaims, type ClaimSnapshot, type ClaimValue } from '../internal/sanitize.js';
import { checkIdentifier } from './identifier.js';
import { decodeGuestLogin, parseLogin } from './login-name.js';
import {
  GROUPS_OVERAGE_CLAIMS,
  SUBJECT_FALLBACK,
  TRANSIENT_NAME_ID_FORMAT,
  getPreset,
  type ClaimPathStep,
  type ClaimRef,
  type PresetClaims,
  type PresetDefinition,
  type PresetName,
} from './presets.js';
import { IDENTITY_FIELDS, type ClaimMap, type Identity, type IdentityField } from './types.js';

/** Options of {@link toIdentity}. */
export interface ToIdentityOptions {
  /** Which IdP's claim names to read; see `PRESETS`. */
  preset: PresetName;
  /** The provider id configured in jitSso, copied to `Identity.provider`. */
  provider: string;
  /**
   * The issuer to record, for when it is known better than the claims tell (the configured entity id).
   * @default the claims' `issuer` (SAML) or `iss` (OIDC), else `''`
   */
  issuer?: string;
  /**
   * Claim names per field, tried in order, replacing the preset's list for that field. A key that is
   * not a standard field (`IDENTITY_FIELDS`) maps a claim into `Identity.fields`.
   *
   * A `subject` override also replaces the NameID/`sub` fallback: when the claim you named is missing
   * the login fails with `ERR_JIT_SSO_MISSING_SUBJECT` rather than keying the user on a mutable name
   * (list `'nameID'` or `'sub'` last to keep the fallback). An `email` override keeps the login fallback.
   * @default {}
   * @example
   * { email: 'mail', department: 'http://schemas.example.com/claims/department', costCenter: ['cc', 'costcenter'] }
   */
  claimMap?: ClaimMap;
  /**
   * The key a first login may be linked to an existing account by (the policy's `linkExisting`): the
   * login claim (`'username'`) or the email claim (`'verified-email'`) is then read as an identifier —
   * refused, never cleaned, when it holds control characters, surrounding whitespace, is not NFC or
   * changes under NFKC (see `identifier.ts`). The subject and tenant always are.
   * @default 'never'
   */
  linkExisting?: 'never' | 'username' | 'verified-email';
}

/** Identity properties a claim map cannot fill: mapping them is a mistake (`login` fills username and domain). */
const RESERVED_KEYS = ['username', 'domain', 'key', 'provider', 'issuer', 'groupsOverage', 'fields', 'attributes'];

interface ResolvedClaimMap {
  claims: PresetClaims;
  subjectOverridden: boolean;
  custom: Array<[field: string, claims: readonly string[]]>;
}

function invalidOption(path: string): never {
  throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path } });
}

function isIdentityField(key: string): key is IdentityField {
  return (IDENTITY_FIELDS as readonly string[]).includes(key);
}

function resolveClaimMap(preset: PresetDefinition, claimMap: unknown): ResolvedClaimMap {
  const resolved: ResolvedClaimMap = { claims: preset.claims, subjectOverridden: false, custom: [] };
  if (claimMap === undefined) return resolved;
  if (!isPlainRecord(claimMap)) return invalidOption('claimMap');
  const overrides: Partial<Record<IdentityField, readonly ClaimRef[]>> = {};
  for (const key of Object.keys(claimMap)) {
    const value = readOwn(claimMap, key);
    const names = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n !== '')) {
      return invalidOption(`claimMap.${key}`);
    }
    if (RESERVED_KEYS.includes(key)) return invalidOption(`claimMap.${key}`);
    if (isIdentityField(key)) overrides[key] = names as string[];
    else resolved.custom.push([key, names as string[]]);
  }
  resolved.claims = { ...preset.claims, ...overrides };
  resolved.subjectOverridden = overrides.subject !== undefined;
  return resolved;
}

/** The values of claim `name`: `undefined` when absent, `[]` when present but empty. */
function claimValues(snapshot: ClaimSnapshot, name: string): string[] | undefined {
  const value = readOwn(snapshot.values, name) as ClaimValue | undefined;
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return [...value];
  return value === '' ? [] : [value];
}

function resolveStep(snapshot: ClaimSnapshot, step: ClaimPathStep): string | undefined {
  return typeof step === 'string' ? step : claimValues(snapshot, step.claimValue)?.[0];
}

function nestedValues(snapshot: ClaimSnapshot, paths: readonly (readonly ClaimPathStep[])[]): string[] | undefined {
  let found: string[] | undefined;
  for (const path of paths) {
    const keys = path.map((step) => resolveStep(snapshot, step));
    if (keys.some((key) => key === undefined)) continue;
    const value = readOwnPath(snapshot.objects, keys as string[]);
    if (value === undefined) continue;
    const list = sanitizeList(path.map((step) => (typeof step === 'string' ? step : '*')).join('.'), value);
    if (list !== undefined) found = [...(found ?? []), ...list];
  }
  return found;
}

function matchingNameValues(snapshot: ClaimSnapshot, suffixes: readonly string[]): string[] | undefined {
  const endings = suffixes.map((suffix) => suffix.toLowerCase());
  let found: string[] | undefined;
  for (const name of Object.keys(snapshot.values)) {
    const lower = name.toLowerCase();
    if (!endings.some((ending) => lower.endsWith(ending))) continue;
    found = claimValues(snapshot, name) ?? [];
    if (found.length > 0) return found;
  }
  return found;
}

/** The values a reference yields: `undefined` when it finds no claim, `[]` for a present, empty one. */
function valuesOf(snapshot: ClaimSnapshot, ref: ClaimRef): string[] | undefined {
  if (typeof ref === 'string') return claimValues(snapshot, ref);
  if ('claim' in ref) {
    const kept = claimValues(snapshot, ref.claim)?.filter((v) => ref.ifContains.some((s) => v.includes(s)));
    return kept !== undefined && kept.length > 0 ? kept : undefined;
  }
  if ('nameEndsWith' in ref) return matchingNameValues(snapshot, ref.nameEndsWith);
  return nestedValues(snapshot, ref.nested);
}

/** The first non-empty value (that `accept`s) of the first reference that has one. */
function findString(
  snapshot: ClaimSnapshot,
  refs: readonly ClaimRef[],
  accept: (value: string) => boolean = () => true,
): string | undefined {
  for (const ref of refs) {
    const match = valuesOf(snapshot, ref)?.find((value) => value !== '' && accept(value));
    if (match !== undefined) return match;
  }
  return undefined;
}

/** The list of the first reference that finds a claim; `undefined` when none does (absent ≠ empty). */
function findList(snapshot: ClaimSnapshot, refs: readonly ClaimRef[]): string[] | undefined {
  for (const ref of refs) {
    const values = valuesOf(snapshot, ref);
    if (values !== undefined) return values;
  }
  return undefined;
}

/** The first claim of `refs` present, as received (`undefined` when none is). */
function firstRaw(snapshot: ClaimSnapshot, refs: readonly ClaimRef[]): unknown {
  for (const ref of refs) {
    const value = typeof ref === 'string' ? readOwn(snapshot.raw, ref) : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}

/** An address, never a `DOMAIN\user` value. */
function isAddress(value: string): boolean {
  return value.includes('@') && !value.includes('\\');
}

function subjectRefs(preset: PresetDefinition, map: ResolvedClaimMap, snapshot: ClaimSnapshot): readonly ClaimRef[] {
  if (map.subjectOverridden) return map.claims.subject;
  const format = claimValues(snapshot, 'nameIDFormat')?.[0];
  if (preset.protocol === 'saml' && preset.nameIdFormats) {
    // The NameID keys the user only in a format the preset knows to be stable, and then first: a
    // persistent NameID was the key before the preset read stable claims, and must stay it.
    return preset.nameIdFormats.includes(format ?? '') ? [SUBJECT_FALLBACK.saml, ...map.claims.subject] : map.claims.subject;
  }
  const transient = preset.protocol === 'saml' && format === TRANSIENT_NAME_ID_FORMAT;
  return transient ? map.claims.subject : [...map.claims.subject, SUBJECT_FALLBACK[preset.protocol]];
}

/** A raw claim value as text: strings as received, numbers and booleans in their string form. */
function rawText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Each value a reference finds, as received, with the claim it came from. */
function rawCandidates(snapshot: ClaimSnapshot, ref: ClaimRef): Array<[claim: string, value: string]> {
  const of = (name: string): Array<[string, string]> => {
    const value = readOwn(snapshot.raw, name);
    const list = Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];
    return list.map(rawText).filter((v): v is string => v !== undefined && v !== '').map((v) => [name, v]);
  };
  if (typeof ref === 'string') return of(ref);
  if ('claim' in ref) return of(ref.claim).filter(([, v]) => ref.ifContains.some((s) => v.includes(s)));
  if ('nameEndsWith' in ref) {
    const endings = ref.nameEndsWith.map((suffix) => suffix.toLowerCase());
    for (const name of Object.keys(snapshot.raw)) {
      if (!endings.some((ending) => name.toLowerCase().endsWith(ending))) continue;
      const found = of(name);
      if (found.length > 0) return found;
    }
    return [];
  }
  // Nested lists (Keycloak roles) are never identifiers; read them sanitised.
  return (valuesOf(snapshot, ref) ?? []).map((v) => ['nested', v]);
}

/**
 * Like {@link findString}, but for an identifier: the first value found **as received** is checked
 * and returned unchanged, or the login is refused — a value is never cleaned into another one, and a
 * value that cleans to nothing (`"\u0000"`) is refused rather than skipped for the next claim.
 */
function findIdentifier(
  snapshot: ClaimSnapshot,
  refs: readonly ClaimRef[],
  nfkc: boolean,
  accept: (value: string) => boolean = () => true,
): string | undefined {
  for (const ref of refs) {
    for (const [claim, value] of rawCandidates(snapshot, ref)) {
      if (!accept(sanitizeText(value))) continue;
      return checkIdentifier(value, claim, { nfkc });
    }
  }
  return undefined;
}

function hasGroupsOverage(snapshot: ClaimSnapshot): boolean {
  const { samlLink, claimNames, hasGroups } = GROUPS_OVERAGE_CLAIMS;
  return (
    claimValues(snapshot, samlLink) !== undefined ||
    readOwnPath(snapshot.objects, [claimNames, 'groups']) !== undefined ||
    claimValues(snapshot, hasGroups)?.[0] === 'true'
  );
}

function customFields(snapshot: ClaimSnapshot, custom: ResolvedClaimMap['custom']): SafeRecord<ClaimValue> {
  const fields = createSafeRecord<ClaimValue>();
  for (const [field, names] of custom) {
    for (const name of names) {
      const value = readOwn(snapshot.values, name) as ClaimValue | undefined;
      if (value === undefined || value.length === 0) continue;
      fields[field] = Array.isArray(value) ? [...value] : value;
      break;
    }
  }
  return fields;
}

function copyAttributes(snapshot: ClaimSnapshot): SafeRecord<ClaimValue> {
  const attributes = createSafeRecord<ClaimValue>();
  for (const name of Object.keys(snapshot.values)) {
    const value = snapshot.values[name] as ClaimValue;
    attributes[name] = Array.isArray(value) ? [...value] : value;
  }
  return attributes;
}

/**
 * Turns one login's claims into an {@link Identity}, following the claim rules of the preset.
 *
 * - `subject`: the preset's subject claims (Entra `oid`/objectidentifier, Okta SAML `oktaUserId`, …),
 *   else the SAML NameID (unless transient) or the OIDC `sub`; never the email.
 * - `key`: `tenant/subject` for tenant-scoped presets (Entra) when a tenant is present, else `subject`.
 * - `username`/`domain`: the login, split by `parseLogin` (`''` username when no login claim exists).
 * - `email`: the first address among the email claims, else the login when it is an address (after
 *   Entra guest decoding). `emailVerified` is true only for an OIDC `email` claim with
 *   `email_verified: true` — the JSON boolean, not the string `"true"`; SAML emails are never verified.
 * - `groups`/`roles`: `undefined` when no claim is present, a list otherwise (one value → one element).
 *   On Entra group overage (SAML `groups.link`, JWT `_claim_names.groups`, `hasgroups`), `groups` is
 *   `undefined` and `groupsOverage` is `true`.
 * - `attributes`: every scalar or list claim, sanitised; `fields`: the claim map's custom fields.
 *
 * Empty strings count as absent. See `lib/internal/sanitize.ts` for the input rule and bounds.
 * @throws JitSsoError `ERR_JIT_SSO_INVALID_CLAIMS` for hostile or oversized claims,
 * `ERR_JIT_SSO_MISSING_SUBJECT` when no subject is found, `ERR_JIT_SSO_INVALID_OPTIONS` for a bad
 * preset, provider or claim map.
 * @example
 * const identity = toIdentity(profile, { preset: 'entra-saml', provider: 'entra' });
 * identity.key;   // '8d3f…/5e1b…' (tid/oid)
 * identity.email; // 'alice.johnson@contoso.com'
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
 */
export function toIdentity(raw: unknown, options: ToIdentityOptions): Identity {
  if (!isPlainRecord(options)) return invalidOption('options');
  const preset = getPreset(options.preset);
  if (typeof options.provider !== 'string' || options.provider === '') return invalidOption('provider');
  if (options.issuer !== undefined && typeof options.issuer !== 'string') return invalidOption('issuer');
  if (options.linkExisting !== undefined && !['never', 'username', 'verified-email'].includes(options.linkExisting)) return invalidOption('linkExisting');
  const map = resolveClaimMap(preset, options.claimMap);
  const snapshot = snapshotClaims(raw);
  const { claims } = map;

  const subject = findIdentifier(snapshot, subjectRefs(preset, map, snapshot), false);
  if (subject === undefined) {
    const unstable = preset.nameIdFormats !== undefined && claimValues(snapshot, 'nameID') !== undefined;
    throw new JitSsoError('ERR_JIT_SSO_MISSING_SUBJECT', {
      details: {
        provider: options.provider,
        preset: options.preset,
        ...(unstable ? { reason: `the NameID's format (${claimValues(snapshot, 'nameIDFormat')?.[0] ?? 'none'}) is not a stable key and no stable claim was sent; set claimMap.subject to key on it anyway` } : {}),
      },
    });
  }
  const tenant = findIdentifier(snapshot, claims.tenant, false);
  const linkBy = options.linkExisting ?? 'never';
  const login = linkBy === 'username' ? findIdentifier(snapshot, claims.login, true) : findString(snapshot, claims.login);
  const { username, domain } = login === undefined ? { username: '', domain: undefined } : parseLogin(login);
  if (linkBy === 'username' && login !== undefined) {
    checkIdentifier(username, 'login', { nfkc: true });
    if (domain !== undefined) checkIdentifier(domain, 'login', { nfkc: true });
  }

  const emailFromClaim =
    linkBy === 'verified-email' ? findIdentifier(snapshot, claims.email, true, isAddress) : findString(snapshot, claims.email, isAddress);
  const loginAddress = login === undefined ? undefined : decodeGuestLogin(login);
  const email = emailFromClaim ?? (loginAddress !== undefined && isAddress(loginAddress) ? loginAddress : undefined);
  // Only the JSON boolean: a string "true" is not the IdP vouching for anything.
  const emailVerified = preset.protocol === 'oidc' && emailFromClaim !== undefined && firstRaw(snapshot, claims.emailVerified) === true;

  const groupsOverage = hasGroupsOverage(snapshot);
  const optional = {
    domain,
    email,
    displayName: findString(snapshot, claims.displayName),
    firstName: findString(snapshot, claims.firstName),
    lastName: findString(snapshot, claims.lastName),
    tenant,
  };
  const identity: Identity = {
    provider: options.provider,
    issuer: options.issuer || findString(snapshot, ['issuer', 'iss']) || '',
    subject,
    key: preset.tenantScoped && tenant !== undefined ? `${tenant}/${subject}` : subject,
    username,
    emailVerified,
    groups: groupsOverage ? undefined : findList(snapshot, claims.groups),
    roles: findList(snapshot, claims.roles),
    groupsOverage,
    fields: customFields(snapshot, map.custom),
    attributes: copyAttributes(snapshot),
  };
  for (const [field, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(identity, { [field]: value });
  }
  return identity;
}
