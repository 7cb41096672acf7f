/**
 * Caseless comparison that merges names the IdP holds apart (NFC + toLowerCase folded the Kelvin
 * sign onto `k`, and missed `ß` = `ss`): usernames, emails and case-insensitive role names are
 * compared on one canonical form, NFKC + full case folding, and the SQL store's stored keys are
 * recomputed by a migration.
 */
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { canonicalKey, isNfkcStable } from '../../../lib/internal/canonical.js';
import { matchRoles } from '../../../lib/provisioning/roles.js';
import { resolvePolicy } from '../../../lib/provisioning/policy.js';
import { SqlUserStore } from '../../../lib/store/sql/index.js';
import { MemoryUserStore } from '../../../lib/store/memory-store.js';
import type { NewUser } from '../../../lib/store/user-store.js';
import { describePg, usePgSchema, useTempDir } from '../../sql/databases.js';

const newUser = (username: string, email?: string): NewUser => ({
  profile: { username, ...(email ? { email } : {}), fields: {} },
  status: 'active',
  userType: 'employee',
  identity: { provider: 'local', subject: username },
  roles: [],
  at: new Date(),
});

describe('the canonical form (NFKC + full case folding)', () => {
  it.each([
    ['ß and ẞ fold to ss', ['Straße', 'STRASSE', 'STRA\u1E9EE', 'strasse']],
    ['final and medial sigma are one letter', ['ΌΣΟΣ', 'όσος', 'όσοσ']],
    ['the Kelvin sign is K', ['\u212Aate', 'Kate', 'kate']],
    ['the Ångström sign is Å', ['\u212Bngstr\u00F6m', '\u00C5ngstr\u00F6m', '\u00E5ngstr\u00F6m']],
    ['the long s is s', ['\u017Fam', 'SAM', 'sam']],
    ['fullwidth letters are ASCII', ['\uFF2B\uFF41\uFF54\uFF45', 'kate']],
    ['the fi ligature is fi', ['\uFB01nance', 'FINANCE']],
  ])('%s', (_name, spellings) => {
    const keys = new Set(spellings.map(canonicalKey));
    expect(keys.size).toBe(1);
  });

  it('keeps apart what full case folding keeps apart (dotless ı is not i, İ is not I)', () => {
    expect(canonicalKey('adm\u0131n')).not.toBe(canonicalKey('admin'));
    expect(canonicalKey('\u0130NFO')).not.toBe(canonicalKey('INFO'));
  });

  it('calls a name NFKC-stable only when compatibility normalisation leaves it alone', () => {
    expect(['kate', 'Léa', 'straße', 'CONTOSO'].every(isNfkcStable)).toBe(true);
    expect(['\u212Aate', '\uFF4Bate', 'ka\u200Bte', '\uFB01nance', '\u017Fam'].some(isNfkcStable)).toBe(false);
  });
});

describe('the stores and role matching use it', () => {
  it('a lookup of STRASSE finds the user straße (lower-casing alone missed it) in the memory store', async () => {
    const store = new MemoryUserStore();
    const user = await store.createUser(newUser('straße', 'Straße@Contoso.com'));
    expect((await store.findUserByUsername('STRASSE'))?.id).toBe(user.id);
    expect((await store.findUserByEmail('strasse@contoso.com'))?.id).toBe(user.id);
  });

  it('a fullwidth ＡＤＭＩＮ from the IdP matches no role under case-insensitive matching; ADMIN still matches Admin', () => {
    const policy = resolvePolicy({ roleMatch: 'case-insensitive' });
    expect(matchRoles(['\uFF21\uFF24\uFF2D\uFF29\uFF2E', 'ADMIN'], ['Admin'], policy)).toEqual({ matched: ['Admin'], skipped: ['\uFF21\uFF24\uFF2D\uFF29\uFF2E'] });
    expect(matchRoles(['\u212A'], ['k'], policy).matched).toEqual([]);
  });

  it('the memory store finds roles caselessly on the same form (Maße = MASSE)', async () => {
    const store = new MemoryUserStore({ roles: ['Maße'] });
    expect(await store.existingRoles(['MASSE'], { caseInsensitive: true })).toEqual(['Maße']);
    expect(await store.existingRoles(['MASSE'])).toEqual([]);
  });
});

/** Writes the keys as versions before 0002 stored them (NFC + toLowerCase) and forgets that 0002 ran. */
const OLD_KEYS = {
  users: (prefix: string) => [
    `update ${prefix}users set username_key = 'straße', email_key = 'straße@contoso.com', search_text = 'straße\n\nstraße@contoso.com\n\n\n'`,
    `update ${prefix}roles set name_key = 'maße' where name = 'Maße'`,
    `delete from ${prefix}migrations where name = '0002_canonical_keys'`,
  ],
};

async function expectRecomputed(store: SqlUserStore, userId: string): Promise<void> {
  expect(await store.findUserByUsername('STRASSE')).toBeNull();
  expect(await store.existingRoles(['MASSE'], { caseInsensitive: true })).toEqual([]);
  expect(await store.migrate()).toEqual(['0002_canonical_keys']);
  expect((await store.findUserByUsername('STRASSE'))?.id).toBe(userId);
  expect((await store.findUserByEmail('STRASSE@contoso.com'))?.id).toBe(userId);
  expect((await store.listUsers({ search: 'strasse' })).map((u) => u.id)).toEqual([userId]);
  expect(await store.existingRoles(['MASSE'], { caseInsensitive: true })).toEqual(['Maße']);
  expect(await store.migrate()).toEqual([]);
}

describe('migration 0002_canonical_keys recomputes the stored keys', () => {
  describe('on SQLite', () => {
    const dir = useTempDir();
    it('a database written with the old keys finds straße as STRASSE once migrated', async () => {
      const filename = join(dir(), 'old-keys.sqlite');
      const store = await SqlUserStore.open({ dialect: 'sqlite', filename });
      try {
        await store.createRole('Maße');
        const user = await store.createUser(newUser('straße', 'straße@contoso.com'));
        const raw = new Database(filename);
        for (const statement of OLD_KEYS.users('jit_sso_')) raw.prepare(statement).run();
        raw.close();
        await expectRecomputed(store, user.id);
      } finally {
        await store.close();
      }
    });
  });

  describePg('on PostgreSQL', () => {
    const schema = usePgSchema();
    it('a database written with the old keys finds straße as STRASSE once migrated', async () => {
      const store = await SqlUserStore.open({ dialect: 'postgres', pool: schema().pool }, { tablePrefix: 'old_' });
      try {
        await store.createRole('Maße');
        const user = await store.createUser(newUser('straße', 'straße@contoso.com'));
        for (const statement of OLD_KEYS.users(`${schema().name}.old_`)) await schema().admin.query(statement);
        await expectRecomputed(store, user.id);
      } finally {
        await store.close();
      }
    });
  });
});
