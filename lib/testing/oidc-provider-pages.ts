/**
 * The test OpenID provider's login step (oidc-provider "interactions"): a small page to pick a user,
 * or no page at all when a test armed a user. Every value shown is HTML-escaped; the page carries a
 * nonce-based CSP.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from '../internal/html.js';
import type { TestOidcUser } from './oidc-provider-types.js';

/** What oidc-provider offers an interaction handler (the part used here). */
export interface InteractionApi {
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string; params: Record<string, unknown>; prompt: { name: string } }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
}

/** What the handler needs from the provider. */
export interface InteractionHost {
  api: InteractionApi;
  users(): TestOidcUser[];
  /** The user armed for an authorization request with this state (or for the next one), consumed. */
  takeArmed(state: string | undefined): string | undefined;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}
.warn{background:#fff4e5;border:1px solid #f0b45b;padding:.5rem .75rem;border-radius:4px}
ul{list-style:none;padding:0}li{margin:.4rem 0}small{color:#555;margin-left:.5rem}button{font:inherit;padding:.35rem .9rem;cursor:pointer}`;

const MAX_FORM_BYTES = 4096;

/**
 * Handles `{base}/interaction/{uid}` (GET: the page, or an armed login) and
 * `{base}/interaction/{uid}/login` (POST `userId`). Returns false for any other path.
 */
export async function handleInteraction(host: InteractionHost, req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(path);
  if (!match) return false;
  try {
    const details = await host.api.interactionDetails(req, res);
    if (details.uid !== match[1]) {
      sendPage(res, 400, 'Sign-in failed', '<p>This sign-in request does not belong to this browser.</p>');
    } else if (req.method === 'POST' && match[2]) {
      const userId = new URLSearchParams(await readBody(req)).get('userId') ?? '';
      if (host.users().some((u) => u.id === userId)) await finish(host, req, res, userId);
      else sendPage(res, 400, 'Sign-in failed', '<p>Unknown user.</p>');
    } else if (req.method !== 'GET' || match[2]) {
      sendPage(res, 405, 'Sign-in failed', '<p>Method not allowed.</p>');
    } else {
      const armed = host.takeArmed(typeof details.params.state === 'string' ? details.params.state : undefined);
      if (armed) await finish(host, req, res, armed);
      else sendPage(res, 200, 'Sign in', pickUserPage(host.users(), details.uid, String(details.params.client_id ?? '')));
    }
  } catch {
    // oidc-provider throws SessionNotFound when the interaction cookie is missing or expired.
    if (!res.headersSent) sendPage(res, 400, 'Sign-in failed', '<p>This sign-in request has expired. Start again from the application.</p>');
  }
  return true;
}

async function finish(host: InteractionHost, req: IncomingMessage, res: ServerResponse, accountId: string): Promise<void> {
  await host.api.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
}

function pickUserPage(users: TestOidcUser[], uid: string, clientId: string): string {
  // Relative to {base}/interaction/{uid}, so the page works wherever the provider is mounted.
  const action = `${encodeURIComponent(uid)}/login`;
  const items = users
    .map((u) =>
      `<li><form method="post" action="${escapeHtml(action)}"><input type="hidden" name="userId" value="${escapeHtml(u.id)}">` +
      `<button type="submit">${escapeHtml(u.displayName ?? u.username)}</button><small>${escapeHtml(u.username)}</small></form></li>`,
    )
    .join('');
  return `<h1>Sign in to ${escapeHtml(clientId)}</h1><p>Pick a test user:</p><ul>${items || '<li>No users.</li>'}</ul>`;
}

function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  const nonce = randomBytes(16).toString('base64');
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    // No form-action: browsers apply it to the redirects after the POST too, and the login ends in a
    // redirect to the client's redirect URI on another origin.
    'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; frame-ancestors 'none'`,
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `<meta name="viewport" content="width=device-width,initial-scale=1"><style nonce="${nonce}">${STYLE}</style></head>` +
      `<body><p class="warn">Test OpenID provider. Never use it in production.</p>${body}</body></html>`,
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new RangeError('form too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
