/**
 * The human-readable report of `jit-sso explain`.
 * @module
 */
import type { Explanation } from './explain.js';

const show = (value: unknown): string => {
  if (value === undefined || value === null || value === '') return '(none)';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '[] (empty)';
  return String(value);
};

/** The report: the identity, then what the login would do and why. */
export function formatExplanation(e: Explanation): string {
  const { identity: id, plan } = e;
  const lines: string[] = [];
  const row = (label: string, value: unknown) => lines.push(`  ${label.padEnd(14)}${show(value)}`);
  lines.push(`Identity (provider "${id.provider}")`);
  row('key', id.key);
  row('subject', id.subject);
  row('issuer', id.issuer);
  row('username', id.username);
  row('domain', id.domain);
  row('email', id.email === undefined ? undefined : `${id.email}${id.emailVerified ? ' (verified)' : ' (not verified)'}`);
  row('display name', id.displayName);
  row('first name', id.firstName);
  row('last name', id.lastName);
  row('tenant', id.tenant);
  row('groups', id.groupsOverage ? '(overage: the IdP sent a link, not the groups)' : id.groups === undefined ? '(claim absent)' : id.groups);
  row('roles', id.roles === undefined ? '(claim absent)' : id.roles);
  for (const [key, value] of Object.entries(id.fields)) row(`field ${key}`, value);
  lines.push('');

  if (plan.action === 'deny') {
    lines.push(`Plan: REFUSE the login — ${plan.code}`);
    lines.push(`  why           ${plan.reason}`);
  } else if (plan.action === 'create') {
    lines.push(`Plan: CREATE the user (audit: ${plan.subType})`);
    row('status', plan.user.status + (plan.user.status === 'pending' ? ' — refused until an admin activates it' : ''));
    row('user type', plan.user.userType);
  } else {
    const who = e.currentUser ? `${e.currentUser.username} (${e.currentUser.id})` : plan.userId;
    lines.push(`Plan: SIGN IN existing user ${who} (audit: ${plan.subType})`);
    if (e.linkedBy) row('linked by', `${e.linkedBy} — this identity will be linked to the account`);
    if (e.notLinked) row('not linked', e.notLinked);
  }
  if (plan.action !== 'deny') {
    const { fields, rolesAdded, rolesRemoved, rolesSkipped, rolesSkippedReasons } = plan.changes;
    lines.push('  fields');
    if (fields.length === 0) lines.push('    (no change)');
    for (const f of fields) lines.push(`    ${f.field}: ${show(f.before)} → ${show(f.after)}`);
    const added = plan.action === 'create' ? plan.user.roles.map((r) => `${r.role} (${r.source})`) : rolesAdded.map((r) => `${r} (idp)`);
    row('roles added', added.length ? added : undefined);
    row('roles removed', rolesRemoved.length ? rolesRemoved.map((r) => `${r} — the IdP no longer sends it`) : undefined);
    const why = (i: number) => (rolesSkippedReasons?.[i]?.reason === 'protected' ? 'protected: given only through roleMap' : 'not a role in the app');
    row('roles skipped', rolesSkipped.length ? rolesSkipped.map((r, i) => `${r} — ${why(i)}`) : undefined);
  }
  if (e.rolesAssumed) lines.push('', 'Note: no --store or --roles given; every role the claims name was assumed to exist.');
  lines.push('', 'Nothing was written.');
  return lines.join('\n');
}
