// Issue 16's proofs, in Debian's headless Chromium: the dashboard signed in
// as a reader and as an operator (basic auth), the overview's counts against
// the API, the hosts table's filters and search, 20 network-booting sim hosts
// deployed from the table and followed live to `active`, a failed host's
// error, and an action the reader's role forbids (absent, and refused by the
// API when forced). Screenshots go to var/screenshots/.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  enrollForDeploy,
  requestDeploy,
  setImage,
  startProvisionRig,
  type EnrolledHost,
  type ProvisionRig,
} from '../e2e/provision-rig.js';
import { drive } from '../e2e/sim-nodes.js';
import type { TestService } from '../support/service.js';
import { buildDashboard, chromiumPresent, launchChromium, screenshot, signIn, until } from './dashboard-browser.js';
import { requireFile } from './tools.js';

const WAVE = 20;
/** The wave, one host whose deploy fails, and one left alone. */
const HOSTS = WAVE + 2;
const USERS = { reader: 'reader-pw-1', operator: 'operator-pw-1' } as const;
const basic = (user: keyof typeof USERS) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${USERS[user]}`).toString('base64')}`,
});

const runs = chromiumPresent() && requireFile('/usr/lib/ipxe/undionly.kpxe');

describe.runIf(runs)('the web dashboard in Chromium', () => {
  let rig: ProvisionRig;
  /** The rig with the operator's credentials on every request its helpers make. */
  let op: ProvisionRig;
  let browser: Browser;
  let uiDir: string;
  let authDir: string;
  const hosts: EnrolledHost[] = [];

  const api = (svc: TestService, path: string) => svc.request('GET', path);
  const countOf = async (query: string) =>
    (await api(op.svc, `/v1/nodes?limit=1000${query}`)).body.nodes.length as number;

  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
    return page;
  }

  beforeAll(async () => {
    uiDir = buildDashboard();
    authDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-ui-auth-'));
    const htpasswd = path.join(authDir, 'htpasswd');
    writeFileSync(
      htpasswd,
      Object.entries(USERS)
        .map(([user, pw]) => `${user}:${bcrypt.hashSync(pw, 4)}`)
        .join('\n'),
    );
    rig = await startProvisionRig({
      hosts: HOSTS,
      seed: 161,
      env: {
        ANVIL_AUTH: 'basic',
        ANVIL_HTPASSWD: htpasswd,
        ANVIL_AUTH_ROLES: 'reader=reader,operator=operator',
        ANVIL_UI_DIR: uiDir,
      },
    });
    const svc: TestService = {
      ...rig.svc,
      request: (method, url, body, version, headers) =>
        rig.svc.request(method, url, body, version, { ...basic('operator'), ...headers }),
    };
    op = { ...rig, svc };
    await createPool(op.svc, 'ui', '127.161.0.0');
    for (let i = 0; i < HOSTS; i += 6) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(6, HOSTS - i) }, async (_, j) => {
          const host = await enrollForDeploy(op, i + j, (i + j) % 2 === 0 ? 'redfish' : 'ipmi', 'ui', {
            automated_clean: false,
            extra: { wave: i + j < WAVE ? 'ui' : 'other', rack: (i + j) % 4 === 0 ? 'r1' : 'r2' },
          });
          await drive(op.svc, host.uuid, { target: 'manage' }, 'manageable');
          await drive(op.svc, host.uuid, { target: 'provide' }, 'available');
          return host;
        }),
      );
      hosts.push(...batch);
    }
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.close();
    rmSync(uiDir, { recursive: true, force: true });
    rmSync(authDir, { recursive: true, force: true });
  });

  it('lets a reader see everything, with counts that match the API, and offers no action; the API refuses one forced', async () => {
    const page = await newPage();
    // A wrong password is refused on the login page itself.
    await page.goto(`${rig.svc.url}/ui/`);
    await page.locator('#login-user').fill('reader');
    await page.locator('#login-password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until('login error', page.locator('[data-testid="login-error"]'), (t) => t.includes('refused'));

    await signIn(page, rig.svc.url, 'reader', USERS.reader);
    expect(await page.locator('[data-testid="whoami"]').textContent()).toContain('reader (reader)');
    await until('live', page.locator('[data-testid="live-status"]'), (t) => t === 'Live');
    const total = await countOf('');
    const available = await countOf('&provision_state=available');
    await until('total', page.locator('[data-testid="count-total"]'), (t) => t === String(total));
    expect(await page.locator('[data-testid="count-provision-available"]').textContent()).toBe(String(available));
    expect(await page.locator('[data-testid="count-maintenance"]').textContent()).toBe(
      String(await countOf('&maintenance=true')),
    );
    expect(await page.locator('[data-testid="conductor"]').count()).toBeGreaterThan(0);
    await until('pool usage', page.locator('[data-testid="pool-usage"][data-pool="ui"]'), (t) =>
      t.startsWith(`${HOSTS} used`),
    );

    // The pools and machines pages: the rig's pool with its usage; no machine yet, and that said plainly.
    await page.goto(`${rig.svc.url}/ui/#/pools`);
    await until(
      'pools',
      page.locator('[data-testid="pool-row"]'),
      (t) => t.includes('ui') && t.includes(`${HOSTS} used`),
    );
    await page.goto(`${rig.svc.url}/ui/#/pools/ui`);
    await until('claims', page.locator('.pool'), (t) => t.includes(hosts[3]!.address));
    await page.goto(`${rig.svc.url}/ui/#/machines`);
    await until('machines', page.locator('.machines'), (t) => t.includes('No Cluster API machine exists'));

    await page.goto(`${rig.svc.url}/ui/#/hosts`);
    await until('host count', page.locator('[data-testid="host-count"]'), (t) => t.startsWith(`${HOSTS} hosts`));
    expect(await page.locator('[data-testid="bulk-actions"]').count()).toBe(0);
    expect(await page.locator('[data-testid="select-host"]').count()).toBe(0);
    await page.goto(`${rig.svc.url}/ui/#/hosts/${hosts[0]!.uuid}`);
    await page.locator('[data-testid="host-name"]').waitFor();
    expect(await page.locator('[data-testid="host-actions"]').count()).toBe(0);

    const forced = await fetch(`${rig.svc.url}/v1/nodes/${hosts[0]!.uuid}/states/power`, {
      method: 'PUT',
      headers: { ...basic('reader'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ target: 'power on' }),
    });
    expect(forced.status).toBe(403);
    await page.close();
  });

  it("filters and searches the operator's table: by state, label, name, MAC and IP address", async () => {
    const page = await newPage();
    await signIn(page, rig.svc.url, 'operator', USERS.operator);
    await page.goto(`${rig.svc.url}/ui/#/hosts`);
    const count = page.locator('[data-testid="host-count"]');
    await until('all', count, (t) => t.startsWith(`${HOSTS} hosts`));
    await page.locator('#filter-provision').selectOption('available');
    const available = await countOf('&provision_state=available');
    await until('available', count, (t) => t.startsWith(`${available} hosts`));
    await page.locator('#filter-label').fill('rack=r1');
    const r1 = hosts.filter((_, i) => i % 4 === 0).length;
    await until('rack=r1', count, (t) => t.startsWith(`${r1} host`));
    await page.locator('#filter-label').fill('');
    await page.locator('#filter-provision').selectOption('');

    const target = hosts[5]!;
    for (const [what, text] of [
      ['name', target.host.name],
      ['MAC', target.host.macs[0]!],
      ['IP address', target.address],
    ] as const) {
      await page.locator('#host-search').fill(text);
      await until(`search by ${what}`, count, (t) => t.startsWith('1 host'));
      expect(await page.locator('[data-testid="host-row"]').getAttribute('data-uuid'), what).toBe(target.uuid);
    }
    await page.locator('#host-search').fill('');
    await until('cleared', count, (t) => t.startsWith(`${HOSTS} hosts`));
    await page.close();
  });

  it('deploys 20 hosts from the table and shows them reach active live; a failed host shows its error', async () => {
    const page = await newPage();
    // Documents loaded: a reload would load another (moving between routes and filters does not).
    let loads = 0;
    page.on('load', () => loads++);
    await signIn(page, rig.svc.url, 'operator', USERS.operator);
    await page.goto(`${rig.svc.url}/ui/#/hosts?label=wave%3Dui&provision=available`);
    const count = page.locator('[data-testid="host-count"]');
    await until('the wave', count, (t) => t.startsWith(`${WAVE} hosts`));
    await until('live', page.locator('[data-testid="live-status"]'), (t) => t === 'Live');
    const loaded = loads;

    // One host fails its deploy, started elsewhere: a checksum that does not match the image.
    const failing = hosts[WAVE]!;
    await setImage(op.svc, failing.uuid, { url: rig.image.url, sha256: '0'.repeat(64) });
    await requestDeploy(op.svc, failing.uuid, 'bad-checksum');

    // A second tab on one host of the wave, open before the deploy: its state and timeline follow the boot live.
    const hostPage = await newPage();
    await signIn(hostPage, rig.svc.url, 'operator', USERS.operator);
    await hostPage.goto(`${rig.svc.url}/ui/#/hosts/${hosts[0]!.uuid}`);
    const hostState = hostPage.locator('[data-testid="provision-state"]').first();
    await until('host available', hostState, (t) => t.includes('available'));
    let hostLoads = 0;
    hostPage.on('load', () => hostLoads++);

    await page.locator('#select-all').check();
    await page.locator('[data-testid="bulk-actions"]').getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.locator('[role="dialog"]');
    await until('confirmation', dialog.locator('h2'), (t) => t === `Deploy ${WAVE} hosts`);
    await page.locator('#deploy-image-url').fill(rig.image.url);
    await page.locator('#deploy-image-checksum').fill(rig.image.sha256);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await until('bulk result', page.locator('[data-testid="bulk-result"]'), (t) => t.includes(`${WAVE} accepted`));

    // The host's tab moved on without a reload (a fast machine may take the host to active before it looks).
    await until('deploying', hostState, (t) => /deploying|wait call-back|active/.test(t));
    await until('timeline', hostPage.locator('[data-testid="timeline"]'), (t) => t.includes('tftp'), 30_000);
    expect(hostLoads, 'the host page was not reloaded').toBe(0);
    await screenshot(hostPage, 'host-mid-deploy');

    // The table follows the feed: every host of the wave shows active, with no reload.
    await page.locator('#filter-provision').selectOption('active');
    await until('the wave active', count, (t) => t.startsWith(`${WAVE} hosts`), 120_000);
    expect(loads, 'the page was not reloaded').toBe(loaded);
    expect(await countOf('&provision_state=active')).toBe(WAVE);

    // The failed host: on the overview, newest failure first, and on its page, its error where the eye lands.
    await page.goto(`${rig.svc.url}/ui/#/`);
    const failedText = await until(
      'failed host',
      page.locator('[data-testid="failed-host"]'),
      (t) => t.includes(failing.host.name),
      60_000,
    );
    const lastError = (await op.svc.request('GET', `/v1/nodes/${failing.uuid}`)).body.last_error as string;
    expect(lastError).toMatch(/\S/);
    expect(failedText).toContain(lastError.slice(0, 40));
    await screenshot(page, 'overview');
    await page.locator('[data-testid="failed-host"] a').first().click();
    const box = await until('last error', page.locator('[data-testid="last-error"]'), (t) =>
      t.includes(lastError.slice(0, 40)),
    );
    expect(box).toContain('Last error');
    await until('timeline', page.locator('[data-testid="timeline"]'), (t) => t.includes('deploy failed'));
    await screenshot(page, 'host-failed');
    await hostPage.close();
    await page.close();
  });
});
