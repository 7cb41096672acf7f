/**
 * The published shape: `require('jit-sso')` from CommonJS and `import` from ESM both work against
 * the built `dist/` (resolved through the package's own `exports` map, as a consumer would).
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('the built package', () => {
  it('has been built (npm test runs the build first)', () => {
    expect(existsSync(resolve(root, 'dist/index.cjs'))).toBe(true);
    expect(existsSync(resolve(root, 'dist/index.js'))).toBe(true);
  });

  it('loads with require() from CommonJS and exposes the API', () => {
    const out = node(['-e', "const j = require('jit-sso'); console.log(JSON.stringify([typeof j.jitSso, typeof j.samlProvider, typeof j.jitProvision, typeof j.MemoryUserStore, j.ERROR_CODES.length > 10, new j.JitSsoError('ERR_JIT_SSO_USER_PENDING') instanceof Error]))"]);
    expect(JSON.parse(out)).toEqual(['function', 'function', 'function', 'function', true, true]);
  });

  it('loads with import from ESM', () => {
    const out = node(['--input-type=module', '-e', "const j = await import('jit-sso'); const t = await import('jit-sso/testing'); console.log(JSON.stringify([typeof j.jitSso, typeof j.planProvisioning, typeof t.runUserStoreConformance, typeof t.createTestSamlIdp]))"]);
    expect(JSON.parse(out)).toEqual(['function', 'function', 'function', 'function']);
  });

  it('loads jit-sso/testing with require() too', () => {
    const out = node(['-e', "const t = require('jit-sso/testing'); console.log(typeof t.createTestSamlIdp + ' ' + typeof t.runUserStoreConformance)"]);
    expect(out).toBe('function function');
  });

  it('does not load optional or ESM-only packages when the core is required', () => {
    const optional = 'selfsigned|node-forge|express-session|openid-client|oauth4webapi|jose|kysely|better-sqlite3|pg|ioredis|passport-azure-ad|oidc-provider';
    const out = node(['-e', `require('jit-sso'); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => /node_modules[\\\\/](${optional})[\\\\/]/.test(f))))`]);
    expect(JSON.parse(out)).toEqual([]);
  });

  it('loads jit-sso/sql and jit-sso/azure-ad from CommonJS and ESM without loading their drivers', () => {
    const cjs = node(['-e', "const s = require('jit-sso/sql'); const a = require('jit-sso/azure-ad'); console.log(typeof s.SqlUserStore.open, typeof a.azureAdProvider, Object.keys(require.cache).some((f) => /node_modules[\\\\/](better-sqlite3|pg|passport-azure-ad)[\\\\/]/.test(f)))"]);
    expect(cjs).toBe('function function false');
    const esm = node(['--input-type=module', '-e', "const s = await import('jit-sso/sql'); const a = await import('jit-sso/azure-ad'); console.log(typeof s.SqlUserStore.open, typeof a.azureAdProvider)"]);
    expect(esm).toBe('function function');
  });
  it('shares each request between its builds through res.locals, with nothing on globalThis: a guard from require() sees the middleware of import(), and back', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(process.cwd() + '/');
      const esm = await import('jit-sso');
      const cjs = require('jit-sso');
      const express = require('express');
      const session = require('express-session');
      const { certificate } = await require('jit-sso/testing').generateTestKeys();
      const provider = (j) => j.samlProvider({ id: 'entra', preset: 'entra-saml', entryPoint: 'https://idp.test/sso', idpIssuer: 'https://idp.test', idpCert: certificate, spEntityId: 'https://app.test', callbackUrl: 'https://app.test/auth/entra/callback' });
      const out = [];
      for (const [middleware, guard] of [[esm, cjs], [cjs, esm]]) {
        const app = express();
        app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
        app.use(middleware.jitSso({ store: new middleware.MemoryUserStore(), providers: [provider(middleware)], logger: middleware.silentLogger }));
        app.get('/me', guard.requireAuth(), (_req, res) => res.send('me'));
        const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
        const res = await fetch('http://127.0.0.1:' + server.address().port + '/me', { redirect: 'manual', headers: { accept: 'text/html' } });
        out.push(res.status + ' ' + res.headers.get('location'));
        server.close();
      }
      out.push(Object.getOwnPropertySymbols(globalThis).map(String).filter((s) => s.includes('jit-sso')));
      console.log(JSON.stringify(out));`;
    expect(JSON.parse(node(['--input-type=module', '-e', script]))).toEqual(['302 /auth/entra/login?returnTo=%2Fme', '302 /auth/entra/login?returnTo=%2Fme', []]);
  });
});
