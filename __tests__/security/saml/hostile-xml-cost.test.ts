/**
 * Denial of service through the XML parser: a message built to make parsing expensive (an
 * unclosed-element flood costs xmldom's error recovery quadratic time) is parsed before any
 * signature is checked, on every SAML endpoint. The goal: no message up to the body limit (the
 * inflate limit for the redirect binding) blocks the event loop for more than 50 ms; hostile ones are
 * refused with 400 `ERR_JIT_SSO_MALFORMED_MESSAGE` and audited. Each case runs a few times and the
 * smallest stall counts, so that a busy CI machine does not flake; the bound itself is 50 ms.
 */
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { guardXml, XML_GUARD_LIMITS } from '../../../lib/providers/saml/xml-guard.js';
import { samlRefusal } from '../../../lib/providers/saml/message-checks.js';
import { parseClaimsFile } from '../../../lib/cli/explain.js';
import { samlApp } from '../../helpers/saml-app.js';
import { baselineRefusal, expectNoSession, postAcs, solicit, type SamlCtx } from '../../helpers/saml-attacks.js';
import { fit, formBody, limitsFor, HOSTILE_KINDS, MESSAGE_LIMIT, redirectQuery, RSA_SHA256, URL_LIMIT, worstStall } from '../../helpers/hostile-xml.js';

const STALL_LIMIT_MS = 50;
const RUNS = 5;

interface Endpoint {
  name: string;
  root: string;
  /** Sends the hostile message; `encoded` is what `encode` made of it. */
  send(ctx: SamlCtx, encoded: string): Promise<request.Response>;
  encode(xml: string): string;
  limit: number;
  /** The audit event's `type`. */
  event: 'login' | 'logout';
  /**
   * The check that refuses an unauthenticated message on this endpoint before the XML guard runs (401),
   * when there is one: a LogoutResponse must answer a logout this browser started, and a redirect
   * message's signature is verified over the raw query before anything is inflated.
   */
  refusedBefore?: RegExp;
}

const post = (path: string) => (ctx: SamlCtx, body: string) => request(ctx.app).post(path).type('form').send(body);
const ENDPOINTS: Endpoint[] = [
  { name: 'the ACS (POST SAMLResponse)', root: 'Response', encode: (x) => formBody('SAMLResponse', x), send: post('/auth/entra/callback'), limit: MESSAGE_LIMIT, event: 'login' },
  { name: 'the logout endpoint (POST SAMLRequest)', root: 'LogoutRequest', encode: (x) => formBody('SAMLRequest', x), send: post('/auth/entra/logout/callback'), limit: MESSAGE_LIMIT, event: 'logout' },
  { name: 'the logout endpoint (POST SAMLResponse)', root: 'LogoutResponse', encode: (x) => formBody('SAMLResponse', x), send: post('/auth/entra/logout/callback'), limit: MESSAGE_LIMIT, event: 'logout', refusedBefore: /logout started in this browser/ },
  {
    name: 'the logout endpoint (GET redirect binding, deflated, dummy Signature)',
    root: 'LogoutRequest',
    encode: (x) => redirectQuery('SAMLRequest', x),
    send: (ctx, query) => request(ctx.app).get(`/auth/entra/logout/callback?${query}`),
    limit: URL_LIMIT,
    event: 'logout',
    refusedBefore: /redirect signature does not verify/,
  },
];

function passesGuard(xml: string, root: string): boolean {
  try {
    guardXml(xml, samlRefusal, limitsFor(root));
    return true;
  } catch {
    return false;
  }
}

let ctx: SamlCtx;
beforeAll(async () => {
  ctx = await samlApp({ provider: { logoutUrl: 'https://idp.test.local/saml/slo' } });
});

/** Sends one message `RUNS` times; returns the last response and the smallest worst stall. */
async function measure(endpoint: Endpoint, encoded: string): Promise<{ res: request.Response; stallMs: number }> {
  let best = Infinity;
  let res: request.Response | undefined;
  for (let i = 0; i < RUNS; i++) {
    const run = await worstStall(() => endpoint.send(ctx, encoded));
    res = run.result;
    best = Math.min(best, run.stallMs);
  }
  return { res: res!, stallMs: best };
}

describe.each(ENDPOINTS)('hostile XML on $name', (endpoint) => {
  it.each(HOSTILE_KINDS.map((kind) => [kind.name, kind] as const))('%s, grown to the size limit, blocks the event loop for less than 50 ms and is refused', async (_name, kind) => {
    const { xml, encoded } = fit((size) => kind.build(endpoint.root, size), endpoint.encode, endpoint.limit, MESSAGE_LIMIT);
    // Grown to (nearly) the limit: the body limit for POST, the inflate limit or the URL for GET.
    expect(encoded.length).toBeLessThanOrEqual(endpoint.limit);
    expect(encoded.length > endpoint.limit * 0.9 || xml.length > MESSAGE_LIMIT * 0.9).toBe(true);
    const eventsBefore = ctx.events.length;
    const { res, stallMs } = await measure(endpoint, encoded);
    expect(stallMs).toBeLessThan(STALL_LIMIT_MS);
    // What fits a URL may stay within the caps: then node-saml gets it, and refuses its dummy signature.
    const passes = kind.passesGuard === true || (endpoint.limit === URL_LIMIT && passesGuard(xml, endpoint.root));
    expect(passesGuard(xml, endpoint.root)).toBe(passes);
    const refusedAsUnauthenticated = passes || endpoint.refusedBefore !== undefined;
    expect(res.status).toBe(refusedAsUnauthenticated ? 401 : 400);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toBe((await baselineRefusal()).text);
    const code = refusedAsUnauthenticated ? 'ERR_JIT_SSO_AUTHENTICATION_FAILED' : 'ERR_JIT_SSO_MALFORMED_MESSAGE';
    const reason = endpoint.refusedBefore ? expect.stringMatching(endpoint.refusedBefore) : expect.any(String);
    expect(ctx.events.slice(eventsBefore)).toEqual(Array(RUNS).fill(expect.objectContaining({ type: endpoint.event, subType: 'denied', provider: 'entra', code, reason })));
  }, 60_000);
});

describe('the reported attack', () => {
  it('the 315-byte GET to the logout callback (deflated unclosed-element flood, dummy Signature) is refused for its signature, without being inflated, in under 50 ms', async () => {
    const xml = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${'<a>'.repeat(20_000)}`;
    const message = deflateRawSync(Buffer.from(xml)).toString('base64');
    const path = `/auth/entra/logout/callback?SAMLRequest=${encodeURIComponent(message)}&SigAlg=${encodeURIComponent(RSA_SHA256)}&Signature=AAAA`;
    expect(`GET ${path} HTTP/1.1\r\nHost: app.test\r\n\r\n`.length).toBeLessThanOrEqual(400);
    const eventsBefore = ctx.events.length;
    const { res, stallMs } = await measure({ ...ENDPOINTS[3]!, send: (c) => request(c.app).get(path) }, '');
    expect(stallMs).toBeLessThan(STALL_LIMIT_MS);
    expect(res.status).toBe(401);
    expect(ctx.events.slice(eventsBefore).at(-1)).toMatchObject({ type: 'logout', subType: 'denied', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: expect.stringMatching(/redirect signature does not verify/) });
  });
});

describe('jit-sso explain', () => {
  it('a captured "response" that is an unclosed-element flood is refused by the guard before any DOM is built, in under 50 ms', () => {
    const flood = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${'<a>'.repeat(100_000)}`;
    const started = performance.now();
    expect(() => parseClaimsFile(flood)).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_INVALID_CLAIMS', message: 'the SAML response cannot be read: elements nested too deep' }));
    expect(performance.now() - started).toBeLessThan(STALL_LIMIT_MS);
  });
});

describe('the ACS takes its message from the POST body only', () => {
  // Deflated, as passport-saml inflates a message it finds in the query.
  const hostile = deflateRawSync(Buffer.from(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${'<a>'.repeat(100_000)}`)).toString('base64');

  it.each([
    ['SAMLResponse', hostile],
    ['SAMLRequest', hostile],
    ['SAML%52esponse', hostile],
    ['saml%72esponse', hostile],
    ['SAMLResponse%5B%5D', hostile],
    ['%53AMLResponse', hostile],
  ])('POST /auth/entra/callback?%s=<unclosed-element flood> with a genuine signed response in the body is refused before passport-saml runs', async (key, value) => {
    const app = await samlApp();
    const { agent, response } = await solicit(app, 'oid-alice');
    const { result: res, stallMs } = await worstStall(() =>
      agent.post(`/auth/entra/callback?${key}=${encodeURIComponent(value)}`).type('form').send({ SAMLResponse: response.base64 }),
    );
    expect(stallMs).toBeLessThan(STALL_LIMIT_MS);
    expect(res.status).toBe(401);
    expect(res.text).toBe((await baselineRefusal()).text);
    expect(app.events).toEqual([expect.objectContaining({ type: 'login', subType: 'denied', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: expect.stringMatching(/query string/) })]);
    expect(await app.store.listUsers()).toEqual([]);
    await expectNoSession(agent);
  });

  it('the same genuine response without the query parameter signs in (the refusal is the query, not the response)', async () => {
    const app = await samlApp();
    const { agent, response } = await solicit(app, 'oid-alice');
    const res = await postAcs(agent, response.base64);
    expect(res.status).toBe(303);
  });
});

describe('real messages pass the guard', () => {
  it('a real signed login carrying 500 group values passes the guard and signs in with every group', async () => {
    const groups = Array.from({ length: 500 }, (_, i) => `6f1c2d3e-4a5b-4c6d-8e7f-${String(i).padStart(12, '0')}`);
    const app = await samlApp({ provider: { provisioning: { roleMap: { [groups[499]!]: 'Admin' } } } });
    app.idp.updateUser('oid-alice', { groups });
    const { agent, response } = await solicit(app, 'oid-alice');
    expect(response.xml.split('<saml:AttributeValue').length - 1).toBeGreaterThanOrEqual(500);
    const res = await postAcs(agent, response.base64);
    expect(res.status).toBe(303);
    await agent.get('/admin').expect(200);
  });

  it('a message at every cap passes the guard; one more element, level, attribute or character of name is refused', () => {
    const L = XML_GUARD_LIMITS;
    const ok = (xml: string) => expect(() => guardXml(xml, samlRefusal)).not.toThrow();
    const refused = (xml: string, reason: string) =>
      expect(() => guardXml(xml, samlRefusal)).toThrow(expect.objectContaining({ code: 'ERR_JIT_SSO_MALFORMED_MESSAGE', status: 400, details: { reason } }));
    const siblings = (n: number) => `<r>${'<a/>'.repeat(n - 1)}</r>`;
    ok(siblings(L.maxElements));
    refused(siblings(L.maxElements + 1), 'too many elements');
    const nested = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    ok(nested(L.maxDepth));
    refused(nested(L.maxDepth + 1), 'elements nested too deep');
    const attrs = (n: number) => `<r${Array.from({ length: n }, (_, i) => ` a${i}="1"`).join('')}/>`;
    ok(attrs(L.maxAttributesPerElement));
    refused(attrs(L.maxAttributesPerElement + 1), 'too many attributes on one element');
    ok(`<${'a'.repeat(L.maxNameLength)}/>`);
    refused(`<${'a'.repeat(L.maxNameLength + 1)}/>`, 'element name too long');
    refused(`<r ${'b'.repeat(L.maxNameLength + 1)}="1"/>`, 'attribute name too long');
    refused(`<r b="${'x'.repeat(L.maxAttributeValueLength + 1)}"/>`, 'attribute value too long');
    refused('<r><a></r>', 'message is not well-formed XML');
    refused('<r>&x;</r>', 'message is not well-formed XML');
    refused('<p:r/>', 'message is not well-formed XML');
  });
});
