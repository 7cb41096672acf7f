/// <reference lib="dom" />
/**
 * XML signature wrapping (XSW): Alice holds a genuine signed response for herself and adds a forged,
 * unsigned assertion for Bob with the Admin role, hoping the SP verifies one assertion and reads the other.
 * Run against the secure default (Response and assertion signed) and against
 * `wantAuthnResponseSigned: false`, where the assertion signature is the only protection.
 */
import { describe, expect, it } from '@jest/globals';
import { tamperXml } from '../../../lib/testing/saml-idp.js';
import type { CreateSamlResponseOptions } from '../../../lib/testing/saml-idp-types.js';
import { samlApp, type SamlAppOptions } from '../../helpers/saml-app.js';
import { b64, forgeAssertion, legitLogin, NS, postAcs, samlElements, signaturesOf, solicit, watch } from '../../helpers/saml-attacks.js';

const SIGNATURE = /signature/i;

/** Where the forged assertion goes. */
const PLACEMENTS: Array<[string, (doc: Document) => void]> = [
  [
    'a forged assertion placed after the signed one (sibling)',
    (doc) => {
      const { signed, forged } = forgeAssertion(doc);
      signed.parentNode!.insertBefore(forged, signed.nextSibling);
    },
  ],
  [
    'a forged assertion placed before the signed one (sibling)',
    (doc) => {
      const { signed, forged } = forgeAssertion(doc);
      signed.parentNode!.insertBefore(forged, signed);
    },
  ],
  [
    'the signed assertion moved inside the Advice of a forged top-level assertion',
    (doc) => {
      const { signed, forged } = forgeAssertion(doc);
      const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
      forged.insertBefore(advice, samlElements(forged, 'Conditions')[0]!.nextSibling);
      signed.parentNode!.replaceChild(forged, signed);
      advice.appendChild(signed);
    },
  ],
  [
    'a forged assertion hidden in an Advice element inside the signed assertion',
    (doc) => {
      const { signed, forged } = forgeAssertion(doc);
      const advice = doc.createElementNS(NS.assertion, 'saml:Advice');
      signed.insertBefore(advice, samlElements(signed, 'Conditions')[0]!.nextSibling);
      advice.appendChild(forged);
    },
  ],
];

const CONFIGS: Array<[string, SamlAppOptions, Partial<CreateSamlResponseOptions>]> = [
  ['Response and assertion signed (default)', {}, {}],
  ['only the assertion signed (wantAuthnResponseSigned: false)', { provider: { wantAuthnResponseSigned: false } }, { sign: { assertion: true, response: false } }],
];

describe.each(CONFIGS)('signature wrapping, %s', (_config, appOptions, signing) => {
  it.each(PLACEMENTS)('%s is refused', async (_name, place) => {
    const ctx = await samlApp(appOptions);
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', signing);
    const wrapped = tamperXml(response.xml, place);
    expect(wrapped).toContain('bob@contoso.com');
    await w.expectRefused(await postAcs(agent, b64(wrapped)), agent, SIGNATURE);
  });

  it("a forged assertion for an existing Bob beside Alice's signed one leaves Bob's stored user and roles unchanged", async () => {
    const ctx = await samlApp(appOptions);
    await legitLogin(ctx, 'oid-bob');
    const w = await watch(ctx);
    const { agent, response } = await solicit(ctx, 'oid-alice', signing);
    const wrapped = tamperXml(response.xml, (doc) => {
      const { signed, forged } = forgeAssertion(doc);
      signed.parentNode!.insertBefore(forged, signed.nextSibling);
    });
    await w.expectRefused(await postAcs(agent, b64(wrapped)), agent, SIGNATURE);
  });
});

// Where the outer Response is unsigned, content outside the signed assertion can be added freely.
// jit-sso reads only the signed bytes, so the forgery is never seen: Alice (the attacker's own
// account) signs in, Bob is never created and nobody gets Admin.
describe('signature wrapping into places the signed bytes do not cover (wantAuthnResponseSigned: false)', () => {
  const hidden: Array<[string, (doc: Document) => void]> = [
    [
      "a forged assertion for Bob hidden in the Response's Extensions",
      (doc) => {
        const { forged } = forgeAssertion(doc);
        const extensions = doc.createElementNS(NS.protocol, 'samlp:Extensions');
        const root = doc.documentElement;
        const status = Array.from(root.childNodes).find((n) => (n as Element).localName === 'Status')!;
        root.insertBefore(extensions, status);
        extensions.appendChild(forged);
      },
    ],
    [
      "a forged assertion for Bob hidden in a ds:Object of the assertion's own Signature (outside its digest)",
      (doc) => {
        const { signed, forged } = forgeAssertion(doc);
        const object = doc.createElementNS(NS.dsig, 'ds:Object');
        signaturesOf(signed)[0]!.appendChild(object);
        object.appendChild(forged);
      },
    ],
  ];

  it.each(hidden)('%s is never read: only the signed subject, Alice, signs in', async (_name, place) => {
    const ctx = await samlApp({ provider: { wantAuthnResponseSigned: false } });
    const { agent, response } = await solicit(ctx, 'oid-alice', { sign: { assertion: true, response: false } });
    const wrapped = tamperXml(response.xml, place);
    expect(wrapped).toContain('bob@contoso.com');
    const res = await postAcs(agent, b64(wrapped));
    expect(res.status).toBe(303);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body).toMatchObject({ username: 'alice.johnson', displayName: 'Alice Johnson', roles: [{ role: 'Invoice.Reader', source: 'idp', provider: 'entra' }] });
    const users = await ctx.store.listUsers();
    expect(users.map((u) => u.username)).toEqual(['alice.johnson']);
    expect(users.flatMap((u) => u.roles.map((r) => r.role))).not.toContain('Admin');
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'auto-provisioned-user', subject: expect.stringContaining('oid-alice') })]);
    expect(JSON.stringify(ctx.events)).not.toContain('oid-bob');
  });
});
