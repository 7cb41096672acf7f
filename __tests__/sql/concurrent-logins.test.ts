import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../lib/internal/logger.js';
import { jitProvision } from '../../lib/provisioning/jit-provision.js';
import { identity } from '../helpers/identities.js';
import { eachDatabase } from './databases.js';

describe('SqlUserStore under concurrent first logins', () => {
  eachDatabase((open) => {
    it('50 simultaneous first logins of one person create one user, and all 50 sign in as that user', async () => {
      const store = await open();
      await store.createRole('Employee');
      const jit = jitProvision({
        store,
        provider: 'entra',
        preset: 'entra-saml',
        provisioning: { createUsers: true, defaultRoles: ['Employee'] },
        logger: silentLogger,
      });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => jit.provision(identity(), { requestId: `req-${i}` })));

      expect(results.map((r) => r.error?.code)).toEqual(Array(50).fill(undefined));
      const ids = new Set(results.map((r) => r.user?.id));
      expect(ids.size).toBe(1);
      const [id] = [...ids] as string[];
      expect(results.filter((r) => r.outcome === 'auto-provisioned-user')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'existing-user')).toHaveLength(49);

      expect(await store.countUsers()).toBe(1);
      const user = await store.findUserByIdentity({ provider: 'entra', subject: 'tenant-1/oid-alice' });
      expect(user?.id).toBe(id);
      expect(user?.roles).toEqual([{ role: 'Employee', source: 'default', provider: 'entra' }]);
      const events = await store.listAuditEvents({ userId: id, limit: 100 });
      expect(events).toHaveLength(50);
      expect(new Set(events.map((e) => e.requestId)).size).toBe(50);
    });
  });
});
