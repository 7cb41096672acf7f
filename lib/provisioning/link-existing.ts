/**
 * `linkExisting`: which existing account, if any, a login whose identity is not linked yet may be
 * joined to. Shared by `jitProvision` and `jit-sso explain`, so that the dry run links exactly as a
 * login would.
 *
 * A candidate is linked only when
 * - its name or email is one jit-sso compares safely: NFKC-stable, matched on the canonical form
 *   (`lib/internal/canonical.ts`) — the raw claim was checked by `toIdentity` already;
 * - for `'verified-email'`: the IdP said `email_verified: true` (the boolean) **and** the policy's
 *   `emailAuthority` names the email's domain for this provider, and this login's tenant when it
 *   lists tenants (tenant B's verified email never reaches tenant A's user);
 * - the account has **no identity from this provider** yet: a reused UPN or mailbox with a new object
 *   id is another person, and must not inherit the account (nor its manual grants).
 *
 * Otherwise nothing is linked: the login goes on as for an unknown user (created when `createUsers`
 * is on), and the reason is kept for the audit event.
 * @module
 */
import type { Identity } from '../identity/types.js';
import { canonicalKey, isNfkcStable } from '../internal/canonical.js';
import type { StoredUser, UserStore } from '../store/user-store.js';
import type { ResolvedPolicy } from './policy.js';

/** The store methods linking reads; all Optional in the contract. */
export type LinkLookupStore = Partial<Pick<UserStore, 'findUserByUsername' | 'findUserByEmail' | 'listIdentities'>>;

/** What {@link findLinkCandidate} found. */
export interface LinkCandidate {
  /** The account to link to; `null` when none. */
  user: StoredUser | null;
  linkedBy?: 'username' | 'verified-email';
  /** Why an account that matched was not linked (for the audit event and `explain`). */
  notLinked?: string;
}

const NONE: LinkCandidate = { user: null };

/**
 * The store methods `linkExisting` needs and `store` lacks; `[]` when it has them all (or the mode
 * is `'never'`). `jitProvision` refuses to start without them.
 * @example
 * missingLinkMethods(store, 'username'); // ['listIdentities']
 */
export function missingLinkMethods(store: LinkLookupStore, mode: ResolvedPolicy['linkExisting']): string[] {
  if (mode === 'never') return [];
  const needed = [mode === 'username' ? 'findUserByUsername' : 'findUserByEmail', 'listIdentities'] as const;
  return needed.filter((method) => typeof store[method] !== 'function');
}

/**
 * The account an unlinked identity may be joined to under `policy.linkExisting`. Reads, never writes.
 * @example
 * const { user, linkedBy, notLinked } = await findLinkCandidate(store, identity, policy);
 */
export async function findLinkCandidate(store: LinkLookupStore, identity: Identity, policy: ResolvedPolicy): Promise<LinkCandidate> {
  if (policy.linkExisting === 'username') return byUsername(store, identity);
  if (policy.linkExisting === 'verified-email') return byEmail(store, identity, policy);
  return NONE;
}

async function byUsername(store: LinkLookupStore, identity: Identity): Promise<LinkCandidate> {
  const { username, domain } = identity;
  if (!store.findUserByUsername || !username || username.trim() === '') return NONE;
  if (!isNfkcStable(username) || (domain !== undefined && !isNfkcStable(domain))) {
    return { user: null, notLinked: 'not linked by username: the username is not in NFKC form' };
  }
  const user = await store.findUserByUsername(username, domain);
  return user ? onlyIfNew(store, identity, user, 'username') : NONE;
}

async function byEmail(store: LinkLookupStore, identity: Identity, policy: ResolvedPolicy): Promise<LinkCandidate> {
  const { email } = identity;
  // An email is only a key when the IdP vouches for it (the "nOAuth" takeover otherwise).
  if (!store.findUserByEmail || !email || identity.emailVerified !== true) return NONE;
  if (!isNfkcStable(email)) return { user: null, notLinked: 'not linked by email: the email is not in NFKC form' };
  const domain = canonicalKey(email.slice(email.lastIndexOf('@') + 1));
  const authority = policy.emailAuthority.get(domain);
  if (authority === undefined) {
    return { user: null, notLinked: `not linked by email: emailAuthority does not name the domain "${domain}"` };
  }
  if (authority !== true && (identity.tenant === undefined || !authority.has(canonicalKey(identity.tenant)))) {
    return { user: null, notLinked: `not linked by email: tenant "${identity.tenant ?? ''}" is not an authority for "${domain}"` };
  }
  const user = await store.findUserByEmail(email);
  return user ? onlyIfNew(store, identity, user, 'verified-email') : NONE;
}

/** The candidate, unless it already has an identity from this provider (or that cannot be known). */
async function onlyIfNew(store: LinkLookupStore, identity: Identity, user: StoredUser, linkedBy: 'username' | 'verified-email'): Promise<LinkCandidate> {
  if (!store.listIdentities) {
    return { user: null, notLinked: `not linked by ${linkedBy}: the store cannot list a user's identities (listIdentities)` };
  }
  const links = await store.listIdentities(user.id);
  if (links.some((link) => link.provider === identity.provider)) {
    return { user: null, notLinked: `not linked by ${linkedBy}: user ${user.id} already has an identity from provider "${identity.provider}"` };
  }
  return { user, linkedBy };
}
