/// <reference lib="dom" />
/**
 * Replaying a captured, genuine SAML response: once more later, or many times at once, hoping a
 * race lets two copies through. SP-initiated logins are stopped by the one-use RelayState handle
 * bound to the browser and the one-use AuthnRequest id;
 * IdP-initiated ones (allowUnsolicited) only by jit-sso's assertion-id replay cache.
 */
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { tamperXml } from '../../../lib/testing/saml-idp.js';
import { CALLBACK_URL, samlApp, SP_ENTITY_ID, startLogin } from '../../helpers/saml-app.js';
import { b64, baselineRefusal, expectNoSession, postAcs, watch, type Agent, type SamlCtx } from '../../helpers/saml-attacks.js';

const REPLAY = /replay|InResponseTo|login not started in this browser/i;

interface Captured {
  samlResponse: string;
  /** The browser the response was meant for, and the RelayState the IdP echoes to it. */
  victim: Agent;
  relayState: string | undefined;
  /** The victim's browser-binding cookie (`name=value`), SP-initiated only. */
  cookie: string | undefined;
}

/** An SP-initiated login's response, or (unsolicited) an IdP-initiated one. */
async function capturedResponse(ctx: SamlCtx, unsolicited: boolean): Promise<Captured> {
  if (unsolicited) {
    const samlResponse = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID }).base64;
    return { samlResponse, victim: request.agent(ctx.app), relayState: '/me', cookie: undefined };
  }
  const agent = request.agent(ctx.app);
  const started = await startLogin(agent);
  const authn = ctx.idp.parseAuthnRequest(started.samlRequest);
  const samlResponse = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, inResponseTo: authn.id }).base64;
  return { samlResponse, victim: agent, relayState: started.relayState, cookie: started.cookie };
}

const MODES: Array<[string, boolean, RegExp]> = [
  ['SP-initiated (stopped by the one-use RelayState handle and InResponseTo)', false, REPLAY],
  ['IdP-initiated with allowUnsolicited (stopped by the assertion replay cache)', true, /assertion replayed/],
];

describe.each(MODES)('SAML replay, %s', (_mode, unsolicited, reason) => {
  it('the same response posted a second time, from another browser, is refused and changes nothing', async () => {
    const ctx = await samlApp({ provider: { allowUnsolicited: unsolicited } });
    const captured = await capturedResponse(ctx, unsolicited);
    expect((await postAcs(captured.victim, captured.samlResponse, captured.relayState)).status).toBe(303);
    await captured.victim.get('/me').set('Accept', 'application/json').expect(200);

    const w = await watch(ctx);
    const attacker = request.agent(ctx.app);
    // SP-initiated, the attacker's browser brings a login of its own, so that the replay meets the one-use InResponseTo.
    if (!unsolicited) await startLogin(attacker);
    await w.expectRefused(await postAcs(attacker, captured.samlResponse, unsolicited ? '/me' : undefined), attacker, reason);
  });

  it('the same response posted 20 times in parallel signs in exactly once and creates exactly one user', async () => {
    const ctx = await samlApp({ provider: { allowUnsolicited: unsolicited } });
    const captured = await capturedResponse(ctx, unsolicited);
    // SP-initiated, every copy is posted as the victim's own browser would (its binding cookie and
    // RelayState), from a fresh cookie jar each, so that each copy's session can be looked at apart.
    const agents = Array.from({ length: 20 }, () => request.agent(ctx.app));
    const results = await Promise.all(
      agents.map((agent) => {
        const post = agent.post('/auth/entra/callback').type('form');
        if (captured.cookie) post.set('Cookie', captured.cookie);
        return post.send({ SAMLResponse: captured.samlResponse, RelayState: captured.relayState ?? '' });
      }),
    );

    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(19).fill(401), 303].sort());
    expect(await ctx.store.listUsers()).toHaveLength(1);
    const denied = ctx.events.filter((e) => e.subType === 'denied');
    expect(denied).toHaveLength(19);
    for (const event of denied) expect(event).toMatchObject({ code: 'ERR_JIT_SSO_AUTHENTICATION_FAILED', reason: expect.stringMatching(reason) });
    expect(ctx.events.filter((e) => e.subType !== 'denied')).toEqual([expect.objectContaining({ subType: 'auto-provisioned-user' })]);

    const generic = await baselineRefusal();
    const signedIn: number[] = [];
    for (const [i, res] of results.entries()) {
      if (res.status === 303) {
        signedIn.push(i);
        await agents[i]!.get('/me').set('Accept', 'application/json').expect(200);
      } else {
        expect(res.text).toBe(generic.text);
        await expectNoSession(agents[i]!);
      }
    }
    expect(signedIn).toHaveLength(1);
  });
});

describe('SAML replay of a signed assertion in a fresh wrapper', () => {
  it('an accepted assertion re-wrapped in a new Response (new ID, unsigned outer Response) is refused as a replay', async () => {
    const ctx = await samlApp({ provider: { allowUnsolicited: true, wantAuthnResponseSigned: false } });
    const original = ctx.idp.createResponse({ user: 'oid-alice', acsUrl: CALLBACK_URL, audience: SP_ENTITY_ID, sign: { assertion: true, response: false } });
    expect((await postAcs(request.agent(ctx.app), original.base64, '/me')).status).toBe(303);

    const w = await watch(ctx);
    const rewrapped = tamperXml(original.xml, (doc) => {
      doc.documentElement.setAttribute('ID', '_fresh0123456789abcdef');
      doc.documentElement.setAttribute('IssueInstant', new Date().toISOString());
    });
    expect(rewrapped).not.toContain(original.responseId);
    const attacker = request.agent(ctx.app);
    await w.expectRefused(await postAcs(attacker, b64(rewrapped), '/me'), attacker, /assertion replayed/);
  });
});
