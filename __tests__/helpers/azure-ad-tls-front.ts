/**
 * An https front for the local test OpenID provider, so that the real passport-azure-ad can talk to
 * it. passport-azure-ad insists on three things the provider does not give:
 *
 * 1. **https** for the metadata URL and for the `authorization_endpoint` / `token_endpoint` the
 *    metadata names (its `Validator.isHttpsURL`), fetched with `https.get` on `https.globalAgent`
 *    (it takes no agent or CA option, only a proxy). The front listens with a self-signed
 *    certificate for 127.0.0.1 (from `selfsigned`) and forwards to the provider's http port; the
 *    certificate is trusted by adding it to `https.globalAgent.options.ca` in the test process
 *    (`NODE_EXTRA_CA_CERTS` is read only at start-up), restored by `close()`.
 * 2. **`typ: "JWT"`** in the ID token's header: it decodes tokens with `jws.decode`, which parses the
 *    payload only for that `typ` (without it every token fails with "invalid iss value in payload").
 *    oidc-provider puts no `typ` on ID tokens, so the front adds it to the token endpoint's ID token
 *    and signs it again **in kind**: a token the provider signed is signed again with the provider's
 *    key; an unsigned (`alg: none`) token stays unsigned; an HS256 token is MACed again with the same
 *    public-key "secret"; a token with a bad RS256 signature is signed again with another key. So a
 *    forgery stays a forgery, and the front never launders one.
 * 3. Entra's **`{tenantid}` issuer** on the multi-tenant metadata: with `multiTenant`, the discovery
 *    document's `issuer` becomes `{front}/{tenantid}/v2.0` and each ID token's `iss` (unless a test
 *    tampered with it) is set from its `tid`, as Entra does, before signing in kind.
 */
import { createHmac, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import { compactVerify, importJWK, SignJWT, type CryptoKey, type KeyObject } from 'jose';
import { generate } from 'selfsigned';
import type { TestOidcProvider } from '../../lib/testing/oidc-provider.js';

export interface TlsFrontOptions {
  /** The provider's signing key (private JWK), to sign genuine tokens again with `typ: "JWT"`. */
  signingKey: JsonWebKey;
  /** Imitate Entra's multi-tenant metadata (see 3. above). */
  multiTenant?: boolean;
}

export interface TlsFront {
  /** `https://127.0.0.1:{port}`. */
  readonly origin: string;
  /** The metadata URL passport-azure-ad is given: the provider's discovery document, through the front. */
  readonly identityMetadata: string;
  /** The `iss` of a token from tenant `tid` when `multiTenant`. */
  tenantIssuer(tid: string): string;
  /** How many ID tokens the front has signed again (to show it ran). */
  readonly reSigned: number;
  close(): Promise<void>;
}

let certificate: Promise<{ cert: string; private: string }> | undefined;

/** Starts an https front for `op` (started) on 127.0.0.1 and trusts its certificate in this process. */
export async function startTlsFront(op: TestOidcProvider, options: TlsFrontOptions): Promise<TlsFront> {
  certificate ??= generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', notAfterDate: new Date(Date.now() + 24 * 3600 * 1000) });
  const pems = await certificate;
  const opUrl = new URL(op.issuer);
  const signer = await reSigner(options.signingKey);
  let origin = '';
  let reSigned = 0;

  const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const upstream = httpRequest({ host: opUrl.hostname, port: opUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: opUrl.host } }, (answer) => {
      void rewrite(req, answer, res).catch(() => res.headersSent || res.writeHead(502).end());
    });
    upstream.on('error', () => res.headersSent || res.writeHead(502).end());
    req.pipe(upstream);
  });

  async function rewrite(req: IncomingMessage, answer: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    const isDiscovery = path.endsWith('/.well-known/openid-configuration');
    const isToken = req.method === 'POST' && path.endsWith('/token');
    if (!(isDiscovery || isToken) || answer.statusCode !== 200) {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    if (isDiscovery) {
      for (const [key, value] of Object.entries(body)) {
        if (typeof value === 'string' && /(_endpoint|_uri)$/.test(key)) body[key] = value.replace(opUrl.origin, origin);
      }
      if (options.multiTenant) body.issuer = `${origin}/{tenantid}/v2.0`;
    } else if (typeof body.id_token === 'string') {
      // A test that set `iss` itself (tampering) keeps it.
      const tenantIss = (claims: Record<string, unknown>) => (claims.iss === op.issuer ? { ...claims, iss: `${origin}/${String(claims.tid)}/v2.0` } : claims);
      body.id_token = await signer(body.id_token, options.multiTenant ? tenantIss : undefined);
      reSigned++;
    }
    const text = JSON.stringify(body);
    const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers;
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) }).end(text);
  }

  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agentOptions = https.globalAgent.options as { ca?: unknown };
  const previousCa = agentOptions.ca;
  agentOptions.ca = [...rootCertificates, pems.cert];
  const discoveryPath = new URL(op.discoveryUrl).pathname;

  return {
    origin,
    identityMetadata: `${origin}${discoveryPath}`,
    tenantIssuer: (tid) => `${origin}/${tid}/v2.0`,
    get reSigned() {
      return reSigned;
    },
    async close() {
      agentOptions.ca = previousCa;
      if (previousCa === undefined) delete agentOptions.ca;
      https.globalAgent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type ClaimsEdit = (claims: Record<string, unknown>) => Record<string, unknown>;

/** Adds `typ: "JWT"` (and `edit`s the claims), signing the token again in kind (see the module comment). */
async function reSigner(privateJwk: JsonWebKey) {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk as Record<string, unknown>;
  const privateKey = (await importJWK(privateJwk as Parameters<typeof importJWK>[0], 'RS256')) as CryptoKey | KeyObject;
  const publicKey = (await importJWK(publicJwk as Parameters<typeof importJWK>[0], 'RS256')) as CryptoKey | KeyObject;
  const publicPem = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  return async (idToken: string, edit?: ClaimsEdit): Promise<string> => {
    const [headerPart = '', payloadPart = ''] = idToken.split('.');
    const header = decode(headerPart);
    const claims = edit ? edit(decode(payloadPart)) : decode(payloadPart);
    const typed = { ...header, typ: 'JWT' };
    if (header.alg === 'none') return `${encode(typed)}.${encode(claims)}.`;
    if (header.alg === 'HS256') {
      const input = `${encode(typed)}.${encode(claims)}`;
      return `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
    }
    const genuine = await compactVerify(idToken, publicKey).then(
      () => true,
      () => false,
    );
    return new SignJWT(claims).setProtectedHeader({ ...typed, alg: 'RS256' }).sign(genuine ? privateKey : otherKey);
  };
}

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
