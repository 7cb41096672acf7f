/**
 * The tables of `SqlUserStore` as Kysely sees them, unprefixed, and the plugin that adds the
 * `tablePrefix` to every table a query names.
 * @module
 */
import {
  OperationNodeTransformer,
  TableNode,
  type Generated,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
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
 * The `*_key` columns hold the canonical form the case-insensitive lookups compare (NFKC + full case
 * folding, `lib/internal/canonical.ts`) — folded in JavaScript because SQLite's `lower()` and `NOCASE`
 * fold ASCII only, and PostgreSQL's `lower()` is no case fold either; `search_text` is the same for
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

/** One role; `name_key` is the name's canonical form for `existingRoles(…, { caseInsensitive })`. */
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

/** Kysely's own transformer, with `prefix` put in front of every table name. */
class TablePrefixTransformer extends OperationNodeTransformer {
  /** Tables this transformer made: a subquery built through the plugin is seen again inside its parent. */
  readonly #prefixed = new WeakSet<TableNode>();
  constructor(readonly prefix: string) {
    super();
  }
  protected override transformTable(node: TableNode): TableNode {
    if (this.#prefixed.has(node)) return node;
    const { schema, identifier } = node.table;
    const name = `${this.prefix}${identifier.name}`;
    const table = schema ? TableNode.createWithSchema(schema.name, name) : TableNode.create(name);
    this.#prefixed.add(table);
    return table;
  }
}

/**
 * Adds `prefix` to every table a query names (FROM, JOIN, INTO, references, CREATE TABLE/INDEX …).
 * Queries through it must not use table aliases: an alias would be prefixed too. Index and
 * constraint names are not tables and are prefixed by hand.
 */
export class TablePrefixPlugin implements KyselyPlugin {
  readonly #transformer: TablePrefixTransformer;
  constructor(prefix: string) {
    this.#transformer = new TablePrefixTransformer(prefix);
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
