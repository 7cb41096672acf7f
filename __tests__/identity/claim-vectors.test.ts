import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from '@jest/globals';
import { PRESETS, toIdentity, type Identity, type PresetName } from '../../lib/identity/index.js';

interface Vector {
  flavour: string;
  protocol: 'saml' | 'oidc';
  claims: Record<string, unknown>;
  expected: Record<'username' | 'domain' | 'email' | 'displayName' | 'firstName' | 'lastName' | 'subject' | 'tenant', string> &
    Record<'groups' | 'roles', string[]>;
  groupsOverage?: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
// A copy of the shared claim vectors, kept in the repository so that a clone alone runs this test.
const folders = [path.resolve(repoRoot, '__tests__/fixtures/claims')];

function loadVectors(): Array<[string, Vector]> {
  const byName = new Map<string, Vector>();
  for (const folder of folders) {
    if (!existsSync(folder)) continue;
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.json')).sort()) {
      if (byName.has(file)) continue;
      byName.set(file, JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as Vector);
    }
  }
  return [...byName.entries()];
}

/**
 * The vector's flavour names the preset; variants such as `entra-oidc-v1` or
 * `entra-oidc-group-overage` use the longest preset their flavour starts with.
 */
function presetFor(vector: Vector): PresetName {
  const exact = PRESETS.find((preset) => preset === vector.flavour);
  if (exact) return exact;
  const prefixed = PRESETS.filter((preset) => vector.flavour.startsWith(`${preset}-`));
  prefixed.sort((a, b) => b.length - a.length);
  return prefixed[0] ?? (vector.protocol === 'saml' ? 'generic-saml' : 'generic-oidc');
}

const vectors = loadVectors();

describe('claim vectors', () => {
  it('finds the vector files', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10);
  });

  describe.each(vectors)('%s', (_file, vector) => {
    // Mapped once per vector, inside a test, so one broken vector does not hide the others' results.
    let mapped: Identity | undefined;
    const identity = (): Identity => (mapped ??= toIdentity(vector.claims, { preset: presetFor(vector), provider: 'test' }));
    const { expected } = vector;

    it.each(['username', 'domain', 'email', 'displayName', 'firstName', 'lastName', 'subject', 'tenant'] as const)(
      'maps %s as the vector expects',
      (field) => {
        expect(identity()[field] ?? '').toBe(expected[field]);
      },
    );

    it.each(['groups', 'roles'] as const)('maps %s as the vector expects', (field) => {
      expect(identity()[field] ?? []).toEqual(expected[field]);
    });

    if (vector.groupsOverage !== undefined) {
      it('reports group overage and leaves groups unknown', () => {
        expect(identity().groupsOverage).toBe(vector.groupsOverage);
        expect(identity().groups).toBeUndefined();
      });
    }

    it('does not alter the raw claims it was given', () => {
      const before = JSON.stringify(vector.claims);
      toIdentity(vector.claims, { preset: presetFor(vector), provider: 'test' });
      expect(JSON.stringify(vector.claims)).toBe(before);
    });
  });
});
