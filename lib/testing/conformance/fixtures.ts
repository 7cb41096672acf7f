/**
 * Shared fixtures of the conformance suite: how a case is registered, the users, roles and audit
 * events it builds, and the assertions the groups share.
 * @module
 */
import assert from 'node:assert/strict';
import type { AuditEvent, NewUser, RoleAssignment, StoredUser } from '../../store/user-store.js';
import type { UserProfile, UserStore } from '../../store/user-store.js';
import type { ConformanceStore } from './index.js';

/** The Optional `UserStore` methods whose tests are skipped, with a note, when a store lacks them. */
export type OptionalMethod = 'findUserByUsername' | 'findUserByEmail' | 'listIdentities' | 'listAuditEvents' | 'transaction';
/** A test body: a fresh store and an id unique to this run, for subjects and usernames. */
export type Body = (store: ConformanceStore, run: string) => Promise<void>;
/** Registers one test. */
export type RegisterTest = (title: string, body: Body) => void;
/** Registers the tests of an Optional method, skipped with a note when the store lacks it. */
export type RegisterOptional = (needs: OptionalMethod, fn: (test: RegisterTest) => void) => void;

/** The `at` of every new user, and the time audit events count their minutes from. */
export const AT = new Date('2024-05-01T10:00:00.000Z');
/** The code a store rejects with when an identity is already linked. */
export const CONFLICT = 'ERR_JIT_SSO_IDENTITY_CONFLICT';
/** The code a store rejects with when the user does not exist. */
export const NOT_FOUND = 'ERR_JIT_SSO_USER_NOT_FOUND';
/** User ids no store has: a number, a word, empty, and an SQL injection attempt. */
export const UNKNOWN_IDS = ['999999999', 'no-such-user', '', "' OR '1'='1"];

/** A new user keyed `key` for this test run; `profile` is merged onto `{ username: key.run, fields: {} }`. */
export function newUser(
  run: string,
  key: string,
  extra: Partial<Omit<NewUser, 'profile'>> & { profile?: Partial<UserProfile> } = {},
): NewUser {
  const { profile, ...rest } = extra;
  return {
    profile: { username: `${key}.${run}`, fields: {}, ...profile },
    status: 'active',
    userType: 'employee',
    identity: { provider: 'entra', subject: `${run}-${key}` },
    roles: [],
    at: AT,
    ...rest,
  };
}

/** An assignment the IdP `provider` sent. */
export const idp = (role: string, provider = 'entra'): RoleAssignment => ({ role, source: 'idp', provider });
/** An assignment given by default on a login through `entra`. */
export const byDefault = (role: string): RoleAssignment => ({ role, source: 'default', provider: 'entra' });
/** An assignment an admin granted. */
export const manual = (role: string): RoleAssignment => ({ role, source: 'manual' });
/** The {@link roleKeys} of the stored user; none for an unknown id. */
export const rolesOf = async (store: UserStore, id: string) =>
  roleKeys((await store.findUserById(id)) ?? { roles: [] });

/** A login event for `userId`, `minute` minutes after {@link AT}. */
export function event(run: string, userId: string, subType: AuditEvent['subType'], minute: number): AuditEvent {
  const at = new Date(AT.getTime() + minute * 60_000);
  return { at, type: 'login', subType, provider: 'entra', subject: `${run}-audit`, userId };
}

/** The {@link UserProfile} fields of a user, and nothing else. */
export function profileOf(user: UserProfile): UserProfile {
  const { username, domain, email, emailVerified, displayName, firstName, lastName, fields } = user;
  return { username, domain, email, emailVerified, displayName, firstName, lastName, fields };
}

/** Assignments as sorted `role|source|provider` strings; a `null` provider shows as `null` and fails the match. */
export function roleKeys(user: Pick<StoredUser, 'roles'>): string[] {
  return user.roles.map((r) => `${r.role}|${r.source}|${r.provider === undefined ? '' : String(r.provider)}`).sort();
}

/** JSON round trip: drops `undefined` (absent) keys but keeps `null`, which the contract's types do not allow. */
export function json(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Asserts that `promise` rejects with an error whose `code` is `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal((err as { code?: unknown } | null)?.code, code);
    return true;
  });
}
