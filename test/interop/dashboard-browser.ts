// What the dashboard's browser tests share: the dashboard built into a
// temporary folder (as `npm run build` builds it), Debian's Chromium driven
// by playwright-core (no browser can be downloaded here), screenshots in
// var/screenshots/, and a way to wait on what a page shows.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { requireFile } from './tools.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../var/screenshots');

export function chromiumPresent(): boolean {
  return requireFile(CHROMIUM);
}

/** `node ui/build.mjs --out DIR`: the folder to give Anvil as ANVIL_UI_DIR. */
export function buildDashboard(): string {
  const out = mkdtempSync(path.join(os.tmpdir(), 'anvil-ui-'));
  execFileSync(process.execPath, ['ui/build.mjs', '--out', out], { cwd: path.resolve(import.meta.dirname, '../..') });
  return out;
}

export function launchChromium(): Promise<Browser> {
  // Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Waits until `read` of `locator` passes `check`, polling; fails with what it last read. */
export async function until(
  what: string,
  locator: Locator,
  check: (text: string) => boolean,
  ms = 30_000,
): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const last = (await locator.count()) > 0 ? ((await locator.first().textContent()) ?? '') : '(absent)';
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not shown within ${ms} ms; last read ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Signs in on the login page with a user and password (basic mode). */
export async function signIn(page: Page, baseUrl: string, user: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/ui/`);
  await page.locator('#login-user').fill(user);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid="whoami"]').waitFor({ timeout: 15_000 });
}
