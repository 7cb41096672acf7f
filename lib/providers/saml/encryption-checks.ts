/**
 * The encryption algorithms jit-sso lets node-saml decrypt with, checked before node-saml (through
 * xml-encryption, which it calls with no algorithm restriction) decrypts anything.
 * @module
 */
import { parse, samlRefusal } from './message-checks.js';

/** AES-GCM: authenticated encryption, accepted by default. */
const GCM = new Set(['http://www.w3.org/2009/xmlenc11#aes128-gcm', 'http://www.w3.org/2009/xmlenc11#aes256-gcm']);
/**
 * AES-CBC and 3DES: no integrity, open to padding-oracle attacks on a ciphertext nobody signed; only
 * with `allowLegacyEncryption` (AD FS encrypts with AES-256-CBC).
 */
const LEGACY = new Set([
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
]);
/**
 * Key transport: RSA-OAEP only. RSA PKCS#1 v1.5 (`rsa-1_5`) is open to Bleichenbacher's attack and
 * Node refuses to decrypt it anyway.
 */
const KEY_TRANSPORT = new Set(['http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p']);

/**
 * Refuses a message whose encrypted parts use an algorithm outside the allow-list: AES-GCM for the
 * content (AES-CBC and 3DES too with `allowLegacy`), RSA-OAEP for the key. A message with no
 * encrypted part (no element named `Encrypted…`, which no character reference can spell) is not
 * parsed here. Every `EncryptionMethod` is checked by local name whatever its namespace, as
 * xml-encryption finds them.
 * @throws JitSsoError `ERR_JIT_SSO_AUTHENTICATION_FAILED` with the reason for the audit event.
 */
export function checkEncryptionAlgorithms(xml: string, options: { allowLegacy: boolean }): string {
  if (!xml.includes('Encrypted')) return xml;
  const root = parse(xml);
  for (const method of Array.from(root.getElementsByTagNameNS('*', 'EncryptionMethod'))) {
    const algorithm = (method.getAttribute('Algorithm') ?? '').slice(0, 100);
    const holder = (method.parentNode as Element | null)?.localName;
    if (holder === 'EncryptedKey') {
      if (!KEY_TRANSPORT.has(algorithm)) throw samlRefusal(`key transport algorithm not allowed: ${algorithm}`);
    } else if (holder === 'EncryptedData') {
      if (LEGACY.has(algorithm) && !options.allowLegacy) throw samlRefusal(`CBC or 3DES encryption without allowLegacyEncryption: ${algorithm}`);
      if (!GCM.has(algorithm) && !LEGACY.has(algorithm)) throw samlRefusal(`encryption algorithm not allowed: ${algorithm}`);
    } else {
      throw samlRefusal('EncryptionMethod outside EncryptedData and EncryptedKey');
    }
  }
  for (const data of Array.from(root.getElementsByTagNameNS('*', 'EncryptedData'))) {
    if (!Array.from(data.childNodes).some((n) => n.nodeType === 1 && (n as Element).localName === 'EncryptionMethod')) {
      throw samlRefusal('EncryptedData without an EncryptionMethod');
    }
  }
  return xml;
}
