export * from './policy.js';
export * from './plan.js';
export * from './gates.js';
export { idpRoleValues, mapRoleValues, matchRoles, matchIdpRoles, foldRoleName, candidateRoleNames } from './roles.js';
export { type LoginContext, loginContextOf } from './audit.js';
export * from './jit-provision.js';
