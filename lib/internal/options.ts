import type { ZodType } from 'zod';
import { JitSsoError } from '../errors.js';

/**
 * Parses options with a zod schema, failing with `ERR_JIT_SSO_INVALID_OPTIONS` that names the option
 * path (`providers[0].provisioning.sync`), so a wrong option stops the app at start-up.
 */
export function parseOptions<T>(schema: ZodType<T>, input: unknown, basePath: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = joinPath(basePath, issue.path);
    const keys = (issue as { keys?: string[] }).keys;
    return keys?.length ? `${path}: unknown option ${keys.map((k) => `"${k}"`).join(', ')}` : `${path}: ${issue.message}`;
  });
  throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', {
    message: `Invalid jit-sso option ${issues[0]}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
    details: { path: joinPath(basePath, result.error.issues[0]?.path ?? []), issues },
  });
}

function joinPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out || '(options)';
}

/** `name` when it is a non-empty role name; rejects `ERR_JIT_SSO_INVALID_OPTIONS` at `path` otherwise. */
export function checkRoleName(name: unknown, path: string): string {
  if (typeof name !== 'string' || name.trim() === '')
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { details: { path } });
  return name;
}
