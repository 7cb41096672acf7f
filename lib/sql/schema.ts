/**
 * The tables of `SqlUserStore` as Kysely sees them, unprefixed, and the plugin that adds the
 * `tablePrefix` to every table a query names.
 * @module
 */
import {
  IdentifierNode,
  OperationNodeTransformer,
  type Generated,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type TableNode,
  type UnknownRow,
} from 'kysely';

/**
 * The SQL dialects the store speaks.
 * @example
 * if (store.dialect === 'sqlite') console.warn('SQLite: one app instance only');
 */
export const SQL_DIALECTS = ['sqlite', 'postgres'] as const;
export type SqlDialect = (typeof SQL_DIALECTS)[number];

/** A date: ISO text on SQLite, `timestamptz` (a `Date` from pg) on PostgreSQL. */
export type DateValue = Date | string;
/** A boolean: 0/1 on SQLite, `boolean` on PostgreSQL. */
export type BoolValue = boolean | number;

/**
 * One user. `seq` keeps creation order (paging, "oldest first"); `id` is the UUID the app sees.
 * The `*_key` columns hold the NFC-lower-cased form the case-insensitive lookups compare — folded in
 * JavaScript because SQLite's `lower()` and `NOCASE` fold ASCII only; `search_text` is the same for
 * `listUsers({ search })`.
 */
export interface UsersTable {
  seq: Generated<number>;
  id: string;
  username: string;
  username_key: string;
  domain: string | null;
  /** `''` when the user has no domain, so `findUserByUsername(name, '')` behaves like the memory store. */
  domain_key: string;
  email: string | null;
  email_key: string | null;
  email_verified: BoolValue | null;
  display_name: string | null;
  first_name: string | null;
  last_name: string | null;
  /** Custom fields as JSON text. */
  fields: string;
  search_text: string;
  status: string;
  user_type: string;
  created_at: DateValue;
  updated_at: DateValue;
  last_login_at: DateValue | null;
}

/** One identity link; the primary key (provider, subject) is the login's lookup. */
export interface IdentitiesTable {
  provider: string;
  subject: string;
  user_id: string;
  issuer: string | null;
}

/** One role; `name_key` is `name.toLowerCase()` for `existingRoles(…, { caseInsensitive })`. */
export interface RolesTable {
  id: Generated<number>;
  name: string;
  name_key: string;
}

/** One role assignment; `provider` is `''` when there is none, so it can be part of the primary key. */
export interface UserRolesTable {
  user_id: string;
  role_id: number;
  source: string;
  provider: string;
}

/** One audit event; `changes` as JSON text. */
export interface AuditEventsTable {
  id: Generated<number | string>;
  at: DateValue;
  type: string;
  sub_type: string;
  provider: string;
  subject: string;
  user_id: string | null;
  code: string | null;
  reason: string | null;
  changes: string | null;
  ip: string | null;
  request_id: string | null;
}

/** The database, by unprefixed table name. */
export interface Database {
  users: UsersTable;
  identities: IdentitiesTable;
  roles: RolesTable;
  user_roles: UserRolesTable;
  audit_events: AuditEventsTable;
}

/** The unprefixed table names. */
export const TABLES = ['users', 'identities', 'roles', 'user_roles', 'audit_events'] as const;

class PrefixTransformer extends OperationNodeTransformer {
  readonly #prefix: string;
  constructor(prefix: string) {
    super();
    this.#prefix = prefix;
  }
  /** Nodes this transformer made: a subquery built through the plugin is transformed again inside its parent. */
  readonly #done = new WeakSet<TableNode>();
  protected override transformTable(node: TableNode, queryId?: QueryId): TableNode {
    if (this.#done.has(node)) return node;
    const table = super.transformTable(node, queryId);
    const name = `${this.#prefix}${table.table.identifier.name}`;
    const prefixed: TableNode = { ...table, table: { ...table.table, identifier: IdentifierNode.create(name) } };
    this.#done.add(prefixed);
    return prefixed;
  }
}

/**
 * Adds `prefix` to every table a query names (FROM, JOIN, INTO, references, CREATE TABLE/INDEX …).
 * Queries through it must not use table aliases: an alias would be prefixed too. Index and
 * constraint names are not tables and are prefixed by hand.
 */
export class TablePrefixPlugin implements KyselyPlugin {
  readonly #transformer: PrefixTransformer;
  constructor(prefix: string) {
    this.#transformer = new PrefixTransformer(prefix);
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
