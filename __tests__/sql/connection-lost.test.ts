import { expect, it } from '@jest/globals';
import type { Logger } from '../../lib/internal/logger.js';
import { silentLogger } from '../../lib/internal/logger.js';
import { jitProvision } from '../../lib/provisioning/jit-provision.js';
import { SqlUserStore } from '../../lib/store/sql/index.js';
import { identity } from '../helpers/identities.js';
import { describePg, usePgSchema } from './databases.js';

describePg('SqlUserStore when PostgreSQL drops the connection in the middle of a login', () => {
  const schema = usePgSchema();

  it('answers ERR_JIT_SSO_STORE_UNAVAILABLE, keeps no user or identity, and the next login of that person succeeds', async () => {
    const { name, admin } = schema();
    // One connection only: the next login can only succeed if the pool replaced the killed client.
    const pool = schema().newPool(1);
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (_obj, msg) => void warnings.push(msg ?? '') };
    const store = await SqlUserStore.open({ dialect: 'postgres', pool }, { tablePrefix: 'lost_', logger });
    // The server ends the session itself, the first time an identity is inserted: after createUser
    // wrote the users row and before its identity row — a real lost connection, mid-transaction.
    await admin.query(`
      create sequence ${name}.lost_kills;
      create function ${name}.lost_kill() returns trigger language plpgsql as $$
      begin
        if nextval('${name}.lost_kills') = 1 then perform pg_terminate_backend(pg_backend_pid()); end if;
        return new;
      end $$;
      create trigger lost_kill before insert on ${name}.lost_identities for each row execute function ${name}.lost_kill();`);
    const backend = async () => (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const killed = await backend();
    const jit = jitProvision({ store, provider: 'entra', preset: 'entra-saml', provisioning: { createUsers: true }, logger: silentLogger });

    const lost = jit.provision(identity());
    await expect(lost).rejects.toMatchObject({ code: 'ERR_JIT_SSO_STORE_UNAVAILABLE', status: 503 });
    await expect(lost).rejects.toHaveProperty('cause.message', expect.stringMatching(/terminat|not queryable/i));
    const rows = async (table: string) => Number((await admin.query(`select count(*) as n from ${name}.${table}`)).rows[0].n);
    expect(await rows('lost_users')).toBe(0);
    expect(await rows('lost_identities')).toBe(0);
    expect(await rows('lost_audit_events')).toBe(0);

    const next = await jit.provision(identity());
    expect(next.error).toBeUndefined();
    expect(next.outcome).toBe('auto-provisioned-user');
    expect(await rows('lost_users')).toBe(1);
    expect(await rows('lost_identities')).toBe(1);
    expect(await backend()).not.toBe(killed);
    expect(warnings).toContain('jit-sso/sql: a PostgreSQL connection was lost; the pool replaces it');
    await store.close();
  });
});
