// The hosts table at 10,000 hosts, in Debian's headless Chromium: every host
// counted, only the rows in view drawn, the last host reached by scrolling,
// a search answered at once; and the screenshot of it in var/screenshots/.
import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';
import { buildDashboard, chromiumPresent, launchChromium, screenshot, until } from './dashboard-browser.js';

const HOSTS = 10_000;

describe.runIf(chromiumPresent())(`the hosts table at ${HOSTS} hosts`, () => {
  let svc: TestService;
  let browser: Browser;
  let uiDir: string;

  beforeAll(async () => {
    uiDir = buildDashboard();
    svc = await startTestService('sqlite', { ANVIL_UI_DIR: uiDir, ANVIL_LOG_LEVEL: 'warn', ANVIL_TFTP_PORT: 'off' });
    // Enrolled through the API, 50 at a time, as a batch enrolment would.
    for (let i = 0; i < HOSTS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, HOSTS - i) }, async (_, j) => {
          const n = i + j;
          const res = await svc.request('POST', '/v1/nodes', {
            name: `host-${String(n).padStart(5, '0')}`,
            driver: 'fake-hardware',
            extra: { rack: `r${n % 40}` },
          });
          if (res.status !== 201) throw new Error(`enroll host-${n}: ${res.status} ${res.text}`);
        }),
      );
    }
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
    rmSync(uiDir, { recursive: true, force: true });
  });

  it('counts every host, draws only the rows in view, scrolls to the last and searches', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${svc.url}/ui/#/hosts`);
    const count = page.locator('[data-testid="host-count"]');
    await until('every host counted', count, (t) => t === `${HOSTS} hosts`, 60_000);
    const drawn = await page.locator('[data-testid="host-row"]').count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn, 'rows drawn for 10,000 hosts').toBeLessThan(100);
    await screenshot(page, 'hosts-10000');

    // The end of the list by scrolling: the last host's row is drawn, the first ones are not.
    await page.locator('.table-scroll').hover();
    for (let i = 0; i < 80; i++) await page.mouse.wheel(0, 5_000);
    await until('the last host', page.locator('[data-testid="host-row"]').last(), (t) => t.includes('host-09999'));
    expect(await page.locator('[data-testid="host-row"]').count()).toBeLessThan(100);
    expect(await page.getByText('host-00000', { exact: true }).count()).toBe(0);

    await page.locator('#host-search').fill('host-04242');
    await until('search', count, (t) => t.startsWith('1 host of'));
    expect(await page.locator('[data-testid="host-row"]').count()).toBe(1);
    await page.locator('#host-search').fill('');
    await page.locator('#filter-label').fill('rack=r7');
    await until('label', count, (t) => t.startsWith(`${HOSTS / 40} hosts of`));
    await page.close();
  });
});
