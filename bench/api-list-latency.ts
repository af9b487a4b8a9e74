/**
 * GET /v1/nodes/detail latency with 1,000 nodes, on SQLite and on PostgreSQL,
 * in one run (plus the list that baremetal-operator's HasCapacity sends and a
 * single-node GET). Usage: npx tsx bench/api-list-latency.ts [nodes] [rounds]
 * With ANVIL_BENCH_PROFILE=DIR, the timed requests on SQLite are also CPU-profiled
 * (DIR/<request>.cpuprofile) and where their time goes is printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService } from '../server/index.js';
import { loadConfig } from '../services/config/index.js';
import { openDatabase } from '../services/db/index.js';
import { createLogger } from '../services/logger.js';
import { createTestDatabase, postgresAvailable, type EngineName } from '../test/support/engines.js';
import { profiled, summarize } from './cpu-profile.js';

const NODES = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 30);
const PROFILE_DIR = process.env.ANVIL_BENCH_PROFILE;
const profiles: string[] = [];
const EVERY_NODE_WRITTEN = 'GET /v1/nodes/detail, every node written since the last';
const HEADERS = { 'X-OpenStack-Ironic-API-Version': '1.89', 'Content-Type': 'application/json' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(url: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await fetch(url, { headers: HEADERS });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function measure(engine: EngineName) {
  const db = await createTestDatabase(engine);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-bench-'));
  const config = loadConfig({ ANVIL_API_PORT: '0', ANVIL_DATABASE_URL: db.url, ANVIL_DATA_DIR: dataDir });
  const service = await startService(config, { log: createLogger('silent') });
  try {
    // Enrolled through the API, 20 at a time, as a batch enrolment would.
    for (let i = 0; i < NODES; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, NODES - i) }, (_, j) =>
          fetch(`${service.url}/v1/nodes`, {
            method: 'POST',
            headers: HEADERS,
            body: JSON.stringify({
              driver: 'redfish',
              name: `bench-${i + j}`,
              driver_info: {
                redfish_address: 'http://127.0.0.1:8000',
                redfish_password: 'pw',
                deploy_kernel: 'k',
                deploy_ramdisk: 'r',
              },
              properties: { cpu_arch: 'x86_64', capabilities: 'boot_mode:uefi' },
            }),
          }).then((r) => r.arrayBuffer()),
        ),
      );
    }
    const detail = `${service.url}/v1/nodes/detail`;
    const targets: Record<string, string> = {
      'GET /v1/nodes/detail': detail,
      // The worst case of the detail cache: every row's stamp moved since the last list.
      [EVERY_NODE_WRITTEN]: detail,
      'GET /v1/nodes?fields=uuid,name,provision_state,boot_interface': `${service.url}/v1/nodes?fields=uuid,name,provision_state,boot_interface`,
      'GET /v1/nodes/{name}': `${service.url}/v1/nodes/bench-${Math.floor(NODES / 2)}`,
    };
    const direct = openDatabase(db.url);
    // Untimed, before each request of that label: a write to every node (a no-op to the data, a new stamp to each).
    const before = (label: string) =>
      label === EVERY_NODE_WRITTEN ? direct.knex('nodes').update({ last_error: direct.knex.ref('last_error') }) : null;
    const results: Record<string, { p50: number; p95: number; mean: number }> = {};
    for (const [label, url] of Object.entries(targets)) {
      for (let i = 0; i < 3; i++) await time(url); // warm-up
      const samples: number[] = [];
      const run = async () => {
        for (let i = 0; i < ROUNDS; i++) {
          await before(label);
          samples.push(await time(url));
        }
      };
      if (PROFILE_DIR !== undefined && engine === 'sqlite') {
        const file = path.join(PROFILE_DIR, `${label.replace(/[^a-z0-9]+/gi, '_')}.cpuprofile`);
        const { profile } = await profiled(file, run);
        profiles.push(`### ${label} (${engine}, ${ROUNDS} requests)\n\n${summarize(profile)}\n`);
      } else await run();
      samples.sort((a, b) => a - b);
      results[label] = {
        p50: percentile(samples, 50),
        p95: percentile(samples, 95),
        mean: samples.reduce((a, b) => a + b, 0) / samples.length,
      };
    }
    await direct.close();
    return results;
  } finally {
    await service.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const engines: EngineName[] = (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
const all: Record<string, Awaited<ReturnType<typeof measure>>> = {};
for (const engine of engines) all[engine] = await measure(engine);

console.log(`${NODES} nodes, ${ROUNDS} sequential requests each, after 3 warm-up requests (ms)\n`);
console.log('| request | engine | p50 | p95 | mean |');
console.log('|---|---|---|---|---|');
for (const label of Object.keys(all.sqlite!)) {
  for (const engine of engines) {
    const r = all[engine]![label]!;
    console.log(`| ${label} | ${engine} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.mean.toFixed(1)} |`);
  }
}
if (profiles.length > 0)
  console.log(`\nWhere the time goes (self time of the sampled stacks):\n\n${profiles.join('\n')}`);
if (all.postgres) {
  const ratio = all.postgres['GET /v1/nodes/detail']!.p50 / all.sqlite!['GET /v1/nodes/detail']!.p50;
  console.log(`\nPostgreSQL / SQLite p50 ratio for /v1/nodes/detail: ${ratio.toFixed(2)}`);
}
