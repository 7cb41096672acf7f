/**
 * Turning outcomes into HTTP: one place decides status, JSON or page, and never leaks a stack.
 * @module
 */
import type { Request, Response } from 'express';
import { isJitSsoError, messageFor, statusFor, type ErrorCode } from '../errors.js';
import { escapeHtml, htmlPage } from '../internal/html.js';

/** What an error page shows: the status, the stable code and the plain message. */
export interface ErrorPage {
  status: number;
  code: ErrorCode;
  message: string;
}

/** Page hooks; each may answer the request itself. */
export interface JitSsoHooks {
  /** Renders a refusal or failure (401, 403, 404, 413, 500, 503). */
  renderError?(req: Request, res: Response, page: ErrorPage): void;
}

/** True when the client wants JSON rather than a page (`Accept: application/json`, XHR). */
export function wantsJson(req: Request): boolean {
  return req.xhr || req.accepts(['html', 'json']) === 'json';
}

/** The page for a code, with its default status and message. */
export function pageFor(code: ErrorCode, message = messageFor(code)): ErrorPage {
  return { status: statusFor(code), code, message };
}

/**
 * The page for any error: a JitSsoError keeps its code; anything else is unexpected, never a
 * configuration error: `ERR_JIT_SSO_INTERNAL` (500).
 */
export function pageForError(err: unknown): ErrorPage {
  if (isJitSsoError(err)) return { status: err.status, code: err.code, message: err.message };
  return pageFor('ERR_JIT_SSO_INTERNAL');
}

/** Sends an error page or JSON body. */
export function sendError(req: Request, res: Response, page: ErrorPage, hooks?: JitSsoHooks): void {
  if (res.headersSent) return;
  res.set('Cache-Control', 'no-store');
  if (hooks?.renderError) return hooks.renderError(req, res, page);
  res.status(page.status);
  if (wantsJson(req)) {
    res.json({ error: { code: page.code, message: page.message } });
    return;
  }
  const title = page.status >= 500 ? 'Sign-in unavailable' : page.status === 401 || page.status === 400 ? 'Sign-in failed' : 'Access denied';
  res.type('html').send(htmlPage(title, `<p>${escapeHtml(page.message)}</p><p><a href="/">Back to the start page</a></p>`));
}
