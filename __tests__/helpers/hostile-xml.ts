/**
 * Hostile XML for the cost tests and the bench: messages built to make an XML parser work hard,
 * each grown to the largest size an endpoint accepts, and a clock for the event loop's worst stall.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { deflateRawSync } from 'node:zlib';
import { LOGOUT_GUARD_LIMITS, XML_GUARD_LIMITS, type GuardLimits } from '../../lib/providers/saml/xml-guard.js';

export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
/** The default body limit (`maxMessageBytes`), also the inflate limit of a redirect message. */
export const MESSAGE_LIMIT = 512 * 1024;
/** Node's default limit on request headers (the redirect binding's message travels in the URL). */
export const URL_LIMIT = 15 * 1024;

/** A hostile message: its name, a builder that grows it to about `size` characters, and whether the guard lets it through. */
export interface HostileKind {
  name: string;
  build(root: string, size: number): string;
  /** Well-formed and within the caps: reaches node-saml, which refuses it (401); otherwise the guard answers 400. */
  passesGuard?: boolean;
}

/** The caps the guard applies to a message with this root: logout messages have tighter ones. */
export function limitsFor(root: string): GuardLimits {
  return root.startsWith('Logout') ? LOGOUT_GUARD_LIMITS : XML_GUARD_LIMITS;
}

const open = (root: string) => `<samlp:${root} xmlns:samlp="${SAMLP}" ID="_hostile" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">`;
const close = (root: string) => `</samlp:${root}>`;
/** `count` units that fit in `size` characters after `fixed` characters. */
const fits = (size: number, fixed: number, unit: number) => Math.max(1, Math.floor((size - fixed) / unit));
function list(count: number, unit: (i: number) => string): string {
  const parts = new Array<string>(count);
  for (let i = 0; i < count; i++) parts[i] = unit(i);
  return parts.join('');
}

export const HOSTILE_KINDS: HostileKind[] = [
  { name: 'an unclosed-element flood (<a><a><a>…)', build: (r, size) => open(r) + '<a>'.repeat(fits(size, 200, 3)) },
  { name: 'deep nesting, every element closed', build: (r, size) => { const n = fits(size, 200, 7); return open(r) + '<a>'.repeat(n) + '</a>'.repeat(n) + close(r); } },
  { name: 'a flood of sibling elements (<a/><a/>…)', build: (r, size) => open(r) + '<a/>'.repeat(fits(size, 200, 4)) + close(r) },
  { name: 'thousands of attributes on one element', build: (r, size) => open(r) + '<a' + list(fits(size, 200, 12), (i) => ` a${i}="1"`) + '/>' + close(r) },
  { name: 'one attribute repeated thousands of times', build: (r, size) => open(r) + '<a' + ' b="1"'.repeat(fits(size, 200, 6)) + '/>' + close(r) },
  { name: 'a huge element name', build: (r, size) => open(r) + '<' + 'a'.repeat(fits(size, 200, 1)) + '/>' + close(r) },
  { name: 'a huge attribute name', build: (r, size) => open(r) + '<a ' + 'b'.repeat(fits(size, 200, 1)) + '="1"/>' + close(r) },
  { name: 'thousands of namespace declarations on one element', build: (r, size) => open(r) + '<a' + list(fits(size, 200, 22), (i) => ` xmlns:p${i}="urn:x:${i}"`) + '/>' + close(r) },
  { name: 'a namespace declaration on each of thousands of elements', build: (r, size) => open(r) + list(fits(size, 200, 30), (i) => `<p:a xmlns:p="urn:x:${i}"/>`) + close(r) },
  { name: 'undefined entity references (&x;&x;…)', build: (r, size) => open(r) + '&x;'.repeat(fits(size, 200, 3)) + close(r) },
  { name: 'one long text node', build: (r, size) => open(r) + 'x'.repeat(fits(size, 200, 1)) + close(r), passesGuard: true },
  { name: 'a flood of predefined entity and character references (&amp;&#65;…)', build: (r, size) => open(r) + '&amp;&#65;'.repeat(fits(size, 200, 10)) + close(r) },
  {
    name: 'the most the guard lets through (elements, attributes, namespace declarations and references at the caps, padded with text)',
    build: (r, size) => {
      const L = limitsFor(r);
      const count = Math.min(L.maxElements - 10, Math.floor(L.maxAttributes / 3) - 10, L.maxNamespaceDeclarations - 10, Math.floor(size / 60));
      const body = list(count, (i) => `<v xmlns:p="urn:x:${i % 7}" p:t="s" n="${i}">g</v>`);
      const refs = '&amp;'.repeat(Math.min(L.maxReferences - 10, Math.floor(size / 50)));
      return open(r) + body + refs + 'x'.repeat(Math.max(0, size - body.length - refs.length - 200)) + close(r);
    },
    passesGuard: true,
  },
];

/** The largest `build(size)` whose encoded form (`encode`) stays within `limit` characters, the message itself within `maxSize`. */
export function fit(build: (size: number) => string, encode: (xml: string) => string, limit: number, maxSize: number): { xml: string; encoded: string } {
  let size = maxSize;
  for (;;) {
    const xml = build(size);
    const encoded = encode(xml);
    if ((encoded.length <= limit && xml.length <= maxSize) || size < 256) return { xml, encoded };
    size = Math.floor(size * Math.min(0.97, limit / encoded.length, maxSize / xml.length));
  }
}

/** A form body `key=<base64>` as the browser would post it. */
export function formBody(key: string, xml: string): string {
  return `${key}=${encodeURIComponent(Buffer.from(xml, 'utf8').toString('base64'))}`;
}

/** A redirect-binding query: the deflated message, a SigAlg and a dummy Signature. */
export function redirectQuery(key: string, xml: string): string {
  const message = deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
  return `${key}=${encodeURIComponent(message)}&SigAlg=${encodeURIComponent(RSA_SHA256)}&Signature=${encodeURIComponent('c2lnbmF0dXJl')}`;
}

/**
 * Runs `fn` and returns its result and the longest time the event loop was blocked meanwhile (ms),
 * from perf_hooks' event-loop delay histogram (1 ms resolution).
 */
export async function worstStall<T>(fn: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // Let the histogram's timer start before the work does.
  await new Promise((resolve) => setTimeout(resolve, 2));
  try {
    const result = await fn();
    await new Promise((resolve) => setImmediate(resolve));
    return { result, stallMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}
