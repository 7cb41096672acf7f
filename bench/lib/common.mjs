// Constants every part of the benchmark shares, and the statistics it prints.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** Ignored by git (`.data/` in .gitignore): seeded databases, temporary stores, CPU profiles. */
export const DATA_DIR = path.join(BENCH_DIR, '.data');

export const SP_ENTITY_ID = 'https://app.bench.local/saml';
/** The ACS URL in every response (Destination, Recipient); the servers listen on 127.0.0.1 but compare to this string. */
export const CALLBACK_URL = 'https://app.bench.local/auth/entra/callback';
export const CALLBACK_PATH = '/auth/entra/callback';
export const IDP_ISSUER = 'https://idp.bench.local/saml';
export const IDP_ENTRY = 'https://idp.bench.local/saml/sso';
export const TENANT = '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f';
export const PROVIDER = 'entra';
/** Responses are signed minutes before they are used: both apps accept assertions up to this old. */
export const ASSERTION_LIFETIME_MS = 3 * 3600 * 1000;

/** The app roles of the login benchmark; each bench user is sent two of them. */
export const APP_ROLES = ['Admin', 'Invoice.Reader', 'Invoice.Approver', 'Employee', 'Seller'];

/** Subject (`objectidentifier`) of bench user `i`. */
export const oid = (i) => `oid-${String(i).padStart(8, '0')}`;

/** A bench user as the test IdP sends it. */
export function benchUser(i, extra = {}) {
  return {
    id: oid(i),
    username: `user${i}@contoso.com`,
    email: `user${i}@contoso.com`,
    firstName: 'User',
    lastName: String(i),
    displayName: `User ${i}`,
    tenant: TENANT,
    roles: [APP_ROLES[1], APP_ROLES[3]],
    ...extra,
  };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
export const mib = (bytes) => bytes / 1024 / 1024;

export function log(...args) {
  process.stderr.write(`${args.join(' ')}\n`);
}
