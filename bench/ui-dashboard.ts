/**
 * The dashboard with 10,000 hosts, in headless Chromium (Debian's): time
 * from navigation to the hosts table's first rows and to every host
 * counted, the page's JavaScript heap and DOM size, and how long a state
 * change takes to show (from the API's answer to the next painted frame),
 * beside the floor: the time the API itself takes to answer the same 10,000
 * rows. Usage: npx tsx bench/ui-dashboard.ts [hosts] [changes]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startService } from '../server/index.js';
import { loadConfig } from '../services/config/index.js';
import { createLogger } from '../services/logger.js';
import { createTestDatabase } from '../test/support/engines.js';
import { percentile } from './anvil-fleet.js';

const HOSTS = Number(process.argv[2] ?? 10_000);
const CHANGES = Number(process.argv[3] ?? 40);
const CHROMIUM = '/usr/bin/chromium';
const HEADERS = { 'OpenStack-API-Version': 'baremetal 1.110', 'Content-Type': 'application/json' };
const FIELDS =
  'uuid,name,driver,provision_state,target_provision_state,power_state,target_power_state,maintenance,maintenance_reason,fault,last_error,instance_uuid,resource_class,extra,traits,conductor,provision_updated_at,created_at,updated_at';

if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: install Debian's chromium (test/interop/install-tools.sh does)`);
  process.exit(1);
}

const uiDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-bench-ui-'));
execFileSync(process.execPath, ['ui/build.mjs', '--out', uiDir]);
const db = await createTestDatabase('sqlite');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-bench-'));
const config = loadConfig({
  ANVIL_API_PORT: '0',
  ANVIL_DATABASE_URL: db.url,
  ANVIL_DATA_DIR: dataDir,
  ANVIL_UI_DIR: uiDir,
  ANVIL_TFTP_PORT: 'off',
  ANVIL_HTTP_PORT: '0',
});
const service = await startService(config, { log: createLogger('silent') });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});

try {
  const enrollStart = Date.now();
  for (let i = 0; i < HOSTS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, HOSTS - i) }, (_, j) =>
        fetch(`${service.url}/v1/nodes`, {
          method: 'POST',
          headers: HEADERS,
          body: JSON.stringify({
            name: `host-${String(i + j).padStart(5, '0')}`,
            driver: 'fake-hardware',
            extra: { rack: `r${(i + j) % 40}` },
          }),
        }).then(async (res) => {
          if (res.status !== 201) throw new Error(`enroll: HTTP ${res.status} ${await res.text()}`);
        }),
      ),
    );
  }
  console.log(`enrolled ${HOSTS} hosts in ${((Date.now() - enrollStart) / 1000).toFixed(1)} s`);

  // The floor: the same rows, read by a plain client in pages of 1,000.
  const apiTimes: number[] = [];
  for (let round = 0; round < 3; round++) {
    const start = performance.now();
    let next: string | undefined = `${service.url}/v1/nodes?limit=1000&fields=${FIELDS}`;
    let rows = 0;
    while (next !== undefined) {
      const page = (await (await fetch(next, { headers: HEADERS })).json()) as { nodes: unknown[]; next?: string };
      rows += page.nodes.length;
      next = page.next;
    }
    if (rows !== HOSTS) throw new Error(`the API listed ${rows} hosts, not ${HOSTS}`);
    apiTimes.push(performance.now() - start);
  }

  const firstRows: number[] = [];
  const usable: number[] = [];
  let heapMb = 0;
  let domNodes = 0;
  for (let round = 0; round < 3; round++) {
    // The bench's probes are strings evaluated in the page, which the dashboard's CSP (no eval) would refuse.
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    // Timed in the page from its navigation start, so the browser driver's own round trips are not counted.
    await page.addInitScript(`
      new MutationObserver(() => {
        const count = document.querySelector('[data-testid="host-count"]')?.textContent;
        if (window.__firstRow === undefined && document.querySelector('[data-testid="host-row"]')) window.__firstRow = performance.now();
        if (window.__allCounted === undefined && count === '${HOSTS} hosts') window.__allCounted = performance.now();
      }).observe(document, { subtree: true, childList: true, characterData: true });
    `);
    await page.goto(`${service.url}/ui/#/hosts`);
    await page.waitForFunction('window.__allCounted !== undefined', undefined, { timeout: 120_000 });
    const [first, all] = await page.evaluate<[number, number]>('[window.__firstRow, window.__allCounted]');
    firstRows.push(first);
    usable.push(all);
    if (round === 2) {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
      heapMb = metric('JSHeapUsedSize') / 2 ** 20;
      domNodes = metric('Nodes');
      await measureChanges(page);
    }
    await page.close();
  }

  async function measureChanges(page: import('playwright-core').Page) {
    await page.waitForSelector('[data-testid="live-status"]:text("Live")', { timeout: 30_000 });
    const uuid = await page.getAttribute('[data-testid="host-row"]', 'data-uuid');
    const answerToPaint: number[] = [];
    const requestToPaint: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const on = i % 2 === 0;
      // In the page, so both ends are one clock: the request, its answer, and the frame after the row shows it.
      const [fromRequest, fromAnswer] = await page.evaluate<[number, number]>(`(async () => {
        const uuid = ${JSON.stringify(uuid)};
        const on = ${String(on)};
        const row = () => document.querySelector('[data-uuid="' + uuid + '"]')?.textContent ?? '';
        const sent = performance.now();
        const res = await fetch('/v1/nodes/' + uuid + '/maintenance', {
          method: on ? 'PUT' : 'DELETE',
          headers: { 'Content-Type': 'application/json' },
          body: on ? JSON.stringify({ reason: 'bench' }) : undefined,
        });
        if (!res.ok) throw new Error('maintenance: HTTP ' + res.status);
        const answered = performance.now();
        await new Promise((resolve, reject) => {
          const limit = setTimeout(() => reject(new Error('the change never showed')), 30000);
          const check = () => {
            if (row().includes('maintenance') === on) {
              clearTimeout(limit);
              resolve();
            } else requestAnimationFrame(check);
          };
          check();
        });
        // The frame that paints it.
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const painted = performance.now();
        return [painted - sent, painted - answered];
      })()`);
      requestToPaint.push(fromRequest);
      answerToPaint.push(fromAnswer);
    }
    answerToPaint.sort((a, b) => a - b);
    requestToPaint.sort((a, b) => a - b);
    const ms = (v: number) => v.toFixed(0);
    console.log(
      `state change (maintenance on/off, ${CHANGES} times): answer → paint p50 ${ms(percentile(answerToPaint, 50))} ms, p95 ${ms(percentile(answerToPaint, 95))} ms; request → paint p50 ${ms(percentile(requestToPaint, 50))} ms, p95 ${ms(percentile(requestToPaint, 95))} ms`,
    );
  }

  apiTimes.sort((a, b) => a - b);
  usable.sort((a, b) => a - b);
  firstRows.sort((a, b) => a - b);
  const apiMedian = percentile(apiTimes, 50);
  const usableMedian = percentile(usable, 50);
  console.log(
    `API list of ${HOSTS} hosts (10 pages): median ${apiMedian.toFixed(0)} ms; navigation → first rows drawn: median ${percentile(firstRows, 50).toFixed(0)} ms; → every host counted: median ${usableMedian.toFixed(0)} ms (runs ${usable.map((v) => v.toFixed(0)).join(', ')}); ratio to the API list ${(usableMedian / apiMedian).toFixed(2)}`,
  );
  console.log(`page after load: JS heap ${heapMb.toFixed(1)} MiB, ${domNodes} DOM nodes`);
} finally {
  await browser.close();
  await service.close();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(uiDir, { recursive: true, force: true });
}
