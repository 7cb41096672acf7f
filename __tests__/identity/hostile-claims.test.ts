import { describe, it, expect } from '@jest/globals';
import { JitSsoError } from '../../lib/errors.js';
import { CLAIM_LIMITS, toIdentity, type ToIdentityOptions } from '../../lib/identity/index.js';

const saml = { issuer: 'https://idp.example.com', nameID: 'jdoe@example.com' };
const oidc = { iss: 'https://op.example.com', sub: 'sub-1' };

function map(raw: unknown, preset: ToIdentityOptions['preset'] = 'generic-saml', extra: Partial<ToIdentityOptions> = {}) {
  return toIdentity(raw, { preset, provider: 'idp', ...extra });
}

function refusal(action: () => unknown): JitSsoError {
  try {
    action();
  } catch (error) {
    if (error instanceof JitSsoError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

describe('prototype pollution', () => {
  it('prototype pollution through a claim named __proto__ does not reach Object.prototype', () => {
    const raw = JSON.parse('{"issuer":"x","nameID":"n","__proto__":{"isAdmin":"yes"},"groups":"g"}') as unknown;
    const text = JSON.parse('{"issuer":"x","nameID":"n","__proto__":"yes"}') as unknown;
    const identity = map(raw);
    const { attributes } = map(text);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.getPrototypeOf(identity.attributes)).toBeNull();
    expect(Object.hasOwn(attributes, '__proto__')).toBe(true);
    expect(attributes['__proto__']).toBe('yes');
    expect(Object.getPrototypeOf(attributes)).toBeNull();
  });

  it('claims named constructor and prototype stay ordinary attributes', () => {
    const { attributes } = map({ ...saml, constructor: 'c', prototype: ['p'] });
    expect([attributes.constructor, attributes.prototype]).toEqual(['c', ['p']]);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('a claim map pointing at constructor does not pick up Object from the prototype chain', () => {
    const identity = map(saml, 'generic-saml', { claimMap: { owner: 'constructor', displayName: 'toString' } });
    expect(identity.fields.owner).toBeUndefined();
    expect(identity.displayName).toBeUndefined();
  });

  it('a custom field named __proto__ becomes an own field, not a new prototype', () => {
    const claimMap = JSON.parse('{"__proto__":"dept"}') as Record<string, string>;
    const { fields } = map({ ...saml, dept: 'Finance' }, 'generic-saml', { claimMap });
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
    expect(fields['__proto__']).toBe('Finance');
    expect(Object.getPrototypeOf(fields)).toBeNull();
  });

  it('a Keycloak azp of __proto__ or constructor reads no roles from the prototype chain', () => {
    for (const azp of ['__proto__', 'constructor', 'toString']) {
      const raw = { ...oidc, azp, realm_access: { roles: ['r'] }, resource_access: {} };
      expect(map(raw, 'keycloak-oidc').roles).toEqual(['r']);
    }
  });
});

describe('control characters', () => {
  it('NUL bytes in a value are stripped', () => {
    expect(map({ ...saml, email: 'alice\u0000@contoso.com' }).email).toBe('alice@contoso.com');
  });

  it('C1 controls and the ESC of terminal escape sequences are stripped from values', () => {
    expect(map({ ...saml, displayName: 'Eve\u0085\u009b\u001b[31mRed\u007f' }).displayName).toBe('Eve[31mRed');
  });

  it('tab and newline inside a value are removed, not kept', () => {
    expect(map({ ...saml, displayName: 'Jan\tde\nVries' }).displayName).toBe('JandeVries');
  });

  it('control characters in a list are stripped and emptied elements dropped', () => {
    expect(map({ ...saml, groups: ['a\u0000', '\u0001\u0002', 'b'] }).groups).toEqual(['a', 'b']);
  });

  it('a log-injection claim name with a newline is refused', () => {
    const error = refusal(() => map({ ...saml, 'role\nadmin': 'x' }));
    expect(error.code).toBe('ERR_JIT_SSO_INVALID_CLAIMS');
    expect(error.details).toEqual({ reason: 'control-character-in-name', claim: 'roleadmin' });
  });
});

describe('size bounds', () => {
  it('an oversized value is refused with ERR_JIT_SSO_INVALID_CLAIMS and the value is not echoed', () => {
    const huge = `SECRET${'x'.repeat(CLAIM_LIMITS.maxValueLength)}`;
    const error = refusal(() => map({ ...saml, displayName: huge }));
    expect(error.code).toBe('ERR_JIT_SSO_INVALID_CLAIMS');
    expect(error.details).toEqual({ reason: 'value-too-long', claim: 'displayName', limit: 4096 });
    expect(JSON.stringify(error.details) + error.message).not.toContain('SECRET');
  });

  it('a value exactly at the bound is accepted', () => {
    expect(map({ ...saml, note: 'y'.repeat(CLAIM_LIMITS.maxValueLength) }).attributes.note).toHaveLength(4096);
  });

  it('an oversized value inside a list is refused', () => {
    expect(refusal(() => map({ ...saml, groups: ['ok', 'z'.repeat(5000)] })).details.reason).toBe('value-too-long');
  });

  it('an oversized claim name is refused and shortened in the error details', () => {
    const error = refusal(() => map({ ...saml, ['n'.repeat(CLAIM_LIMITS.maxNameLength + 1)]: 'v' }));
    expect(error.details.reason).toBe('name-too-long');
    expect(String(error.details.claim)).toHaveLength(64);
  });

  it('a group list flood over 1000 values is refused', () => {
    const groups = Array.from({ length: CLAIM_LIMITS.maxListLength + 1 }, (_, i) => `g${i}`);
    expect(refusal(() => map({ ...saml, groups })).details).toEqual({ reason: 'list-too-long', claim: 'groups', limit: 1000 });
  });

  it('a Keycloak role flood hidden in realm_access is refused', () => {
    const roles = Array.from({ length: CLAIM_LIMITS.maxListLength + 1 }, (_, i) => `r${i}`);
    const error = refusal(() => map({ ...oidc, realm_access: { roles } }, 'keycloak-oidc'));
    expect(error.details).toEqual({ reason: 'list-too-long', claim: 'realm_access.roles', limit: 1000 });
  });

  it('a claim flood of more than 500 claims is refused', () => {
    const raw: Record<string, string> = { ...saml };
    for (let i = 0; i < CLAIM_LIMITS.maxClaims; i += 1) raw[`c${i}`] = 'v';
    expect(refusal(() => map(raw)).details).toEqual({ reason: 'too-many-claims', limit: 500 });
  });
});

describe('malformed input', () => {
  it.each([null, undefined, 42, 'profile', [saml]])('refuses a claim set that is not an object (%p)', (raw) => {
    expect(refusal(() => map(raw)).details).toEqual({ reason: 'not-an-object' });
  });

  it('ignores an object where a string is expected and falls back to the next source', () => {
    const identity = map({ ...saml, email: { value: 'evil@x.com' }, displayName: ['', { a: 1 }, 'Real'] });
    expect(identity.email).toBe('jdoe@example.com');
    expect(identity.displayName).toBe('Real');
  });

  it('drops nested arrays and nulls inside a groups list', () => {
    expect(map({ ...saml, groups: [['nested'], null, 'flat', 7] }).groups).toEqual(['flat', '7']);
  });

  it('a getter planted on the claim set is never run', () => {
    let ran = false;
    const raw = { ...saml };
    Object.defineProperty(raw, 'email', {
      enumerable: true,
      get() {
        ran = true;
        return 'attacker@evil.com';
      },
    });
    expect(map(raw).email).toBe('jdoe@example.com');
    expect(ran).toBe(false);
  });

  it('a revoked proxy as claim set is refused as unreadable, not a TypeError', () => {
    const { proxy, revoke } = Proxy.revocable({ ...saml }, {});
    revoke();
    expect(refusal(() => map(proxy)).details).toEqual({ reason: 'unreadable' });
  });

  it('a deeply frozen claim set maps without being written to', () => {
    const raw = deepFreeze({ ...oidc, azp: 'web', realm_access: { roles: ['r'] }, groups: ['g'], getX: () => 'x' });
    expect(map(raw, 'keycloak-oidc').roles).toEqual(['r']);
  });

  it('returned lists are copies: changing them does not change the attributes', () => {
    const identity = map({ ...saml, groups: ['a'] });
    identity.groups?.push('admin');
    expect(identity.attributes.groups).toEqual(['a']);
  });
});

describe('hostile nested objects', () => {
  it('a revoked proxy given as a claim value refuses the claim set instead of throwing a TypeError', () => {
    const { proxy, revoke } = Proxy.revocable({ roles: ['r'] }, {});
    revoke();
    const error = refusal(() => map({ ...oidc, realm_access: proxy }, 'keycloak-oidc'));
    expect(error.details).toEqual({ reason: 'unreadable' });
  });

  it('a revoked proxy deeper in resource_access reads as absent', () => {
    const { proxy, revoke } = Proxy.revocable({ roles: ['client-role'] }, {});
    revoke();
    const raw = { ...oidc, azp: 'web', realm_access: { roles: ['realm-role'] }, resource_access: { web: proxy } };
    expect(map(raw, 'keycloak-oidc').roles).toEqual(['realm-role']);
  });
});
