/**
 * Re-signing ID tokens for the test OpenID provider's tampering hook, with jose: a genuine RS256
 * signature, `alg: none`, HS256 keyed with the public key, or another key under the same `kid`.
 * @module
 */
import { createHmac, createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import type * as Jose from 'jose';
import type { IdTokenTamper, TamperAlg } from './oidc-provider-types.js';

/** The provider's signing key in the forms re-signing needs. */
export interface SigningKeys {
  jose: typeof Jose;
  /** The private JWK (with `kid` and `alg`). */
  privateJwk: JsonWebKey;
  /** The public key as SPKI PEM: the "secret" of the HS256 confusion attack. */
  publicPem: string;
}

/** A fresh RS256 private JWK with a `kid`. */
export async function generateSigningJwk(jose: typeof Jose): Promise<JsonWebKey> {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: await jose.calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' } as JsonWebKey;
}

/** The public half of a private RSA JWK. */
export function publicJwk(jwk: JsonWebKey): JsonWebKey {
  const { kty, n, e, kid, alg, use } = jwk;
  return Object.fromEntries(Object.entries({ kty, n, e, kid, alg, use }).filter(([, v]) => v !== undefined)) as JsonWebKey;
}

/** The key forms re-signing needs; the PEM is Node's SPKI export, as a PEM file on disk would read. */
export function signingKeys(jose: typeof Jose, privateJwk: JsonWebKey): SigningKeys {
  const publicPem = createPublicKey({ key: publicJwk(privateJwk), format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return { jose, privateJwk, publicPem };
}

/** Applies `tamper` to a compact ID token and signs the result as it asks. */
export async function tamperIdToken(idToken: string, tamper: IdTokenTamper, keys: SigningKeys): Promise<string> {
  const [headerPart = '', payloadPart = ''] = idToken.split('.');
  const header = decode(headerPart);
  const original = decode(payloadPart);
  const change = tamper({ ...original }, { ...header }) ?? {};
  return sign(change.claims ?? original, header, change.alg ?? 'RS256', keys);
}

async function sign(claims: Record<string, unknown>, header: Record<string, unknown>, alg: TamperAlg, keys: SigningKeys): Promise<string> {
  const { jose } = keys;
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  switch (alg) {
    case 'none': {
      return `${encode({ ...header, alg: 'none' })}.${encode(claims)}.`;
    }
    case 'HS256-with-public-key': {
      const input = `${encode({ ...header, alg: 'HS256' })}.${encode(claims)}`;
      return `${input}.${createHmac('sha256', keys.publicPem).update(input).digest('base64url')}`;
    }
    case 'other-key': {
      const { privateKey } = await jose.generateKeyPair('RS256');
      return new jose.SignJWT(claims).setProtectedHeader({ ...header, alg: 'RS256', ...(kid ? { kid } : {}) }).sign(privateKey);
    }
    default: {
      const key = await jose.importJWK(keys.privateJwk as Jose.JWK, 'RS256');
      return new jose.SignJWT(claims).setProtectedHeader({ ...header, alg: 'RS256', ...(kid ? { kid } : {}) }).sign(key);
    }
  }
}

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
