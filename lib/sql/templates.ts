/**
 * Queries built and compiled once per shape, then run with new parameters. Kysely builds, compiles
 * and (through the table-prefix plugin) rewrites every query anew, and for the small indexed
 * statements of a login that costs more than the database takes to run them.
 * @module
 */
import { createQueryId, type Compilable, type CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import { TtlLru } from '../internal/ttl-lru.js';

/**
 * How many compiled queries one store keeps. A login uses about a dozen shapes; lists (role names,
 * role assignments) make one more per length, and an update one per set of changed columns.
 */
export const TEMPLATE_CACHE_SIZE = 200;

/** Stands for the argument at `index` while a template is built; it reaches the compiled parameters as it is. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * The compiled queries of one store, by shape. {@link QueryTemplates.execute} builds a query from
 * stand-ins for its arguments the first time a shape is seen, and from then on runs the same SQL
 * with the arguments in the stand-ins' places. A shape is everything about a query but its
 * arguments: the caller names it by a `key` that spells out what else varies (which columns, how
 * many items in a list).
 * @example
 * const { rows } = await templates.execute(db, 'userById', [id], (id) => db.selectFrom('users').selectAll().where('id', '=', id));
 */
export class QueryTemplates {
  readonly #compiled: TtlLru<CompiledQuery>;

  constructor(size = TEMPLATE_CACHE_SIZE) {
    this.#compiled = new TtlLru(size, Infinity);
  }

  /**
   * Runs on `db` (a store's or a transaction's, which compile alike) the query `build` makes of
   * `args`. `build` is called only for a new `key`, with stand-ins in place of `args`: it must pass
   * each of them to Kysely as a value (a `where` operand, an inserted or set value), unchanged.
   */
  async execute<A extends readonly unknown[], R>(db: Kysely<any>, key: string, args: readonly [...A], build: (...args: A) => Compilable<R>): Promise<QueryResult<R>> {
    let template = this.#compiled.get(key);
    if (template === undefined) {
      template = compileTemplate(key, args.length, build);
      this.#compiled.set(key, template);
    }
    const parameters = template.parameters.map((p) => (p instanceof Slot ? args[p.index] : p));
    return db.executeQuery<R>({ ...template, parameters, queryId: createQueryId() } as CompiledQuery<R>);
  }

  /** How many shapes are compiled. */
  get cached(): number {
    return this.#compiled.size;
  }
}

function compileTemplate<A extends readonly unknown[], R>(key: string, arity: number, build: (...args: A) => Compilable<R>): CompiledQuery {
  const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
  const compiled = build(...(slots as unknown as A)).compile();
  // A stand-in Kysely did not pass through as a value (wrapped, copied, turned into SQL text) would
  // leave its argument out of every later run: refuse the template instead.
  const used = new Set(compiled.parameters.flatMap((p) => (p instanceof Slot ? [p.index] : [])));
  if (used.size !== arity) throw new Error(`jit-sso: query template "${key}" uses ${used.size} of its ${arity} arguments`);
  return compiled;
}
