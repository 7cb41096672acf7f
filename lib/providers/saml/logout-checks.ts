/**
 * The checks on a verified logout message that node-saml does not make: a LogoutRequest must be
 * addressed to this SP's logout endpoint, recent, and seen once; a LogoutResponse must be addressed
 * here when it says where it goes.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-core-2.0-os.pdf (3.2.2, 3.7.1)
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-bindings-2.0-os.pdf (3.4.5.2, 3.5.5.2: Destination of signed messages)
 * @module
 */
import { samlRefusal, type PrecheckedMessage } from './message-checks.js';

const SAML_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

/** What the LogoutRequest checks need to know about the provider. */
export interface LogoutRequestCheckConfig {
  /** This SP's logout endpoint: the LogoutRequest's `Destination` must equal it. */
  logoutCallbackUrl: string;
  /** The oldest `IssueInstant` accepted. */
  maxLogoutRequestAgeMs: number;
  acceptedClockSkewMs: number;
}

/** The facts of a checked LogoutRequest the replay cache needs. */
export interface CheckedLogoutRequest {
  /** The request's ID, the replay-cache key. */
  id: string;
  /** When the request stops being acceptable (the replay cache keeps its ID until then). */
  expiresAtMs: number;
}

/**
 * Checks a LogoutRequest whose signature has been verified: `Destination` is this SP's logout
 * endpoint (a LogoutRequest the IdP sent to another SP cannot end a session here), `IssueInstant` is
 * no older than `maxLogoutRequestAgeMs` and not in the future, `NotOnOrAfter` (when present) has not
 * passed. All with `acceptedClockSkewMs` of tolerance.
 */
export function checkLogoutRequest({ root }: PrecheckedMessage, config: LogoutRequestCheckConfig, nowMs: number): CheckedLogoutRequest {
  if (root.localName !== 'LogoutRequest' || root.namespaceURI !== SAML_PROTOCOL) throw samlRefusal('not a LogoutRequest');
  const id = root.getAttribute('ID');
  if (!id) throw samlRefusal('LogoutRequest has no ID');
  if (root.getAttribute('Destination') !== config.logoutCallbackUrl) throw samlRefusal('LogoutRequest Destination is not this logout endpoint');
  const skew = config.acceptedClockSkewMs;
  const issued = Date.parse(root.getAttribute('IssueInstant') ?? '');
  if (Number.isNaN(issued)) throw samlRefusal('LogoutRequest has no IssueInstant');
  if (issued - skew > nowMs) throw samlRefusal('LogoutRequest IssueInstant is in the future');
  const limits = [issued + config.maxLogoutRequestAgeMs];
  const notOnOrAfter = root.getAttribute('NotOnOrAfter');
  if (notOnOrAfter) {
    const t = Date.parse(notOnOrAfter);
    if (Number.isNaN(t)) throw samlRefusal('LogoutRequest NotOnOrAfter is not a time');
    limits.push(t);
  }
  const expiresAtMs = Math.min(...limits) + skew;
  if (!(expiresAtMs > nowMs)) throw samlRefusal('LogoutRequest expired or older than maxLogoutRequestAgeMs');
  return { id, expiresAtMs };
}

/** A LogoutResponse that says where it goes must be going to this SP's logout endpoint. */
export function checkLogoutResponseDestination({ root }: PrecheckedMessage, logoutCallbackUrl: string): void {
  const destination = root.getAttribute('Destination');
  if (destination && destination !== logoutCallbackUrl) throw samlRefusal('LogoutResponse Destination is not this logout endpoint');
}
