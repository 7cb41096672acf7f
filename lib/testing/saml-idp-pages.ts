/**
 * The test SAML IdP's HTTP side: login page, auto-POST form, IdP-initiated login, metadata.
 * Every value shown is HTML-escaped, and each page carries a nonce-based CSP of its own.
 * @module
 */
import { escapeHtml } from '../internal/html.js';
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { JitSsoError, isJitSsoError } from '../errors.js';
import { SAML_PRESETS, type SamlPreset } from './claim-names.js';
import type { CreatedSamlResponse, ParsedAuthnRequest, TestSamlIdp, TestUser } from './saml-idp-types.js';

/** What the router needs from the IdP. */
export interface RouterHost {
  idp: TestSamlIdp;
  /** The base URL fixed by the app, else `undefined` (then each request's own URL is used). */
  baseUrl: string | undefined;
  /** Records the base URL seen on a request, so `idp.entryPoint` is known once mounted. */
  noteBaseUrl(baseUrl: string): void;
}

/** A bad request: shown on a 400 page rather than passed to the app's error handler. */
function badRequest(message: string): JitSsoError {
  return new JitSsoError('ERR_JIT_SSO_AUTHENTICATION_FAILED', { message, details: { reason: message } });
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}
.warn{background:#fff4e5;border:1px solid #f0b45b;padding:.5rem .75rem;border-radius:4px}
ul{list-style:none;padding:0}li{margin:.4rem 0}small{color:#555;margin-left:.5rem}
button{font:inherit;padding:.35rem .9rem;cursor:pointer}input{font:inherit;padding:.3rem}code{word-break:break-all}`;

function send(res: Response, status: number, title: string, body: string, script = ''): void {
  const nonce = randomBytes(16).toString('base64');
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      // form-action is left open on purpose: the form posts to the SP's ACS URL on another origin.
      'Content-Security-Policy':
        `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; ` +
        "base-uri 'none'; frame-ancestors 'none'",
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        `<meta name="viewport" content="width=device-width,initial-scale=1"><style nonce="${nonce}">${STYLE}</style></head>` +
        `<body><p class="warn">Test identity provider. Never use it in production.</p>${body}` +
        (script ? `<script nonce="${nonce}">${script}</script>` : '') +
        '</body></html>',
    );
}

function hidden(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
}

function field(source: unknown, name: string): string | undefined {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Only http(s): a `javascript:` ACS URL in a form action would run script. */
function checkAcsUrl(acsUrl: string | undefined): string {
  let url: URL | undefined;
  try {
    url = acsUrl === undefined ? undefined : new URL(acsUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw badRequest('The request has no usable http(s) Assertion Consumer Service URL.');
  }
  return acsUrl as string;
}

type UsableRequest = ParsedAuthnRequest & { acsUrl: string; issuer: string };

/** The AuthnRequest's Issuer becomes the audience, and its ACS URL the form's target. */
function parseRequest(host: RouterHost, samlRequest: string | undefined): UsableRequest {
  if (samlRequest === undefined) throw badRequest('SAMLRequest is missing.');
  const parsed = host.idp.parseAuthnRequest(samlRequest);
  if (parsed.issuer === undefined) throw badRequest('The AuthnRequest has no Issuer (the SP entity id).');
  return { ...parsed, issuer: parsed.issuer, acsUrl: checkAcsUrl(parsed.acsUrl) };
}

function findUser(host: RouterHost, key: string | undefined): TestUser {
  const wanted = key?.trim().toLowerCase();
  const user = wanted
    ? host.idp
        .listUsers()
        .find((u) => u.id.toLowerCase() === wanted || u.username.toLowerCase() === wanted || u.email?.toLowerCase() === wanted)
    : undefined;
  if (!user) throw badRequest('There is no such user at this identity provider.');
  return user;
}

interface LoginPage {
  base: string;
  request: UsableRequest;
  samlRequest: string;
  relayState: string | undefined;
  users: TestUser[];
}

/** One button per user, and a second form to type a username (so Enter there cannot pick the first user). */
function loginPage(res: Response, { base, request, samlRequest, relayState, users }: LoginPage): void {
  const carried = hidden('SAMLRequest', samlRequest) + hidden('RelayState', relayState);
  const action = escapeHtml(`${base}/sso/login`);
  const items = users.map((u) => {
    const label = u.displayName || [u.firstName, u.lastName].filter(Boolean).join(' ') || u.username;
    const groups = u.groups?.length ? ` · ${u.groups.join(', ')}` : '';
    const button = `<button type="submit" name="user" value="${escapeHtml(u.id)}">${escapeHtml(label)}</button>`;
    return `<li>${button}<small>${escapeHtml(u.username + groups)}</small></li>`;
  });
  send(
    res,
    200,
    'Sign in: test IdP',
    `<h1>Sign in</h1><p>to <code>${escapeHtml(request.issuer)}</code></p>` +
      `<form method="post" action="${action}">${carried}<ul>${items.join('')}</ul></form>` +
      `<form method="post" action="${action}">${carried}` +
      '<label>Username <input name="username" autocomplete="off" required></label> ' +
      '<button type="submit">Sign in</button></form>',
  );
}

function postForm(res: Response, acsUrl: string, response: CreatedSamlResponse, relayState: string | undefined): void {
  send(
    res,
    200,
    'Signing in: test IdP',
    `<form method="post" action="${escapeHtml(acsUrl)}">` +
      hidden('SAMLResponse', response.base64) +
      hidden('RelayState', relayState) +
      `<p>Sending you back to <code>${escapeHtml(acsUrl)}</code>.</p><button type="submit">Continue</button></form>`,
    'document.forms[0].submit();',
  );
}

function presetParam(value: string | undefined): SamlPreset | undefined {
  if (value === undefined) return undefined;
  if (!(SAML_PRESETS as readonly string[]).includes(value)) throw badRequest('Unknown preset.');
  return value as SamlPreset;
}

/** Builds the router; see `createTestSamlIdp` for its routes. */
export function createIdpRouter(host: RouterHost): Router {
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '256kb' }));

  const base = (req: Request): string => {
    const url = host.baseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
    host.noteBaseUrl(url);
    return url;
  };
  const handle =
    (fn: (req: Request, res: Response) => void) =>
    (req: Request, res: Response): void => {
      try {
        fn(req, res);
      } catch (err) {
        if (!isJitSsoError(err)) throw err;
        send(res, 400, 'Error: test IdP', `<h1>Cannot sign in</h1><p>${escapeHtml(err.message)}</p>`);
      }
    };

  const showLogin = handle((req, res) => {
    const source = req.method === 'GET' ? req.query : req.body;
    const samlRequest = field(source, 'SAMLRequest');
    const request = parseRequest(host, samlRequest);
    loginPage(res, {
      base: base(req),
      request,
      samlRequest: samlRequest as string,
      relayState: field(source, 'RelayState'),
      users: host.idp.listUsers(),
    });
  });
  router.get('/sso', showLogin);
  router.post('/sso', showLogin);

  router.post(
    '/sso/login',
    handle((req, res) => {
      base(req);
      const request = parseRequest(host, field(req.body, 'SAMLRequest'));
      const user = findUser(host, field(req.body, 'user') ?? field(req.body, 'username'));
      const response = host.idp.createResponse({
        user: user.id,
        acsUrl: request.acsUrl,
        audience: request.issuer,
        inResponseTo: request.id,
      });
      postForm(res, request.acsUrl, response, field(req.body, 'RelayState'));
    }),
  );

  router.get(
    '/initiate',
    handle((req, res) => {
      base(req);
      const acsUrl = checkAcsUrl(field(req.query, 'acs'));
      const audience = field(req.query, 'audience');
      if (audience === undefined) throw badRequest('The audience (SP entity id) is missing.');
      const user = findUser(host, field(req.query, 'user'));
      const preset = presetParam(field(req.query, 'preset'));
      const response = host.idp.createResponse({ user: user.id, acsUrl, audience, preset });
      postForm(res, acsUrl, response, field(req.query, 'RelayState'));
    }),
  );

  router.get('/metadata', (req, res) => {
    res.set({ 'Content-Type': 'application/samlmetadata+xml; charset=utf-8', 'Cache-Control': 'no-store' });
    res.send(host.idp.metadata(base(req)));
  });
  return router;
}
