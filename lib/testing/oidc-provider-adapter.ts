/**
 * oidc-provider's storage for the test provider: in memory, one store per provider instance (so
 * closing a provider forgets its codes, sessions and grants, and parallel providers share nothing).
 * Payloads are copied through JSON rather than `structuredClone`: oidc-provider checks that client
 * metadata is made of plain objects of its own realm, which `structuredClone` breaks under Jest.
 * @module
 */

interface Entry {
  payload: Record<string, unknown>;
  expiresAt: number;
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

type Payload = Record<string, unknown>;

/** oidc-provider's adapter contract, as far as the test provider stores things. */
interface Adapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/**
 * An oidc-provider adapter class (see oidc-provider's `adapter` setting), holding `clients` (their
 * metadata as oidc-provider reads it) from the start.
 */
export function memoryAdapter(clients: ReadonlyArray<Payload> = []): new (model: string) => Adapter {
  const store = new Map<string, Entry>(clients.map((c) => [`Client:${String(c.client_id)}`, { payload: copy(c), expiresAt: Number.POSITIVE_INFINITY }]));
  const live = (key: string): Entry | undefined => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry;
  };

  return class TestOidcAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    #key(id: string): string {
      return `${this.#model}:${id}`;
    }

    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
      store.set(this.#key(id), { payload: copy(payload), expiresAt });
    }

    async find(id: string): Promise<Record<string, unknown> | undefined> {
      const entry = live(this.#key(id));
      return entry ? copy(entry.payload) : undefined;
    }

    async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      return this.#findBy('uid', uid);
    }

    async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
      return this.#findBy('userCode', userCode);
    }

    async consume(id: string): Promise<void> {
      const entry = live(this.#key(id));
      if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      store.delete(this.#key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, entry] of store) if (entry.payload.grantId === grantId) store.delete(key);
    }

    #findBy(field: string, value: string): Record<string, unknown> | undefined {
      for (const key of store.keys()) {
        if (!key.startsWith(`${this.#model}:`)) continue;
        const entry = live(key);
        if (entry && entry.payload[field] === value) return copy(entry.payload);
      }
      return undefined;
    }
  };
}
