/**
 * `--store` for `jit-sso explain`: a SQL store opened without migrations, only read from.
 * @module
 */
import { existsSync } from 'node:fs';
import { JitSsoError } from '../errors.js';
import type { UserStore } from '../store/user-store.js';

/** Opens `sqlite:<file>` or `postgres://…` for reading. The SQLite file must exist (it is never created). */
export async function openReadOnlyStore(url: string): Promise<{ store: UserStore; close(): Promise<void> }> {
  const { SqlUserStore } = await import('../store/sql/index.js');
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (!filename || !existsSync(filename)) {
      throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: `--store: no SQLite database at "${filename}"` });
    }
    const store = await SqlUserStore.open({ dialect: 'sqlite', filename, readonly: true }, { migrate: false });
    return { store, close: () => store.close() };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const store = await SqlUserStore.open({ dialect: 'postgres', connectionString: url }, { migrate: false });
    return { store, close: () => store.close() };
  }
  throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: '--store takes sqlite:<file> or postgres://…' });
}
