// The claims jit-sso's post-validation checks hand the provisioner, for in-process provisioning
// timings: node-saml validates each signed response (as the server would) and its profile, without
// its methods and `attributes`, is what checkVerifiedAssertion builds from the same assertion.
import { SAML } from '@node-saml/node-saml';
import { nodeSamlConfig } from './apps.mjs';

export function rawClaims(profile) {
  const raw = Object.create(null);
  for (const [key, value] of Object.entries(profile)) {
    if (key !== 'attributes' && (typeof value === 'string' || Array.isArray(value))) raw[key] = value;
  }
  return raw;
}

/** The claims of each response, validated once per distinct response. */
export async function claimsOf(responses, idpCert) {
  const saml = new SAML(nodeSamlConfig(idpCert));
  const out = [];
  for (const b64 of responses) out.push(rawClaims((await saml.validatePostResponseAsync({ SAMLResponse: b64 })).profile));
  return out;
}
