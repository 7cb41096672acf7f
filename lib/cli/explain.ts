/**
 * `jit-sso explain`: what a login with these claims would do — the identity they give and the plan
 * the engine would carry out — without writing anything.
 * @module
 */
import { JitSsoError } from '../errors.js';
import { isPresetName, type PresetName } from '../identity/presets.js';
import { toIdentity } from '../identity/to-identity.js';
import type { Identity } from '../identity/types.js';
import { planProvisioning, type ProvisioningPlan } from '../provisioning/plan.js';
import { resolvePolicy, type ProvisioningOptions } from '../provisioning/policy.js';
import { findLinkCandidate, type LinkLookupStore } from '../provisioning/link-existing.js';
import { candidateRoleNames } from '../provisioning/roles.js';
import { readUnverifiedProfile } from '../providers/saml/message-checks.js';
import type { StoredUser, UserStore } from '../store/user-store.js';

/** What to explain. */
export interface ExplainInput {
  preset: PresetName;
  /** Parsed claims JSON (a SAML profile or OIDC claims), or a base64 SAMLResponse / raw XML string. */
  claims: unknown;
  policy?: ProvisioningOptions;
  /** The provider id the identity would be stored under. @default the preset's IdP name */
  provider?: string;
  /** Read (never written) to find the current user and the roles that exist. */
  store?: Pick<UserStore, 'findUserByIdentity' | 'existingRoles'> & LinkLookupStore;
  /** Without a store: the roles that exist in the app. @default every role the claims name */
  roles?: string[];
}

/** The identity, the stored user found (if any) and the plan. */
export interface Explanation {
  identity: Identity;
  currentUser: StoredUser | null;
  linkedBy?: 'username' | 'verified-email';
  /** Why an account that matched `linkExisting` was not linked. */
  notLinked?: string;
  existingRoles: string[];
  /** True when no store or role list was given and every role was assumed to exist. */
  rolesAssumed: boolean;
  plan: ProvisioningPlan;
}

/** Turns the `--claims` file's content into raw claims: JSON, a base64 SAMLResponse, or SAML XML. */
export function parseClaimsFile(content: string): unknown {
  const text = content.trim();
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new JitSsoError('ERR_JIT_SSO_INVALID_CLAIMS', { message: `the claims file is not valid JSON (${(err as Error).message})` });
    }
  }
  const xml = text.startsWith('<') ? text : decodeBase64(text);
  try {
    return readUnverifiedProfile(xml);
  } catch (err) {
    const reason = err instanceof JitSsoError && typeof err.details.reason === 'string' ? err.details.reason : String(err);
    throw new JitSsoError('ERR_JIT_SSO_INVALID_CLAIMS', { message: `the SAML response cannot be read: ${reason}` });
  }
}

function decodeBase64(text: string): string {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(compact)) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_CLAIMS', { message: 'the claims file is neither JSON, SAML XML nor a base64 SAMLResponse' });
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Plans the login the claims describe. Reads the store, never writes. */
export async function explain(input: ExplainInput): Promise<Explanation> {
  if (!isPresetName(input.preset)) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: `unknown preset "${String(input.preset)}"` });
  }
  const policy = resolvePolicy(input.policy, 'policy');
  const provider = input.provider ?? input.preset.replace(/-(saml|oidc)$/, '');
  const identity = toIdentity(input.claims, { preset: input.preset, provider, claimMap: policy.claimMap, linkExisting: policy.linkExisting });
  const wanted = candidateRoleNames(identity, policy);
  let currentUser: StoredUser | null = null;
  let linkedBy: Explanation['linkedBy'];
  let notLinked: string | undefined;
  let existingRoles: string[];
  if (input.store) {
    currentUser = await input.store.findUserByIdentity({ provider, subject: identity.key });
    // The very rule a login links by (link-existing.ts), so the dry run cannot link where a login would not.
    if (!currentUser) ({ user: currentUser, linkedBy, notLinked } = await findLinkCandidate(input.store, identity, policy));
    existingRoles = await input.store.existingRoles(wanted, { caseInsensitive: policy.roleMatch === 'case-insensitive' });
  } else {
    existingRoles = input.roles ?? wanted;
  }
  const plan = planProvisioning(identity, currentUser, policy, existingRoles, linkedBy ? { linkedBy } : {});
  return { identity, currentUser, ...(linkedBy ? { linkedBy } : {}), ...(notLinked ? { notLinked } : {}), existingRoles, rolesAssumed: !input.store && !input.roles, plan };
}
