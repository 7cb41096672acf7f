/**
 * The HTTP-Redirect binding, read from the raw query string: the SAML parameters taken by their
 * exact names, the signature verified over exactly the octets that were received, and only then the
 * message inflated.
 *
 * Why not `req.query`: Express decodes parameter names (`SAML%52equest` becomes `SAMLRequest`) while
 * node-saml looks for the signed parameters in the raw query by a substring match. A query carrying a
 * forged `SAML%52equest` next to a genuinely signed `SAMLResponse` was verified against the signed one
 * and acted upon as the forged one. Here one reading decides both what is verified and what is used.
 * @see https://docs.oasis-open.org/security/saml/v2.0/saml-bindings-2.0-os.pdf (3.4.4.1 DEFLATE encoding, signing)
 * @module
 */
import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { samlRefusal } from './message-checks.js';

/** Redirect-binding signature algorithms jit-sso accepts, with the Node hash each names (an allow-list: SHA-1 and MD5 are not in it). */
const SIG_ALGS = new Map([
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'RSA-SHA256'],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha384', 'RSA-SHA384'],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', 'RSA-SHA512'],
]);

const NAMES = ['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature', 'SAMLEncoding'] as const;
type Name = (typeof NAMES)[number];
/**
 * Names that are, or look like, SAML binding parameters once folded; any spelling other than the
 * exact one is refused (`samlrequest`, `SAML%52equest`, `Sig%41lg`, `SAMLart`, `SAMLRequest[]`).
 */
const SAML_LOOKING = /^(saml|sigalg$|signature$|relaystate$)/;
/** The one message encoding jit-sso reads (bindings 3.4.4.1), the default when `SAMLEncoding` is absent. */
const DEFLATE = 'urn:oasis:names:tc:SAML:2.0:bindings:URL-Encoding:DEFLATE';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A redirect-binding message whose signature has been verified; nothing in it has been inflated yet. */
export interface VerifiedRedirectMessage {
  kind: 'SAMLRequest' | 'SAMLResponse';
  /** The message, base64 of the deflated XML (decoded from the query). */
  message: string;
  /** RelayState, decoded; `undefined` when absent. */
  relayState: string | undefined;
  /** The parameters as node-saml's `validateRedirectAsync` takes them: exactly the values verified here. */
  container: Record<string, string>;
  /** The signed part of the query, exactly as received (`SAMLRequest=…[&RelayState=…]&SigAlg=…`). */
  signedQuery: string;
}

/**
 * Reads and verifies a redirect-binding message from the raw query of `url` (`req.originalUrl`).
 * Refuses (a {@link samlRefusal}) a query over `maxQueryBytes`; a SAML parameter given twice, under an
 * encoded or differently-cased name, or without a value; both `SAMLRequest` and `SAMLResponse`; a
 * missing `Signature` or `SigAlg`; an algorithm outside the allow-list; and a signature that does not
 * verify, with one of `certs`, over `SAMLRequest|SAMLResponse=…&RelayState=…&SigAlg=…` as received.
 * Nothing is inflated or parsed before the signature has verified.
 */
export function verifyRedirectQuery(url: string, certs: readonly KeyObject[], maxQueryBytes: number): VerifiedRedirectMessage {
  const at = url.indexOf('?');
  const query = at === -1 ? '' : url.slice(at + 1);
  if (query.length > maxQueryBytes) throw samlRefusal('redirect query over the size limit');
  const raw = rawParameters(query);

  if (raw.SAMLRequest !== undefined && raw.SAMLResponse !== undefined) throw samlRefusal('both SAMLRequest and SAMLResponse in the redirect query');
  const kind = raw.SAMLRequest !== undefined ? 'SAMLRequest' : raw.SAMLResponse !== undefined ? 'SAMLResponse' : undefined;
  if (!kind) throw samlRefusal('no SAML logout message');
  if (raw.SAMLEncoding !== undefined && decode(raw.SAMLEncoding) !== DEFLATE) throw samlRefusal('SAMLEncoding other than DEFLATE in the redirect query');
  // node-saml accepts a redirect-binding message without a Signature parameter; jit-sso does not.
  if (raw.Signature === undefined || raw.SigAlg === undefined) throw samlRefusal('unsigned logout message');

  const sigAlg = decode(raw.SigAlg);
  const hash = SIG_ALGS.get(sigAlg);
  if (!hash) throw samlRefusal('logout message signature algorithm not allowed (SHA-1 or weaker)');
  const signature = decode(raw.Signature);
  if (!BASE64.test(signature)) throw samlRefusal('redirect signature is not base64');

  // Bindings 3.4.4.1: the values as they were URL-encoded in the query received, in this order.
  const signedQuery = [`${kind}=${raw[kind]}`, ...(raw.RelayState === undefined ? [] : [`RelayState=${raw.RelayState}`]), `SigAlg=${raw.SigAlg}`].join('&');
  const signatureBytes = Buffer.from(signature, 'base64');
  const verified = certs.some((cert) => {
    try {
      return createVerify(hash).update(signedQuery).verify(cert, signatureBytes);
    } catch {
      return false;
    }
  });
  if (!verified) throw samlRefusal('redirect signature does not verify with the IdP certificate');

  const message = decode(raw[kind]!);
  const relayState = raw.RelayState === undefined ? undefined : decode(raw.RelayState);
  const container: Record<string, string> = { [kind]: message, SigAlg: sigAlg, Signature: signature };
  if (relayState !== undefined) container.RelayState = relayState;
  return { kind, message, relayState, container, signedQuery };
}

/**
 * The IdP certificates as public keys, read once at start-up (PEM, or bare base64 DER as node-saml
 * also takes). A certificate that cannot be read fails at start-up, not at the first logout.
 */
export function verificationKeys(idpCert: string | readonly string[]): KeyObject[] {
  return (Array.isArray(idpCert) ? idpCert : [idpCert as string]).map((cert) => {
    const text = cert.trim();
    const pem = text.startsWith('-----BEGIN') ? text : `-----BEGIN CERTIFICATE-----\n${text.replace(/\s+/g, '').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    return createPublicKey(pem);
  });
}

/** The five SAML parameters by exact name, raw (still URL-encoded); other parameters are ignored. */
function rawParameters(query: string): Partial<Record<Name, string>> {
  const found: Partial<Record<Name, string>> = {};
  if (query === '') return found;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? undefined : pair.slice(eq + 1);
    if ((NAMES as readonly string[]).includes(key)) {
      const name = key as Name;
      if (found[name] !== undefined) throw samlRefusal(`duplicate ${name} in the redirect query`);
      if (!value) throw samlRefusal(`empty ${name} in the redirect query`);
      found[name] = value;
      continue;
    }
    // Another spelling of a SAML parameter's name means someone hopes a reader decodes it into one.
    if (looksLikeSamlParameter(key)) throw samlRefusal('SAML parameter name encoded or spelt differently (or unknown) in the redirect query');
  }
  return found;
}

/**
 * Whether a raw query parameter name is, or a lenient reader (`+` as space, percent-decoded, trimmed,
 * any case, up to a `[` or `.` that qs reads as nesting) would take it for, a SAML binding parameter.
 */
export function looksLikeSamlParameter(rawKey: string): boolean {
  let name = rawKey.replaceAll('+', ' ');
  try {
    name = decodeURIComponent(name);
  } catch {
    // Not valid percent-encoding: compare it as it is.
  }
  return SAML_LOOKING.test(name.trim().toLowerCase().split(/[[.]/, 1)[0] ?? '');
}

/** A value as `application/x-www-form-urlencoded` decodes it; malformed percent-encoding is refused. */
function decode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    throw samlRefusal('malformed percent-encoding in the redirect query');
  }
}
