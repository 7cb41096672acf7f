/**
 * passport-azure-ad is an optional peer dependency, deprecated upstream: neither the core package nor
 * the `jit-sso/azure-ad` entry may load it until an azure-ad provider is used, and without it the
 * provider fails with a clear "npm install passport-azure-ad".
 *
 * Each check runs in a child process and reads `require.cache` (CommonJS and, for an ESM `import`,
 * through `createRequire`: a CommonJS package imported from ESM lands in the same cache). The
 * `jit-sso/azure-ad` entry is bundled here with esbuild as tsup bundles it (dependencies external),
 * so the check does not depend on how `dist/` is wired.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Inside the repository, so that bare imports resolve to its node_modules. */
const inRepo = join(root, 'node_modules', '.cache', `jit-sso-azure-ad-${process.pid}`);
/** Outside any node_modules: passport-azure-ad cannot be found from there. */
const outside = mkdtempSync(join(tmpdir(), 'jit-sso-azure-ad-'));

const PROVIDER = "{ id: 'entra', identityMetadata: 'https://login.microsoftonline.com/8d3f6c2a-5b1e-4c7d-9e0f-2a4b6c8d0e1f/v2.0/.well-known/openid-configuration', clientID: 'c', clientSecret: 's', redirectUrl: 'https://app.example.com/auth/entra/callback' }";
const LOADED = "Object.keys(cache).filter((f) => /node_modules[\\\\/]passport-azure-ad[\\\\/]/.test(f)).length";

function esbuild(args: string[]): void {
  execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), ['lib/azure-ad/index.ts', '--bundle', '--platform=node', '--target=node20', '--log-level=error', ...args], { cwd: root });
}

function node(cwd: string, args: string[]): string {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8' }).trim();
}

beforeAll(() => {
  mkdirSync(inRepo, { recursive: true });
  esbuild(['--format=cjs', '--packages=external', `--outfile=${join(inRepo, 'azure-ad.cjs')}`]);
  esbuild(['--format=esm', '--packages=external', `--outfile=${join(inRepo, 'azure-ad.mjs')}`]);
  // Everything but passport-azure-ad bundled in, so that only it is missing.
  esbuild(['--format=cjs', '--external:passport-azure-ad', `--outfile=${join(outside, 'azure-ad.cjs')}`]);
});

afterAll(() => {
  rmSync(inRepo, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('loading passport-azure-ad', () => {
  it("require('jit-sso') (the built package) does not load it", () => {
    expect(existsSync(join(root, 'dist/index.cjs'))).toBe(true);
    const out = node(root, ['-e', `require('jit-sso'); const cache = require.cache; console.log(${LOADED})`]);
    expect(out).toBe('0');
  });

  it('require of the jit-sso/azure-ad entry and creating a provider do not load it; ready() does', () => {
    const out = node(inRepo, ['-e', `(async () => { const cache = require.cache; const { azureAdProvider } = require('./azure-ad.cjs'); const p = azureAdProvider(${PROVIDER}); const before = ${LOADED}; await p.ready(); console.log(JSON.stringify([before, ${LOADED} > 0])); })()`]);
    expect(JSON.parse(out)).toEqual([0, true]);
  });

  it('import of the jit-sso/azure-ad entry (ESM) does not load it either', () => {
    const script = `import { createRequire } from 'node:module'; const cache = createRequire(import.meta.url).cache; const { azureAdProvider } = await import('./azure-ad.mjs'); const p = azureAdProvider(${PROVIDER}); const before = ${LOADED}; await p.ready(); console.log(JSON.stringify([before, ${LOADED} > 0]));`;
    expect(JSON.parse(node(inRepo, ['--input-type=module', '-e', script]))).toEqual([0, true]);
  });

  it('without passport-azure-ad installed, the provider is still created and ready() says to install it', () => {
    const script = `const { azureAdProvider } = require('./azure-ad.cjs'); azureAdProvider(${PROVIDER}).ready().then(() => console.log('{}'), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })));`;
    const out = JSON.parse(node(outside, ['-e', script])) as Record<string, string>;
    expect(out).toEqual({ name: 'JitSsoError', code: 'ERR_JIT_SSO_INVALID_OPTIONS', message: expect.stringContaining('npm install passport-azure-ad') });
  });
});
