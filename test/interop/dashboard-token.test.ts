// The dashboard's sign-in when Anvil runs with ANVIL_AUTH=token: it asks for
// an API token (not a user and password), refuses a wrong one on the page,
// signs in with a right one as the token's role, and signs out.
import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../../services/auth/index.js';
import { openDatabase } from '../../services/db/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { buildDashboard, chromiumPresent, launchChromium, until } from './dashboard-browser.js';

describe.runIf(chromiumPresent())('the dashboard with token authentication', () => {
  let svc: TestService;
  let browser: Browser;
  let uiDir: string;
  let token: string;

  beforeAll(async () => {
    uiDir = buildDashboard();
    svc = await startTestService('sqlite', { ANVIL_AUTH: 'token', ANVIL_UI_DIR: uiDir, ANVIL_TFTP_PORT: 'off' });
    const db = openDatabase(svc.db.url);
    try {
      token = (await new TokenStore(db.knex).create({ role: 'operator', description: 'dashboard test' })).secret;
    } finally {
      await db.close();
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    rmSync(uiDir, { recursive: true, force: true });
  });

  it('asks for a token, refuses a wrong one, signs in as its role with a right one, and signs out', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${svc.url}/ui/`);
    await page.locator('#login-token').fill('not-a-token');
    expect(await page.locator('#login-user').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until('refused', page.locator('[data-testid="login-error"]'), (t) => t.includes('token was refused'));

    await page.locator('#login-token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until('signed in', page.locator('[data-testid="whoami"]'), (t) => /^token:\S+ \(operator\)$/.test(t));
    await until('live', page.locator('[data-testid="live-status"]'), (t) => t === 'Live');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#login-token').waitFor();
    // Signed out means forgotten: a reload asks again.
    await page.reload();
    await page.locator('#login-token').waitFor();
    await page.close();
  });
});
