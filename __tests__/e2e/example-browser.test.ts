/**
 * The example app in a real browser (Debian's Chromium through playwright-core): the newcomer's
 * path, step by step, with a screenshot of each step in test-output/browser/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = resolve(root, 'test-output/browser');
const haveChromium = existsSync(CHROMIUM);

if (!haveChromium && process.env.CI === 'true') {
  describe('the example app in a browser', () => {
    it('runs on CI: Chromium must be installed', () => {
      throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium`);
    });
  });
}
if (!haveChromium && process.env.CI !== 'true') {
  console.warn(`SKIPPED: the browser test needs Chromium at ${CHROMIUM} (apt-get install -y chromium).`);
}
(haveChromium ? describe : describe.skip)('the example app in a browser', () => {
  let app: ChildProcess;
  let browser: Browser;
  let page: Page;
  let base = '';
  let step = 0;

  const shot = async (name: string) => {
    step += 1;
    await page.screenshot({ path: join(shots, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
  };

  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as { port: number };
    await new Promise((ok) => server.close(ok));
    return port;
  }

  beforeAll(async () => {
    rmSync(shots, { recursive: true, force: true });
    mkdirSync(shots, { recursive: true });
    const port = await freePort();
    base = `http://localhost:${port}`;
    const dataDir = `${mkdtempSync(join(tmpdir(), 'jit-sso-example-'))}/`;
    app = spawn(process.execPath, ['examples/app.mjs'], { cwd: root, env: { ...process.env, PORT: String(port), DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok, fail) => {
      app.once('exit', (code) => fail(new Error(`the example app exited with ${code}`)));
      app.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('jit-sso example on') && ok());
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    app?.kill('SIGTERM');
  });

  async function signOut() {
    await page.goto(`${base}/`);
    const button = page.getByRole('button', { name: 'Sign out' });
    if (await button.count()) await button.click();
  }

  async function samlLogin(name: string) {
    await page.goto(`${base}/`);
    await page.click('#login-saml');
    await page.getByRole('button', { name }).click();
    await page.waitForLoadState('load');
  }

  const roles = () => page.locator('#roles').innerText();

  it('signs in a new user through SAML and lands on /me with the mapped and default roles', async () => {
    await page.goto(`${base}/`);
    await shot('home');
    await page.click('#login-saml');
    await shot('saml-idp-login-page');
    await page.getByRole('button', { name: 'Alice New' }).click();
    await page.waitForURL(`${base}/me`);
    await shot('me-alice');
    expect(await page.locator('[data-field="Username"]').innerText()).toBe('alice.new');
    expect(await roles()).toContain('Employee · idp');
    expect(await roles()).toContain('Reader · default');
  });

  it('signs in through OpenID Connect', async () => {
    await signOut();
    await page.click('#login-oidc');
    await shot('oidc-provider-login-page');
    await page.getByRole('button', { name: 'Olivia Oidc' }).click();
    await page.waitForURL(`${base}/me`);
    await shot('me-olivia');
    expect(await page.locator('[data-field="Username"]').innerText()).toBe('olivia.oidc');
    expect(await roles()).toContain('Accountant · idp');
  });

  it('refuses a pending partner until an admin activates them, then lets them in', async () => {
    await signOut();
    await samlLogin('Pat Partner');
    expect(await page.locator('main').innerText()).toContain('waiting for an administrator');
    await shot('pat-pending');

    await samlLogin('Erin Existing');
    await page.goto(`${base}/admin`);
    await shot('admin');
    await page.locator('tr[data-user="pat.partner"]').getByRole('button', { name: 'Activate' }).click();
    await page.waitForURL(`${base}/admin`);
    await shot('admin-pat-activated');

    await signOut();
    await samlLogin('Pat Partner');
    await page.waitForURL(`${base}/me`);
    expect(await page.locator('[data-field="Status"]').innerText()).toBe('active');
    await shot('me-pat');
  });

  it('shows the auto-provisioned-user entries and the linked existing user in the audit log', async () => {
    await signOut();
    await samlLogin('Erin Existing');
    await page.goto(`${base}/admin`);
    const audit = page.locator('#audit');
    expect(await audit.locator('tr[data-subtype="auto-provisioned-user"]').count()).toBeGreaterThanOrEqual(2);
    expect(await audit.locator('tr[data-subtype="linked-existing-user"]').count()).toBe(1);
    await shot('audit-log');
  });

  it('after switching to every-login, a change of IdP groups changes the roles at the next login', async () => {
    await page.goto(`${base}/admin`);
    await page.check('input[value="every-login"]');
    await page.click('#save-sync');
    await page.waitForURL(`${base}/admin`);
    await page.goto(`${base}/idp-directory`);
    const row = page.locator('tr[data-idp-user="oid-alice"]');
    await row.locator('input[name="groups"]').fill('Staff, Finance-Users');
    await row.getByRole('button', { name: 'Save' }).click();
    await shot('idp-directory-changed');

    await signOut();
    await samlLogin('Alice New');
    await page.waitForURL(`${base}/me`);
    expect(await roles()).toContain('Accountant · idp');
    await shot('me-alice-every-login');
  });
});
