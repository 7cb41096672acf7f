/**
 * Enveloped XML signatures for the test SAML IdP (xml-crypto).
 * @module
 */
import { SignedXml } from 'xml-crypto';
import type { TestSamlKeys, TestSignatureAlgorithm } from './saml-idp-types.js';

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

const ALGORITHMS: Record<TestSignatureAlgorithm, { signature: string; digest: string }> = {
  'rsa-sha256': {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
  },
  'rsa-sha1': {
    signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
    digest: 'http://www.w3.org/2000/09/xmldsig#sha1',
  },
};

/** What to sign and where the `ds:Signature` goes. */
export interface SignTarget {
  /** XPath of the element to sign; it must carry an `ID`. */
  element: string;
  /**
   * XPath of the element's `Issuer` child: the schema puts `Signature` right after it. `undefined`
   * when the element has no Issuer, and then the signature is its first child.
   */
  issuer: string | undefined;
}

/**
 * Signs one element: RSA-SHA256 (or SHA-1) over an exclusive-c14n enveloped reference to its `ID`,
 * with the certificate in `KeyInfo/X509Data`.
 * @see https://www.w3.org/TR/xmldsig-core1/ (enveloped signature, exclusive c14n)
 */
export function signElement(xml: string, target: SignTarget, keys: TestSamlKeys, algorithm: TestSignatureAlgorithm): string {
  const { signature, digest } = ALGORITHMS[algorithm];
  const signer = new SignedXml({
    privateKey: keys.privateKey,
    publicCert: keys.certificate,
    signatureAlgorithm: signature,
    canonicalizationAlgorithm: EXC_C14N,
  });
  signer.addReference({ xpath: target.element, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: digest });
  signer.computeSignature(xml, {
    prefix: 'ds',
    location:
      target.issuer === undefined
        ? { reference: target.element, action: 'prepend' }
        : { reference: target.issuer, action: 'after' },
  });
  return signer.getSignedXml();
}

/** XPath of `/<root>` (by local name) and its `Issuer` child. */
export function rootTarget(rootLocalName: string, hasIssuer: boolean): SignTarget {
  const element = `/*[local-name()='${rootLocalName}']`;
  return { element, issuer: hasIssuer ? `${element}/*[local-name()='Issuer']` : undefined };
}

/** XPath of the Response's single Assertion and its `Issuer` child. */
export function assertionTarget(hasIssuer: boolean): SignTarget {
  const element = "/*[local-name()='Response']/*[local-name()='Assertion']";
  return { element, issuer: hasIssuer ? `${element}/*[local-name()='Issuer']` : undefined };
}
