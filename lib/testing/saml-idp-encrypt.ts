/**
 * XML Encryption of the test SAML IdP's assertions (`encrypt` in `createResponse`), with node:crypto:
 * an `EncryptedAssertion` as Entra ID, AD FS or Shibboleth send it, for testing an SP's decryption.
 * @module
 */
import { createCipheriv, publicEncrypt, randomBytes, constants, X509Certificate } from 'node:crypto';
import { JitSsoError } from '../errors.js';
import { TEST_ENCRYPTION_ALGORITHMS, TEST_KEY_TRANSPORTS, type TestEncryptionAlgorithm, type TestEncryptOptions, type TestKeyTransport } from './saml-idp-types.js';

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const XMLDSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** Content algorithms: URI, Node cipher, key and IV sizes. */
const CIPHERS: Record<TestEncryptionAlgorithm, { uri: string; cipher: string; keyBytes: number; ivBytes: number }> = {
  'aes128-gcm': { uri: 'http://www.w3.org/2009/xmlenc11#aes128-gcm', cipher: 'aes-128-gcm', keyBytes: 16, ivBytes: 12 },
  'aes256-gcm': { uri: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', cipher: 'aes-256-gcm', keyBytes: 32, ivBytes: 12 },
  'aes128-cbc': { uri: `${XENC}aes128-cbc`, cipher: 'aes-128-cbc', keyBytes: 16, ivBytes: 16 },
  'aes256-cbc': { uri: `${XENC}aes256-cbc`, cipher: 'aes-256-cbc', keyBytes: 32, ivBytes: 16 },
  'tripledes-cbc': { uri: `${XENC}tripledes-cbc`, cipher: 'des-ede3-cbc', keyBytes: 24, ivBytes: 8 },
};

const KEY_TRANSPORTS: Record<TestKeyTransport, { uri: string; padding: number }> = {
  'rsa-oaep-mgf1p': { uri: `${XENC}rsa-oaep-mgf1p`, padding: constants.RSA_PKCS1_OAEP_PADDING },
  'rsa-1_5': { uri: `${XENC}rsa-1_5`, padding: constants.RSA_PKCS1_PADDING },
};

/**
 * `<saml:EncryptedAssertion>` holding `assertionXml` encrypted for the SP's certificate: a fresh
 * content key (AES-GCM `IV || ciphertext || tag`, or CBC `IV || ciphertext` with PKCS#7 padding),
 * wrapped with RSA-OAEP (SHA-1, the `rsa-oaep-mgf1p` default) in an `EncryptedKey`.
 * @see https://www.w3.org/TR/xmlenc-core1/ (5.2 block encryption, 5.4 key transport)
 */
export function encryptAssertion(assertionXml: string, options: TestEncryptOptions): string {
  const algorithm = options.algorithm ?? 'aes256-gcm';
  const transport = options.keyTransport ?? 'rsa-oaep-mgf1p';
  if (!TEST_ENCRYPTION_ALGORITHMS.includes(algorithm)) throw invalid('encrypt.algorithm', 'unknown encryption algorithm.');
  if (!TEST_KEY_TRANSPORTS.includes(transport)) throw invalid('encrypt.keyTransport', 'unknown key transport.');
  const { uri, cipher: name, keyBytes, ivBytes } = CIPHERS[algorithm];
  const key = randomBytes(keyBytes);
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv(name, key, iv);
  const body = Buffer.concat([cipher.update(assertionXml, 'utf8'), cipher.final()]);
  const tag = name.endsWith('gcm') ? (cipher as ReturnType<typeof createCipheriv> & { getAuthTag(): Buffer }).getAuthTag() : Buffer.alloc(0);
  const content = Buffer.concat([iv, body, tag]).toString('base64');
  let publicKey;
  try {
    publicKey = new X509Certificate(options.certificate).publicKey;
  } catch (cause) {
    throw new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: 'Test SAML IdP: encrypt.certificate must be a PEM X.509 certificate.', details: { path: 'encrypt.certificate' }, cause });
  }
  const wrapped = publicEncrypt({ key: publicKey, padding: KEY_TRANSPORTS[transport].padding, ...(transport === 'rsa-oaep-mgf1p' ? { oaepHash: 'sha1' } : {}) }, key).toString('base64');
  const oaepDigest = transport === 'rsa-oaep-mgf1p' ? `<ds:DigestMethod Algorithm="${XMLDSIG}sha1"/>` : '';
  return (
    '<saml:EncryptedAssertion>' +
    `<xenc:EncryptedData xmlns:xenc="${XENC}" Type="${XENC}Element">` +
    `<xenc:EncryptionMethod Algorithm="${uri}"/>` +
    `<ds:KeyInfo xmlns:ds="${XMLDSIG}"><xenc:EncryptedKey>` +
    `<xenc:EncryptionMethod Algorithm="${KEY_TRANSPORTS[transport].uri}">${oaepDigest}</xenc:EncryptionMethod>` +
    `<xenc:CipherData><xenc:CipherValue>${wrapped}</xenc:CipherValue></xenc:CipherData>` +
    '</xenc:EncryptedKey></ds:KeyInfo>' +
    `<xenc:CipherData><xenc:CipherValue>${content}</xenc:CipherValue></xenc:CipherData>` +
    '</xenc:EncryptedData></saml:EncryptedAssertion>'
  );
}

/** `xml` with its (one) signed `saml:Assertion` replaced by the encrypted form. */
export function withEncryptedAssertion(xml: string, options: TestEncryptOptions): string {
  const start = xml.indexOf('<saml:Assertion');
  const closing = '</saml:Assertion>';
  const end = xml.lastIndexOf(closing);
  if (start < 0 || end < start) throw invalid('encrypt', 'the response has no saml:Assertion to encrypt.');
  return xml.slice(0, start) + encryptAssertion(xml.slice(start, end + closing.length), options) + xml.slice(end + closing.length);
}

function invalid(path: string, message: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_INVALID_OPTIONS', { message: `Test SAML IdP: ${message}`, details: { path } });
}
