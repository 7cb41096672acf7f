/** `npx jit-sso explain` as a person runs it: the built command, real files, exit codes. */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../lib/internal/logger.js';
import { jitProvision } from '../../lib/provisioning/jit-provision.js';
import { SqlUserStore } from '../../lib/store/sql/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = resolve(root, 'dist/cli.js');
const vectorClaims = (name: string) => JSON.stringify(JSON.parse(readFileSync(resolve(root, '__tests__/fixtures/claims', name), 'utf8')).claims);

function run(args: string[]) {
  const out = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('jit-sso explain (command line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-sso-cli-'));
  const claims = join(dir, 'claims.json');
  writeFileSync(claims, vectorClaims('entra-saml.json'));

  it('prints the identity and the plan, and exits 0', () => {
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ createUsers: true, roleMap: { 'Invoice.Approver': 'Approver' } }));
    const out = run(['explain', '--preset', 'entra-saml', '--claims', claims, '--policy', policy, '--roles', 'Approver']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('username      alice.johnson');
    expect(out.stdout).toContain('Plan: CREATE the user');
    expect(out.stdout).toContain('Approver (idp)');
    expect(out.stdout).toContain('Invoice.Reader — not a role in the app');
  });

  it('reads a SQLite store without writing to it, and shows an existing user update', async () => {
    const filename = join(dir, 'users.db');
    const store = await SqlUserStore.open({ dialect: 'sqlite', filename });
    await store.createRole('Invoice.Reader');
    await jitProvision({ store, provider: 'entra', preset: 'entra-saml', provisioning: { createUsers: true }, logger: silentLogger }).provisionClaims({ ...JSON.parse(vectorClaims('entra-saml.json')), 'http://schemas.microsoft.com/identity/claims/displayname': 'Alice J.' });
    const eventsBefore = (await store.listAuditEvents()).length;
    await store.close();
    const policy = join(dir, 'every-login.json');
    writeFileSync(policy, JSON.stringify({ sync: 'every-login' }));
    const out = run(['explain', '--preset', 'entra-saml', '--provider', 'entra', '--claims', claims, '--policy', policy, '--store', `sqlite:${filename}`]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Plan: SIGN IN existing user alice.johnson');
    expect(out.stdout).toContain('displayName: Alice J. → Alice Johnson');
    const after = await SqlUserStore.open({ dialect: 'sqlite', filename }, { migrate: false });
    expect(await after.listAuditEvents()).toHaveLength(eventsBefore);
    expect(await after.listUsers()).toHaveLength(1);
    await after.close();
  });

  it.each([
    [['explain', '--claims', 'x.json'], /--preset is required/],
    [['explain', '--preset', 'entra-saml', '--claims', '/nonexistent/claims.json'], /cannot read/],
    [['explain', '--preset', 'nope', '--claims', 'CLAIMS'], /unknown preset/],
    [['explain', '--preset', 'entra-saml', '--claims', 'CLAIMS', '--store', 'sqlite:/nonexistent/users.db'], /no SQLite database/],
    [['explain', '--preset', 'entra-saml', '--claims', 'CLAIMS', '--bogus'], /bogus/],
    [['frobnicate'], /unknown command/],
  ])('answers bad input %j with one line on stderr and exit code 2', (args, message) => {
    const out = run(args.map((a) => (a === 'CLAIMS' ? claims : a)));
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a claims file that is not JSON, XML or base64', () => {
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, 'hello: world!');
    const out = run(['explain', '--preset', 'entra-saml', '--claims', bad]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/neither JSON, SAML XML nor a base64 SAMLResponse/);
  });
});
