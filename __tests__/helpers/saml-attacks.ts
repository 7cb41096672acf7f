/// <reference lib="dom" />
/**
 * Shared pieces of the SAML security suite (`__tests__/security/saml/`): building attack messages
 * from a real SP-initiated login, and one assertion of everything a refusal must hold — the status,
 * the audit reason, the generic body (no oracle), no user created or changed, no session.
 */
import { expect } from '@jest/globals';
import request from 'supertest';
import type { AuditEvent } from '../../lib/store/user-store.js';
import type { CreateSamlResponseOptions, CreatedSamlResponse, ParsedAuthnRequest } from '../../lib/testing/saml-idp-types.js';
import { CALLBACK_URL, relayStateOf, samlApp, SP_ENTITY_ID, startLogin } from './saml-app.js';

export const NS = {
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const OBJECT_ID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
export const ROLE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
export const DISPLAY_NAME = 'http://schemas.microsoft.com/identity/claims/displayname';
export const NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';

export type SamlCtx = Awaited<ReturnType<typeof samlApp>>;
export type Agent = ReturnType<typeof request.agent>;
type Res = request.Response;

export function b64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

/** The elements of `doc` with this SAML assertion-namespace local name, in document order. */
export function samlElements(root: Document | Element, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(NS.assertion, localName));
}

/** Direct `ds:Signature` children of `el`. */
export function signaturesOf(el: Element): Element[] {
  return Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).localName === 'Signature' && (n as Element).namespaceURI === NS.dsig);
}

/** The single `saml:AttributeValue` of the attribute named `name` inside `root`. */
export function attributeValue(root: Document | Element, name: string): Element {
  const attribute = samlElements(root, 'Attribute').find((a) => a.getAttribute('Name') === name);
  if (!attribute) throw new Error(`no attribute ${name}`);
  return samlElements(attribute, 'AttributeValue')[0]!;
}

/** Replaces the text of an element. */
export function setText(el: Element, value: string): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  el.appendChild(el.ownerDocument.createTextNode(value));
}

/** Who a forged assertion claims to be. */
export interface Victim {
  id: string;
  username: string;
  displayName: string;
  role: string;
}

/** Bob as an attacker holding Alice's signed response would like to be: with the Admin role. */
export const BOB_AS_ADMIN: Victim = { id: 'oid-bob', username: 'bob@contoso.com', displayName: 'Bob Stone', role: 'Admin' };

/**
 * A forged copy of the Response's signed assertion claiming to be `victim` (NameID, objectidentifier,
 * name, display name and role changed), with a new ID and without the copied signature. Not yet
 * placed in the document: the signature-wrapping tests decide where it goes.
 */
export function forgeAssertion(doc: Document, victim: Victim = BOB_AS_ADMIN): { signed: Element; forged: Element } {
  const signed = samlElements(doc, 'Assertion')[0]!;
  const forged = signed.cloneNode(true) as Element;
  forged.setAttribute('ID', '_forged0123456789abcdef');
  for (const sig of signaturesOf(forged)) forged.removeChild(sig);
  setText(samlElements(forged, 'NameID')[0]!, victim.username);
  setText(attributeValue(forged, OBJECT_ID), victim.id);
  setText(attributeValue(forged, NAME), victim.username);
  setText(attributeValue(forged, DISPLAY_NAME), victim.displayName);
  setText(attributeValue(forged, ROLE), victim.role);
  return { signed, forged };
}

export interface StartedLogin {
  agent: Agent;
  authn: ParsedAuthnRequest;
  relayState: string | undefined;
  response: CreatedSamlResponse;
}

/**
 * Starts a real SP-initiated login on a fresh agent (so the request id is in the SP's cache) and has
 * the test IdP answer it for `user`, with tampering knobs in `overrides`. Nothing is posted yet.
 */
export async function solicit(ctx: SamlCtx, user: CreateSamlResponseOptions['user'], overrides: Partial<CreateSamlResponseOptions> = {}, returnTo = '/me'): Promise<StartedLogin> {
  const agent = request.agent(ctx.app);
  const started = await startLogin(agent, returnTo);
  const authn = ctx.idp.parseAuthnRequest(started.samlRequest);
  const response = ctx.idp.createResponse({ user, acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id, ...overrides });
  return { agent, authn, relayState: started.relayState, response };
}

/**
 * Posts `SAMLResponse` (base64) to the ACS URL with `agent`, with the RelayState the IdP echoes: by
 * default the handle of the login this agent started last (none if it started none); `null` posts none.
 */
export function postAcs(agent: Agent, samlResponse: string, relayState?: string | null) {
  const form: Record<string, string> = { SAMLResponse: samlResponse };
  const echoed = relayState === undefined ? relayStateOf(agent) : relayState;
  if (echoed !== null && echoed !== undefined) form.RelayState = echoed;
  return agent.post('/auth/entra/callback').type('form').send(form);
}

let baseline: Promise<{ text: string; type: string | undefined }> | undefined;

/**
 * The body of one plain protocol refusal (a SAMLResponse that is not even base64). Every other
 * protocol refusal must answer exactly this, so the page tells an attacker nothing about which check hit.
 */
export function baselineRefusal(): Promise<{ text: string; type: string | undefined }> {
  baseline ??= (async () => {
    const ctx = await samlApp();
    const res = await postAcs(request(ctx.app), 'not base64 !');
    expect(res.status).toBe(401);
    expect(ctx.events).toEqual([expect.objectContaining({ subType: 'denied', code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: 'message is not base64' })]);
    return { text: res.text, type: res.headers['content-type'] as string | undefined };
  })();
  return baseline;
}

/** Whether `agent` holds a signed-in session: `GET /me` as an API client. */
export async function expectNoSession(agent: Agent): Promise<void> {
  const me = await agent.get('/me').set('Accept', 'application/json');
  expect(me.status).toBe(401);
  expect(me.body).toEqual({ error: expect.objectContaining({ code: 'ERR_JIT_SSO_NOT_AUTHENTICATED' }) });
}

export interface Watch {
  /** Events recorded since the watch began. */
  newEvents(): AuditEvent[];
  /**
   * Asserts a refusal: `status`, exactly one new `denied` audit event whose reason matches `reason`,
   * the generic body (401), the stored users unchanged, and no session on `agent`.
   */
  expectRefused(res: Res, agent: Agent, reason: RegExp, options?: { status?: 401 | 413 }): Promise<void>;
}

/** Snapshots the users and the audit log before an attack. */
export async function watch(ctx: SamlCtx): Promise<Watch> {
  const usersBefore = structuredClone(await ctx.store.listUsers());
  const eventCount = ctx.events.length;
  const newEvents = () => ctx.events.slice(eventCount);
  return {
    newEvents,
    async expectRefused(res, agent, reason, { status = 401 } = {}) {
      expect(res.status).toBe(status);
      expect(res.headers.location).toBeUndefined();
      const code = status === 413 ? 'ERR_JIT_SSO_PAYLOAD_TOO_LARGE' : 'ERR_JIT_SSO_AUTHENTICATION_FAILED';
      expect(newEvents()).toEqual([expect.objectContaining({ type: 'login', subType: 'denied', provider: 'entra', code, reason: expect.stringMatching(reason) })]);
      if (status === 401) {
        const generic = await baselineRefusal();
        expect(res.text).toBe(generic.text);
        expect(res.headers['content-type']).toBe(generic.type);
      }
      expect(await ctx.store.listUsers()).toEqual(usersBefore);
      await expectNoSession(agent);
    },
  };
}

/** A legitimate login of `user` (so a later attack can try to change it); returns the signed-in agent. */
export async function legitLogin(ctx: SamlCtx, user: string): Promise<Agent> {
  const { agent, response } = await solicit(ctx, user);
  const res = await postAcs(agent, response.base64);
  expect(res.status).toBe(303);
  await agent.get('/me').set('Accept', 'application/json').expect(200);
  return agent;
}
