/**
 * `MemoryUserStore`: the reference {@link UserStore}, kept in process memory (tests, demos, one-off scripts).
 * @module
 */
import type { ListUsersQuery, UserAdmin } from './user-admin.js';
import { randomUUID } from 'node:crypto';
import { JitSsoError } from '../errors.js';
import type { Logger } from '../internal/logger.js';
import { checkRoleName } from '../internal/options.js';
import { copyFields } from '../internal/safe-object.js';
import { State, addRoles, applyOptional, applyRoleChange, conflict, copyEvent, copyUser } from './memory-state.js';
import { fold, found, linkKey, notFound, page, single, userOrThrow } from './memory-state.js';
import { USER_STATUSES, type AuditEvent, type AuditQuery, type IdentityLink, type NewUser } from './user-store.js';
import type { RoleChange, StoredUser, UserPatch, UserStatus, UserStore } from './user-store.js';

/**
 * Options of {@link MemoryUserStore}.
 * @example
 * new MemoryUserStore({ roles: ['Admin', 'Viewer'], logger: pino() });
 */
export interface MemoryUserStoreOptions {
  /** The roles that exist from the start; `createUser` and `changeRoles` assign no others. @default [] */
  roles?: readonly string[];
  /** Receives the production warning: jit-sso's `Logger`, pino, or anything with `warn(message)`. @default console */
  logger?: Pick<Logger, 'warn'> | { warn(message: string): void };
}

/** One open transaction: the store handed to its `fn` writes without waiting for the lock while `open`. */
class Transaction {
  open = true;
  constructor(readonly state: State) {}
}

const PRODUCTION_WARNING =
  'jit-sso: MemoryUserStore keeps users in memory and loses them when the process restarts; ' +
  'use SqlUserStore from jit-sso/sql or your own UserStore in production.';

/**
 * The reference {@link UserStore}: every Required and Optional method, plus admin helpers
 * (`createRole`, `listUsers`, `grantRole`, …) for apps and the example. Passes
 * `runUserStoreConformance`. Everything lives in memory and is lost on restart, so it warns when
 * `NODE_ENV` is `production`.
 *
 * Writes are serialised by one lock and each one checks and writes without yielding, so concurrent
 * first logins of one person end as one user. `transaction(fn)` holds the lock while `fn` runs and
 * writes straight into the state, logging how to undo each write; a rejection undoes them. Other
 * writes wait until it settles; reads do not wait, so they may see a write it later undoes.
 *
 * @example
 * const store = new MemoryUserStore({ roles: ['Admin', 'Viewer'] });
 * app.use(jitSso({ store, providers: { … } }));
 * await store.grantRole(userId, 'Admin');
 */
export class MemoryUserStore implements UserStore, UserAdmin {
  readonly #state: State;
  /** Set on the store handed to a transaction's `fn`. */
  readonly #tx: Transaction | undefined;

  /** @param inside Internal: the transaction a store handed to `fn` belongs to. */
  constructor(options: MemoryUserStoreOptions = {}, inside?: Transaction) {
    this.#tx = inside;
    this.#state = inside?.state ?? new State();
    if (inside) return;
    (options.roles ?? []).forEach((role, i) => this.#state.roles.add(checkRoleName(role, `roles[${i}]`)));
    const logger = options.logger ?? console;
    // A lone string is what pino, console and a `warn(message)` logger all print as the message.
    if (process.env.NODE_ENV === 'production')
      (logger.warn as (message: string) => void).call(logger, PRODUCTION_WARNING);
  }

  /** The user linked to `provider` + `subject`, or `null`. */
  async findUserByIdentity(link: Pick<IdentityLink, 'provider' | 'subject'>): Promise<StoredUser | null> {
    return this.#read((s) => found(s, s.links.get(linkKey(link))));
  }

  /** The user with this id, or `null` (also for ids of any other shape). */
  async findUserById(id: string): Promise<StoredUser | null> {
    return this.#read((s) => found(s, id));
  }

  /** The one user with this username (and domain, when given), case-insensitively; `null` when none or several. */
  async findUserByUsername(username: string, domain?: string): Promise<StoredUser | null> {
    return this.#read((s) =>
      single(
        s,
        (u) => fold(u.username) === fold(username) && (domain === undefined || fold(u.domain) === fold(domain)),
      ),
    );
  }

  /** The one user with this email, case-insensitively; `null` when none or several. */
  async findUserByEmail(email: string): Promise<StoredUser | null> {
    return this.#read((s) => single(s, (u) => u.email !== undefined && fold(u.email) === fold(email)));
  }

  /** The identity links of the user; `[]` when none or no such user. */
  async listIdentities(userId: string): Promise<IdentityLink[]> {
    return this.#read((s) => {
      const links: IdentityLink[] = [];
      for (const [key, owner] of s.links.entries()) {
        if (owner !== userId) continue;
        const [provider, subject] = JSON.parse(key) as [string, string];
        links.push({ provider, subject });
      }
      return links;
    });
  }

  /** Creates the user with its identity link and existing roles, or rejects `ERR_JIT_SSO_IDENTITY_CONFLICT`. */
  async createUser(input: NewUser): Promise<StoredUser> {
    return this.#write((s) => {
      const key = linkKey(input.identity);
      if (s.links.has(key)) throw conflict(input.identity);
      const at = new Date(input.at);
      const user: StoredUser = {
        id: randomUUID(),
        username: input.profile.username,
        fields: copyFields(input.profile.fields),
        status: input.status,
        userType: input.userType,
        roles: addRoles([], input.roles, s.roles),
        createdAt: at,
        updatedAt: new Date(at),
        lastLoginAt: new Date(at),
      };
      applyOptional(user, input.profile);
      s.setUser(user);
      s.link(key, user.id);
      return copyUser(user);
    });
  }

  /** Applies the patch (`null` clears; `fields` merge per key); `null` when the user does not exist. */
  async updateUser(id: string, patch: UserPatch): Promise<StoredUser | null> {
    return this.#write((s) => {
      const current = s.users.get(id);
      if (!current) return null;
      const next: StoredUser = { ...current, fields: copyFields(current.fields), updatedAt: new Date() };
      applyOptional(next, patch);
      if (patch.username !== undefined) next.username = patch.username;
      if (patch.status !== undefined) next.status = patch.status;
      if (patch.userType !== undefined) next.userType = patch.userType;
      if (patch.lastLoginAt !== undefined) next.lastLoginAt = new Date(patch.lastLoginAt);
      for (const [key, value] of Object.entries(patch.fields ?? {})) {
        if (value === null) delete next.fields[key];
        else next.fields[key] = Array.isArray(value) ? [...value] : value;
      }
      s.setUser(next);
      return copyUser(next);
    });
  }

  /** Links another identity to a user; rejects `ERR_JIT_SSO_USER_NOT_FOUND` or `ERR_JIT_SSO_IDENTITY_CONFLICT`. */
  async linkIdentity(userId: string, link: IdentityLink): Promise<void> {
    return this.#write((s) => {
      userOrThrow(s, userId);
      const key = linkKey(link);
      if (s.links.has(key)) throw conflict(link);
      s.link(key, userId);
    });
  }

  /** Which of `names` exist as roles (exact match), without duplicates. */
  async existingRoles(names: readonly string[], options: { caseInsensitive?: boolean } = {}): Promise<string[]> {
    return this.#read((s) => {
      if (!options.caseInsensitive) return [...new Set(names.filter((name) => s.roles.has(name)))];
      const wanted = new Set(names.map(fold));
      return [...s.roles.keys()].filter((role) => wanted.has(fold(role)));
    });
  }

  /** Removes, then adds, assignments (role + source + provider); unknown roles are not assigned. */
  async changeRoles(userId: string, change: RoleChange): Promise<void> {
    return this.#write((s) => applyRoleChange(s, userId, change));
  }

  /** Appends a copy of the event. */
  async appendAudit(event: AuditEvent): Promise<void> {
    return this.#write((s) => s.addAudit(copyEvent(event)));
  }

  /** Audit events, newest first, filtered by `userId` / `subType`; `limit` @default 100. */
  async listAuditEvents(query: AuditQuery = {}): Promise<AuditEvent[]> {
    return this.#read((s) => {
      const matching: AuditEvent[] = [];
      for (const e of s.audit) {
        if ((query.userId === undefined || e.userId === query.userId) && (query.subType === undefined || e.subType === query.subType))
          matching.push(e);
      }
      // Reversed first so that events with the same `at` stay newest first under the stable sort.
      const newestFirst = matching.reverse().sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime());
      return page(newestFirst, query.limit, query.offset).map(copyEvent);
    });
  }

  /**
   * Runs `fn` with the store to use inside the transaction: its writes are undone when `fn` rejects.
   * Transactions run one at a time, and other writes wait for them. A call on this store (rather than
   * the one `fn` is given) is not part of the transaction: a write made so from inside `fn` waits for
   * the transaction, so `fn` must not await it. A `transaction()` on the store `fn` is given is a savepoint.
   */
  async transaction<T>(fn: (store: UserStore) => Promise<T>): Promise<T> {
    const state = this.#state;
    if (this.#tx?.open) {
      const mark = state.undo!.length;
      try {
        return await fn(this);
      } catch (err) {
        state.rollback(mark);
        throw err;
      }
    }
    const release = await state.lock();
    const tx = new Transaction(state);
    state.undo = [];
    try {
      return await fn(new MemoryUserStore({}, tx));
    } catch (err) {
      state.rollback();
      throw err;
    } finally {
      tx.open = false;
      state.undo = undefined;
      release();
    }
  }

  /** Makes a role exist (idempotent). Rejects `ERR_JIT_SSO_INVALID_OPTIONS` for an empty name. */
  async createRole(name: string): Promise<void> {
    checkRoleName(name, 'name');
    return this.#write((s) => s.addRole(name));
  }

  /** Every role, in the order they were created. */
  async listRoles(): Promise<string[]> {
    return this.#read((s) => [...s.roles.keys()]);
  }

  /** Users, oldest first, optionally filtered by `search`; `limit` @default 100. */
  async listUsers(query: ListUsersQuery = {}): Promise<StoredUser[]> {
    const needle = fold(query.search ?? '');
    return this.#read((s) => {
      const text = (u: StoredUser) =>
        fold([u.username, u.domain, u.email, u.displayName, u.firstName, u.lastName].join('\n'));
      const matching = [...s.users.values()].filter((u) => needle === '' || text(u).includes(needle));
      return page(matching, query.limit, query.offset).map(copyUser);
    });
  }

  /** Grants a `manual` assignment (never removed by a sync). Resolves `false` when the role does not exist. */
  async grantRole(userId: string, role: string): Promise<boolean> {
    return this.#write((s) => {
      applyRoleChange(s, userId, { add: [{ role, source: 'manual' }], remove: [] });
      return s.roles.has(role);
    });
  }

  /** Revokes the `manual` assignment only; IdP and default assignments stay. Resolves `true` when one was removed. */
  async revokeRole(userId: string, role: string): Promise<boolean> {
    return this.#write((s) => {
      const before = userOrThrow(s, userId).roles.length;
      applyRoleChange(s, userId, { add: [], remove: [{ role, source: 'manual' }] });
      return userOrThrow(s, userId).roles.length < before;
    });
  }

  /** Sets the account status (e.g. activates a `pending` user); rejects `ERR_JIT_SSO_USER_NOT_FOUND`. */
  async setStatus(userId: string, status: UserStatus): Promise<StoredUser> {
    if (!(USER_STATUSES as readonly string[]).includes(status)) {
      throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path: 'status', allowed: USER_STATUSES } });
    }
    const user = await this.updateUser(userId, { status });
    if (!user) throw notFound(userId);
    return user;
  }

  #read<T>(fn: (s: State) => T): T {
    return fn(this.#state);
  }

  /** In the open transaction `fn` was given this store by, writes at once; otherwise waits for the lock. */
  #write<T>(fn: (s: State) => T): T | Promise<T> {
    return this.#tx?.open ? fn(this.#state) : this.#locked(fn);
  }

  async #locked<T>(fn: (s: State) => T): Promise<T> {
    const release = await this.#state.lock();
    try {
      return fn(this.#state);
    } finally {
      release();
    }
  }
}
