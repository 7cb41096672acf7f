/**
 * Property access that hostile claim names cannot turn against us.
 *
 * Claim names come from the IdP (and, through it, from whoever controls a directory attribute), so a
 * name such as `__proto__`, `constructor` or `prototype` must never reach an object's prototype chain.
 * Everything here reads only own data properties (never getters, never inherited members) and writes
 * only to objects created with `Object.create(null)`.
 * @module
 */

/** A string-keyed record without a prototype: `__proto__` is an ordinary key on it. */
export type SafeRecord<T> = Record<string, T>;

/**
 * A new, empty record with a `null` prototype, so that assigning any claim name is a plain write.
 * @example
 * const attributes = createSafeRecord<string>();
 * attributes['__proto__'] = 'x'; // an own property, Object.prototype untouched
 */
export function createSafeRecord<T>(): SafeRecord<T> {
  return Object.create(null) as SafeRecord<T>;
}

/** True for a non-null, non-array object (a JSON object, a node-saml profile, …). */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value of `object`'s own data property `key`, or `undefined`.
 *
 * Inherited members (`constructor`, `toString`, …) and accessor properties are not read, so a getter
 * in a crafted object is never run; a proxy whose traps throw reads as `undefined`.
 * @example
 * readOwn({ roles: ['a'] }, 'roles'); // ['a']
 * readOwn({}, 'constructor');         // undefined, not Object
 */
export function readOwn(object: unknown, key: string): unknown {
  try {
    if (!isPlainRecord(object) || !Object.hasOwn(object, key)) return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
  } catch {
    // A proxy whose traps throw (or that was revoked) reads as absent.
    return undefined;
  }
}

/**
 * Follows `path` through nested objects with {@link readOwn}; `undefined` as soon as a step is missing.
 * @example
 * readOwnPath(token, ['resource_access', 'orders-web', 'roles']);
 */
export function readOwnPath(object: unknown, path: readonly string[]): unknown {
  let current: unknown = object;
  for (const key of path) {
    current = readOwn(current, key);
    if (current === undefined) return undefined;
  }
  return current;
}

/**
 * A copy of custom fields on a prototype-less object, arrays copied too: a claim named `__proto__`
 * stays a plain key, and the copy shares nothing with `fields`.
 * @example
 * copyFields({ __proto__: 'x' } as Record<string, string>); // { __proto__: 'x' } as an own key
 */
export function copyFields(fields: Readonly<Record<string, string | string[]>> | undefined): Record<string, string | string[]> {
  const out = createSafeRecord<string | string[]>();
  for (const [key, value] of Object.entries(fields ?? {})) out[key] = Array.isArray(value) ? [...value] : value;
  return out;
}
