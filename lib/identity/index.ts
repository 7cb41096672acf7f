/**
 * Claims → `Identity`: presets per IdP, login-name parsing and the mapper itself.
 * @module
 */
export * from './types.js';
export * from './presets.js';
export * from './login-name.js';
export * from './to-identity.js';
export { CLAIM_LIMITS, INVALID_CLAIM_REASONS, type InvalidClaimReason } from '../internal/sanitize.js';
