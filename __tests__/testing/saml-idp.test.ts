import { createVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { SAML, ValidateInResponseTo, type Profile, type SamlConfig } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import express from 'express';
import request from 'supertest';
import { generate } from 'selfsigned';
import { JitSsoError } from '../../lib/errors.js';
import {
  SAML_CLAIM_NAMES,
  createTestSamlIdp,
  tamperXml,
  type TestSamlIdp,
  type TestSamlKeys,
  type TestUser,
} from '../../lib/testing/saml-idp.js';

const SP = 'urn:test:sp';
const ACS = 'https://sp.test.local/sso/saml/acs';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const TENANT = '8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f';

const alice: TestUser = {
  id: '5e1b7c3a-2f4d-4a6e-9b8c-0d1e2f3a4b5c',
  username: 'alice.johnson@contoso.com',
  email: 'alice.johnson@contoso.com',
  firstName: 'Alice',
  lastName: 'Johnson',
  displayName: 'Alice Johnson',
  groups: ['0b2e6a1c-9d4f-4e3a-8b7c-1d2e3f4a5b6c', '7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f'],
  roles: ['Invoice.Approver', 'Invoice.Reader'],
  tenant: TENANT,
};
const bob: TestUser = { id: 'LhyaP017j06hssPU5fYHGA==', username: 'CONTOSO\\bob', firstName: 'Bob', groups: ['CONTOSO\\VPN-Users'] };

let idp: TestSamlIdp;
let attacker: TestSamlKeys;

beforeAll(async () => {
  idp = await createTestSamlIdp({ users: [alice, bob] });
  const pems = await generate([{ name: 'commonName', value: 'attacker' }], { keySize: 2048, algorithm: 'sha256' });
  attacker = { privateKey: pems.private, certificate: pems.cert };
});

function sp(overrides: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    idpCert: idp.certificate,
    issuer: SP,
    callbackUrl: ACS,
    audience: SP,
    entryPoint: 'https://idp.test.local/idp/sso',
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    signatureAlgorithm: 'sha256',
    validateInResponseTo: ValidateInResponseTo.never,
    ...overrides,
  });
}

async function profileOf(base64: string, saml = sp()): Promise<Profile> {
  const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: base64 });
  if (!profile) throw new Error('node-saml returned no profile');
  return profile;
}

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

function first(doc: Document | Element, ns: string, name: string): Element {
  const found = doc.getElementsByTagNameNS(ns, name)[0];
  if (!found) throw new Error(`no ${name}`);
  return found;
}

function b64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

describe('createResponse: accepted by node-saml with signed responses and assertions required', () => {
  it('sends Entra ID claim names, with the UPN as an emailAddress NameID', async () => {
    const profile = await profileOf(idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP }).base64);
    const names = SAML_CLAIM_NAMES['entra-saml'].attributes;
    expect(profile.issuer).toBe('https://idp.test.local/saml');
    expect(profile.nameID).toBe('alice.johnson@contoso.com');
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    expect(profile['http://schemas.microsoft.com/identity/claims/objectidentifier']).toBe(alice.id);
    expect(profile['http://schemas.microsoft.com/identity/claims/tenantid']).toBe(TENANT);
    expect(profile['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name']).toBe(alice.username);
    expect(profile[names.displayName!]).toBe('Alice Johnson');
    expect(profile['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname']).toBe('Alice');
    expect(profile['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress']).toBe(alice.email);
    expect(profile['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups']).toEqual(alice.groups);
    expect(profile['http://schemas.microsoft.com/ws/2008/06/identity/claims/role']).toEqual(alice.roles);
  });

  it('sends AD FS claim names with a persistent NameID holding the object id', async () => {
    const profile = await profileOf(idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, preset: 'adfs-saml' }).base64);
    expect(profile.nameID).toBe(alice.id);
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(profile['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']).toBe(alice.username);
    expect(profile['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/displayname']).toBe('Alice Johnson');
    expect(profile['http://schemas.xmlsoap.org/claims/Group']).toEqual(alice.groups);
    expect(profile['http://schemas.microsoft.com/ws/2008/06/identity/claims/role']).toEqual(alice.roles);
    expect(profile['http://schemas.microsoft.com/identity/claims/tenantid']).toBeUndefined();
  });

  it('sends an AD FS DOMAIN\\user login as windowsaccountname, not upn, and one group as a string', async () => {
    const profile = await profileOf(idp.createResponse({ user: bob.id, acsUrl: ACS, audience: SP, preset: 'adfs-saml' }).base64);
    expect(profile['http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname']).toBe('CONTOSO\\bob');
    expect(profile['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']).toBeUndefined();
    expect(profile['http://schemas.xmlsoap.org/claims/Group']).toBe('CONTOSO\\VPN-Users');
  });

  it('sends Okta attribute statements, the login as an unspecified NameID, and no roles', async () => {
    const { xml, base64 } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, preset: 'okta-saml' });
    const profile = await profileOf(base64);
    expect(profile.nameID).toBe(alice.username);
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified');
    expect(profile.email).toBe(alice.email);
    expect(profile.firstName).toBe('Alice');
    expect(profile.lastName).toBe('Johnson');
    expect(profile.oktaUserId).toBe(alice.id);
    expect(profile.groups).toEqual(alice.groups);
    expect(Object.keys(profile.attributes as object)).not.toContain('roles');
    expect(xml).toContain('NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"');
  });

  it('round-trips values with XML metacharacters and line breaks, in attributes and the NameID', async () => {
    const hostile = 'a<b>&c"d\'e\r\nf\tg';
    const profile = await profileOf(
      idp.createResponse({
        user: { id: 'x&<y>', username: 'odd"<&>@contoso.com', displayName: hostile },
        acsUrl: ACS,
        audience: SP,
        extraAttributes: [{ name: 'weird"<name>&', values: [hostile, ' '] }],
      }).base64,
    );
    expect(profile.nameID).toBe('odd"<&>@contoso.com');
    expect(profile['http://schemas.microsoft.com/identity/claims/objectidentifier']).toBe('x&<y>');
    expect(profile['http://schemas.microsoft.com/identity/claims/displayname']).toBe(hostile);
    expect(profile['weird"<name>&']).toEqual([hostile, ' ']);
  });

  it('refuses a value XML 1.0 cannot carry instead of emitting a broken document', () => {
    expect(() => idp.createResponse({ user: { id: 'n', username: 'nul\u0000@x' }, acsUrl: ACS, audience: SP })).toThrow(JitSsoError);
  });

  it('sends the user as changed by updateUser at the next login', async () => {
    const local = await createTestSamlIdp({ users: [alice], keys: { privateKey: attacker.privateKey, certificate: attacker.certificate } });
    local.updateUser(alice.id, { groups: ['Admins'] });
    const saml = sp({ idpCert: local.certificate });
    const profile = await profileOf(local.createResponse({ user: alice.id, acsUrl: ACS, audience: SP }).base64, saml);
    expect(profile['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups']).toBe('Admins');
    expect(local.getUser(alice.id)?.groups).toEqual(['Admins']);
    expect(idp.getUser(alice.id)?.groups).toEqual(alice.groups);
  });
});

describe('createResponse: signatures', () => {
  it('signs the Assertion and the Response with RSA-SHA256, exclusive c14n, and the certificate in KeyInfo', () => {
    const doc = parse(idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP }).xml);
    const signatures = Array.from(doc.getElementsByTagNameNS(DSIG_NS, 'Signature'));
    expect(signatures.map((s) => (s.parentNode as Element).localName).sort()).toEqual(['Assertion', 'Response']);
    for (const signature of signatures) {
      expect((signature.previousSibling as Element).localName).toBe('Issuer');
      expect(first(signature, DSIG_NS, 'SignatureMethod').getAttribute('Algorithm')).toBe(
        'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      );
      expect(first(signature, DSIG_NS, 'DigestMethod').getAttribute('Algorithm')).toBe(
        'http://www.w3.org/2001/04/xmlenc#sha256',
      );
      expect(first(signature, DSIG_NS, 'CanonicalizationMethod').getAttribute('Algorithm')).toBe(
        'http://www.w3.org/2001/10/xml-exc-c14n#',
      );
      expect(idp.certificate.replace(/\s/g, '')).toContain(first(signature, DSIG_NS, 'X509Certificate').textContent);
    }
  });

  it('an unsigned assertion is refused when assertions must be signed, though its Response signature is valid', async () => {
    const { base64 } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, sign: { assertion: false } });
    await expect(profileOf(base64)).rejects.toThrow('Invalid signature');
    await expect(profileOf(base64, sp({ wantAssertionsSigned: false }))).resolves.toMatchObject({ nameID: alice.username });
  });

  it('an unsigned Response is refused when responses must be signed', async () => {
    const { base64 } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, sign: { response: false } });
    await expect(profileOf(base64)).rejects.toThrow('Invalid document signature');
  });

  it("a response signed with an attacker's key, its certificate in KeyInfo, is refused", async () => {
    const { xml, base64 } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, signingKey: attacker });
    expect(xml.replace(/\s/g, '')).toContain(attacker.certificate.replace(/-----[A-Z ]+-----|\s/g, ''));
    await expect(profileOf(base64)).rejects.toThrow('Invalid document signature');
  });

  it('signs with RSA-SHA1 and a SHA-1 digest when asked, which node-saml still accepts', async () => {
    const { xml, base64 } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, signatureAlgorithm: 'rsa-sha1' });
    expect(xml).toContain('Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"');
    expect(xml).toContain('Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"');
    expect(xml).not.toContain('sha256');
    await expect(profileOf(base64)).resolves.toMatchObject({ nameID: alice.username });
  });
});

describe('createResponse: protocol fields and tampering knobs', () => {
  it('puts InResponseTo, Destination and Recipient in the XML as asked', () => {
    const doc = parse(idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, inResponseTo: '_req1' }).xml);
    const data = first(doc, ASSERTION_NS, 'SubjectConfirmationData');
    expect(doc.documentElement.getAttribute('InResponseTo')).toBe('_req1');
    expect(doc.documentElement.getAttribute('Destination')).toBe(ACS);
    expect(data.getAttribute('InResponseTo')).toBe('_req1');
    expect(data.getAttribute('Recipient')).toBe(ACS);
    expect(first(doc, ASSERTION_NS, 'Audience').textContent).toBe(SP);
    expect(first(doc, ASSERTION_NS, 'SubjectConfirmation').getAttribute('Method')).toBe('urn:oasis:names:tc:SAML:2.0:cm:bearer');

    const unsolicited = parse(idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP }).xml);
    expect(unsolicited.documentElement.hasAttribute('InResponseTo')).toBe(false);
    expect(first(unsolicited, ASSERTION_NS, 'SubjectConfirmationData').hasAttribute('InResponseTo')).toBe(false);
  });

  it('node-saml alone accepts a wrong Destination, Recipient, assertion Issuer, holder-of-key method and failed status: the SP must check them', async () => {
    const { xml, base64 } = idp.createResponse({
      user: alice.id,
      acsUrl: ACS,
      audience: SP,
      destination: 'https://evil.test/acs',
      recipient: 'https://evil.test/acs',
      assertionIssuer: 'https://evil.test/idp',
      responseIssuer: 'https://other.test/idp',
      subjectConfirmationMethod: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key',
      statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
    });
    const doc = parse(xml);
    expect(doc.documentElement.getAttribute('Destination')).toBe('https://evil.test/acs');
    expect(first(doc, ASSERTION_NS, 'SubjectConfirmationData').getAttribute('Recipient')).toBe('https://evil.test/acs');
    expect(first(doc, ASSERTION_NS, 'Issuer').textContent).toBe('https://other.test/idp');
    await expect(profileOf(base64)).resolves.toMatchObject({ issuer: 'https://evil.test/idp' });
  });

  it('leaves out the Issuers and the NotOnOrAfter limits when asked; node-saml refuses an assertion with no NotOnOrAfter', async () => {
    const { xml, base64 } = idp.createResponse({
      user: alice.id,
      acsUrl: ACS,
      audience: SP,
      assertionIssuer: null,
      responseIssuer: null,
      omitNotOnOrAfter: true,
    });
    expect(xml).not.toContain('Issuer>');
    expect(xml).not.toContain('NotOnOrAfter');
    await expect(profileOf(base64)).rejects.toThrow('NotOnOrAfter');
  });

  it('an expired assertion, and one for another audience, are refused', async () => {
    const past = new Date(Date.now() - 3600_000);
    const expired = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, issueInstant: past, notOnOrAfter: new Date(past.getTime() + 60_000) });
    await expect(profileOf(expired.base64)).rejects.toThrow('expired');
    const other = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: 'urn:other:sp' });
    await expect(profileOf(other.base64)).rejects.toThrow('audience mismatch');
  });

  it('node-saml accepts the same response twice (no replay cache): the SP must remember assertion ids', async () => {
    const { base64 } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, assertionId: '_once', responseId: '_r_once' });
    const saml = sp();
    await profileOf(base64, saml);
    await expect(profileOf(base64, saml)).resolves.toMatchObject({ nameID: alice.username });
  });

  it('an IdP-signed attribute named __proto__ with element content becomes the prototype of the node-saml profile', async () => {
    const { xml, base64 } = idp.createResponse({
      user: alice.id,
      acsUrl: ACS,
      audience: SP,
      extraAttributes: [{ name: '__proto__', values: '' }],
      beforeSign: (doc) => {
        const attribute = Array.from(doc.getElementsByTagNameNS(ASSERTION_NS, 'Attribute')).find((a) => a.getAttribute('Name') === '__proto__');
        const child = doc.createElementNS(ASSERTION_NS, 'saml:isAdmin');
        child.appendChild(doc.createTextNode('true'));
        attribute!.firstChild!.appendChild(child);
      },
    });
    expect(xml).toContain('<saml:Attribute Name="__proto__"><saml:AttributeValue><saml:isAdmin>true</saml:isAdmin>');
    const profile = await profileOf(base64);
    expect(Object.hasOwn(profile, 'isAdmin')).toBe(false);
    expect((profile as Record<string, unknown>).isAdmin).toEqual([{ _: 'true' }]);
  });
});

describe('tamperXml', () => {
  it('keeps untouched signatures valid, and a changed NameID breaks them', async () => {
    const { xml } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP });
    expect(tamperXml(xml, () => undefined)).toBe(xml);
    const forged = tamperXml(xml, (doc) => {
      first(doc, ASSERTION_NS, 'NameID').textContent = 'admin@contoso.com';
    });
    await expect(profileOf(b64(forged))).rejects.toThrow(/signature/i);
  });

  it('a comment inside the NameID keeps the signature valid and node-saml reads the whole value', async () => {
    const { xml } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, nameId: 'admin@contoso.com.evil.test' });
    const forged = tamperXml(xml, (doc) => {
      const nameId = first(doc, ASSERTION_NS, 'NameID');
      const tail = (nameId.firstChild as Text).splitText('admin@contoso.com'.length);
      nameId.insertBefore(doc.createComment(''), tail);
    });
    expect(forged).toContain('admin@contoso.com<!---->.evil.test');
    await expect(profileOf(b64(forged))).resolves.toMatchObject({ nameID: 'admin@contoso.com.evil.test' });
  });

  it('node-saml reads Response@InResponseTo unsigned: with only the assertion signed, removing it skips the ifPresent check', async () => {
    const saml = sp({ wantAuthnResponseSigned: false, validateInResponseTo: ValidateInResponseTo.ifPresent });
    const { xml, base64 } = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, inResponseTo: '_never_issued', sign: { response: false } });
    await expect(profileOf(base64, saml)).rejects.toThrow('InResponseTo is not valid');
    const stripped = tamperXml(xml, (doc) => doc.documentElement.removeAttribute('InResponseTo'));
    await expect(profileOf(b64(stripped), saml)).resolves.toMatchObject({ nameID: alice.username });
  });
});

describe('parseAuthnRequest', () => {
  it("reads the ID, ACS URL, Issuer and Destination of node-saml's own redirect-binding request", async () => {
    const url = new URL(await sp().getAuthorizeUrlAsync('', undefined, {}));
    const parsed = idp.parseAuthnRequest(url.searchParams.get('SAMLRequest')!);
    expect(parsed.id).toMatch(/^_/);
    expect(parsed).toMatchObject({ acsUrl: ACS, issuer: SP, destination: 'https://idp.test.local/idp/sso' });
  });

  it('reads a POST-binding request (plain base64), and completes an SP-initiated login node-saml checks InResponseTo on', async () => {
    const saml = sp({ validateInResponseTo: ValidateInResponseTo.always });
    const url = new URL(await saml.getAuthorizeUrlAsync('', undefined, {}));
    const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
    const parsed = idp.parseAuthnRequest(b64(xml));
    const response = idp.createResponse({ user: alice.id, acsUrl: parsed.acsUrl!, audience: parsed.issuer!, inResponseTo: parsed.id });
    await expect(profileOf(response.base64, saml)).resolves.toMatchObject({ inResponseTo: parsed.id });
    const unknown = idp.createResponse({ user: alice.id, acsUrl: ACS, audience: SP, inResponseTo: '_forged' });
    await expect(profileOf(unknown.base64, saml)).rejects.toThrow('InResponseTo is not valid');
  });

  it('refuses garbage, a non-AuthnRequest and a DOCTYPE with a JitSsoError', () => {
    const cases = [
      'not base64 at all!',
      b64('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1"/>'),
      deflateRawSync('<!DOCTYPE x [<!ENTITY a "b">]><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1"/>').toString('base64'),
    ];
    for (const samlRequest of cases) {
      expect(() => idp.parseAuthnRequest(samlRequest)).toThrow(JitSsoError);
    }
  });
});

describe('createLogoutRequest', () => {
  it('node-saml accepts the signed LogoutRequest and refuses the unsigned one', async () => {
    const saml = sp();
    const signed = idp.createLogoutRequest({ nameId: alice.username, sessionIndex: '_s1', destination: 'https://sp.test.local/sso/saml/logout' });
    await expect(saml.validatePostRequestAsync({ SAMLRequest: signed })).resolves.toMatchObject({
      profile: { nameID: alice.username, sessionIndex: '_s1' },
    });
    const unsigned = idp.createLogoutRequest({ nameId: alice.username, destination: 'https://sp.test.local/sso/saml/logout', sign: false });
    expect(Buffer.from(unsigned, 'base64').toString('utf8')).not.toContain('Signature');
    await expect(saml.validatePostRequestAsync({ SAMLRequest: unsigned })).rejects.toThrow('Invalid signature');
  });

  it('sets the ID, IssueInstant and NotOnOrAfter it is given', () => {
    const xml = Buffer.from(
      idp.createLogoutRequest({ nameId: alice.username, destination: 'https://sp.test.local/slo', id: '_lr1', issueInstant: new Date('2026-01-02T03:04:05Z'), notOnOrAfter: new Date('2026-01-02T03:09:05Z'), sign: false }),
      'base64',
    ).toString('utf8');
    expect(xml).toMatch(/ID="_lr1"[^>]*IssueInstant="2026-01-02T03:04:05.000Z"[^>]*NotOnOrAfter="2026-01-02T03:09:05.000Z"/);
  });
});

describe('createLogoutResponse and redirectQuery', () => {
  it('node-saml accepts the signed LogoutResponse, which carries the InResponseTo it is given', async () => {
    const signed = idp.createLogoutResponse({ inResponseTo: '_req1', destination: 'https://sp.test.local/slo' });
    expect(Buffer.from(signed, 'base64').toString('utf8')).toMatch(/<samlp:LogoutResponse [^>]*InResponseTo="_req1"/);
    await expect(sp({ validateInResponseTo: ValidateInResponseTo.never }).validatePostResponseAsync({ SAMLResponse: signed })).resolves.toMatchObject({ loggedOut: true });
  });

  it('signs the redirect query over SAMLRequest|SAMLResponse, RelayState and SigAlg, as received (bindings 3.4.4.1)', async () => {
    const query = idp.redirectQuery(idp.createLogoutResponse({ inResponseTo: undefined, destination: undefined, sign: false }), { relayState: 'a b/c' });
    expect(query).toMatch(/^SAMLResponse=[^&]+&RelayState=a%20b%2Fc&SigAlg=[^&]+&Signature=[^&]+$/);
    const signed = query.slice(0, query.indexOf('&Signature='));
    const signature = decodeURIComponent(query.slice(query.indexOf('&Signature=') + 11));
    expect(createVerify('RSA-SHA256').update(signed).verify(idp.certificate, signature, 'base64')).toBe(true);
    expect(idp.redirectQuery(idp.createLogoutRequest({ nameId: alice.username, destination: 'https://sp.test.local/slo', sign: false }), { sign: false })).toMatch(/^SAMLRequest=[^&]+$/);
  });
});

describe('users and keys', () => {
  it('refuses a duplicate id, an unknown user and a key that does not match its certificate', async () => {
    const codeOf = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return err instanceof JitSsoError ? err.code : err;
      }
      return 'no error';
    };
    expect(codeOf(() => idp.addUser({ ...alice }))).toBe('ERR_JIT_SSO_INVALID_OPTIONS');
    expect(codeOf(() => idp.createResponse({ user: 'nobody', acsUrl: ACS, audience: SP }))).toBe('ERR_JIT_SSO_INVALID_OPTIONS');
    expect(codeOf(() => idp.updateUser('nobody', { groups: [] }))).toBe('ERR_JIT_SSO_INVALID_OPTIONS');
    await expect(
      createTestSamlIdp({ users: [], keys: { privateKey: attacker.privateKey, certificate: idp.certificate } }),
    ).rejects.toMatchObject({ code: 'ERR_JIT_SSO_INVALID_OPTIONS', details: { path: 'keys' } });
  });
});

describe('router', () => {
  const hostileName = '<img src=x onerror=alert(1)>@evil.test';
  const hostileRelay = '"><script>alert(1)</script>';
  let app: express.Express;
  let routed: TestSamlIdp;

  beforeAll(async () => {
    routed = await createTestSamlIdp({
      users: [alice, { id: 'h1', username: hostileName, displayName: '<b onmouseover=alert(1)>Mallory</b>' }],
      keys: attacker,
    });
    app = express();
    app.use('/idp', routed.router({ baseUrl: 'http://localhost:3000/idp' }));
  });

  function formFields(html: string): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      // Undo HTML escaping as a browser would (numeric and the common named references).
      fields[match[1]!] = match[2]!
        .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
        .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    }
    return fields;
  }

  it('shows an escaped login page, then an auto-posting form whose response node-saml accepts', async () => {
    const saml = sp({ idpCert: routed.certificate, entryPoint: routed.entryPoint, validateInResponseTo: ValidateInResponseTo.always });
    const url = new URL(await saml.getAuthorizeUrlAsync(hostileRelay, undefined, {}));
    expect(url.origin + url.pathname).toBe('http://localhost:3000/idp/sso');

    const page = await request(app).get(`/idp/sso${url.search}`).expect(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'nonce-/);
    expect(page.text).toContain('Never use it in production');
    expect(page.text).toContain('&#60;img src=x onerror=alert(1)&#62;@evil.test');
    expect(page.text).toContain('&#60;b onmouseover=alert(1)&#62;Mallory&#60;/b&#62;');
    expect(page.text).not.toContain('<img');
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).toContain('action="http://localhost:3000/idp/sso/login"');
    const carried = formFields(page.text);
    expect(carried.RelayState).toBe(hostileRelay);

    const posted = await request(app)
      .post('/idp/sso/login')
      .type('form')
      .send({ SAMLRequest: carried.SAMLRequest, RelayState: carried.RelayState, user: alice.id })
      .expect(200);
    expect(posted.text).toContain(`<form method="post" action="${ACS}">`);
    expect(posted.text).toContain('<button type="submit">Continue</button>');
    expect(posted.text).toMatch(/<script nonce="[^"]+">document\.forms\[0\]\.submit\(\);<\/script>/);
    expect(posted.text).not.toContain('<script>alert');
    const fields = formFields(posted.text);
    expect(fields.RelayState).toBe(hostileRelay);
    await expect(profileOf(fields.SAMLResponse!, saml)).resolves.toMatchObject({ nameID: alice.username });
  });

  it('signs in a typed username case-insensitively, and refuses an unknown one with a 400 page', async () => {
    const url = new URL(await sp().getAuthorizeUrlAsync('', undefined, {}));
    const SAMLRequest = url.searchParams.get('SAMLRequest')!;
    const posted = await request(app).post('/idp/sso/login').type('form').send({ SAMLRequest, username: hostileName.toUpperCase() }).expect(200);
    const saml = sp({ idpCert: routed.certificate });
    await expect(profileOf(formFields(posted.text).SAMLResponse!, saml)).resolves.toMatchObject({ nameID: hostileName });
    await request(app).post('/idp/sso/login').type('form').send({ SAMLRequest, username: 'nobody' }).expect(400);
  });

  it('starts an IdP-initiated login with no InResponseTo, and refuses a javascript: ACS URL', async () => {
    const page = await request(app).get('/idp/initiate').query({ user: alice.username, acs: ACS, audience: SP, preset: 'okta-saml' }).expect(200);
    const response = formFields(page.text).SAMLResponse!;
    expect(Buffer.from(response, 'base64').toString('utf8')).not.toContain('InResponseTo');
    await expect(profileOf(response, sp({ idpCert: routed.certificate }))).resolves.toMatchObject({ oktaUserId: alice.id });
    const refused = await request(app).get('/idp/initiate').query({ user: alice.id, acs: 'javascript:alert(1)', audience: SP }).expect(400);
    expect(refused.text).not.toContain('javascript:');
  });

  it('serves metadata with the entity id, the signing certificate and the SSO location', async () => {
    const res = await request(app).get('/idp/metadata').expect(200);
    expect(res.headers['content-type']).toMatch(/xml/);
    const doc = parse(res.text);
    expect(doc.documentElement.getAttribute('entityID')).toBe(routed.issuer);
    expect(routed.certificate.replace(/\s/g, '')).toContain(first(doc, DSIG_NS, 'X509Certificate').textContent);
    expect(res.text).toContain('Location="http://localhost:3000/idp/sso"');
    expect(routed.entryPoint).toBe('http://localhost:3000/idp/sso');
  });

  it('takes the base URL from the request when none is given', async () => {
    const other = await createTestSamlIdp({ users: [alice], keys: attacker });
    expect(other.entryPoint).toBeUndefined();
    const otherApp = express().use('/login-idp', other.router());
    await request(otherApp).get('/login-idp/metadata').set('Host', 'app.test:8080').expect(200);
    expect(other.entryPoint).toBe('http://app.test:8080/login-idp/sso');
  });

  it('works mounted in an Express 4 app', async () => {
    const express4 = createRequire(import.meta.url)('express4') as typeof express;
    const app4 = express4().use('/idp', routed.router());
    const url = new URL(await sp({ entryPoint: 'http://localhost:3000/idp/sso' }).getAuthorizeUrlAsync('/back', undefined, {}));
    const page = await request(app4).get(`/idp/sso${url.search}`).expect(200);
    const posted = await request(app4).post('/idp/sso/login').type('form').send({ ...formFields(page.text), user: alice.id }).expect(200);
    await expect(profileOf(formFields(posted.text).SAMLResponse!, sp({ idpCert: routed.certificate }))).resolves.toMatchObject({
      nameID: alice.username,
    });
  });

  it('answers 400 to a missing or malformed SAMLRequest', async () => {
    await request(app).get('/idp/sso').expect(400);
    const res = await request(app).get('/idp/sso').query({ SAMLRequest: b64('<x><') }).expect(400);
    expect(res.text).toContain('Cannot sign in');
  });
});
