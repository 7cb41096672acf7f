/**
 * The test SAML IdP's single-logout messages: LogoutRequests and LogoutResponses for the HTTP-POST
 * binding (enveloped signature) and the HTTP-Redirect binding (query signature).
 * @module
 */
import { createSign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { rootTarget, signElement } from './saml-idp-sign.js';
import { buildLogoutRequestXml, buildLogoutResponseXml, newSamlId, STATUS_SUCCESS } from './saml-idp-xml.js';
import type { CreateLogoutRequestOptions, CreateLogoutResponseOptions, RedirectQueryOptions, TestSamlKeys } from './saml-idp-types.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

export function logoutMessages(issuer: string, keys: TestSamlKeys, nameIdFormat: string) {
  return {
    createLogoutRequest(o: CreateLogoutRequestOptions): string {
      let xml = buildLogoutRequestXml({
        id: o.id ?? newSamlId(),
        issuer,
        destination: o.destination,
        nameId: { value: o.nameId, format: o.nameIdFormat ?? nameIdFormat },
        sessionIndex: o.sessionIndex,
        ...(o.issueInstant ? { issueInstant: o.issueInstant } : {}),
        notOnOrAfter: o.notOnOrAfter,
      });
      if (o.sign ?? true) xml = signElement(xml, rootTarget('LogoutRequest', true), keys, 'rsa-sha256');
      return Buffer.from(xml, 'utf8').toString('base64');
    },

    createLogoutResponse(o: CreateLogoutResponseOptions): string {
      let xml = buildLogoutResponseXml({
        id: newSamlId(),
        issuer,
        destination: o.destination,
        inResponseTo: o.inResponseTo,
        statusCode: o.statusCode ?? STATUS_SUCCESS,
      });
      if (o.sign ?? true) xml = signElement(xml, rootTarget('LogoutResponse', true), keys, 'rsa-sha256');
      return Buffer.from(xml, 'utf8').toString('base64');
    },

    redirectQuery(message: string, o: RedirectQueryOptions = {}): string {
      const xml = Buffer.from(message, 'base64').toString('utf8');
      const parameter = /^<(?:[\w-]+:)?LogoutResponse[\s>]/.test(xml) ? 'SAMLResponse' : 'SAMLRequest';
      let query = `${parameter}=${encodeURIComponent(deflateRawSync(xml).toString('base64'))}`;
      if (o.relayState !== undefined) query += `&RelayState=${encodeURIComponent(o.relayState)}`;
      if (!(o.sign ?? true)) return query;
      query += `&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
      const signature = createSign('RSA-SHA256').update(query).sign(keys.privateKey, 'base64');
      return `${query}&Signature=${encodeURIComponent(signature)}`;
    },
  };
}
