/**
 * Anvil against Ironic 21.4 (Debian's) in one run, the same client for both,
 * each server a process of its own with no auth on loopback, fake-hardware:
 * node create, the node lists with 1,000 nodes (detail, the default, and
 * the fields= list baremetal-operator polls), and 200 nodes enroll → active.
 * On SQLite, and on PostgreSQL where one answers. Prints ratios.
 * Usage: npx tsx bench/vs-ironic/run.ts [nodes] [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startAnvilProcess } from '../../test/e2e/anvil-process.js';
import { createTestDatabase, postgresAvailable, type EngineName } from '../../test/support/engines.js';
import { ensureIronic, startIronic } from './ironic-process.js';

const NODES = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 20);
const CREATES = 200;
const LIFECYCLE = 200;
const CONCURRENCY = 20;
/** A microversion both speak, with every field baremetal-operator reads. */
const HEADERS = { 'X-OpenStack-Ironic-API-Version': '1.78', 'Content-Type': 'application/json' };
const LISTS = {
  'GET /v1/nodes/detail': '/v1/nodes/detail',
  'GET /v1/nodes': '/v1/nodes',
  'GET /v1/nodes?fields=uuid,name,provision_state,boot_interface':
    '/v1/nodes?fields=uuid,name,provision_state,boot_interface',
};

interface Server {
  url: string;
  stop(): Promise<void>;
}

type Figures = Map<string, number>;

async function call(base: string, method: string, urlPath: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: HEADERS,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${urlPath}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text === '' ? null : JSON.parse(text);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work();
  return [value, performance.now() - start];
}

async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const createBody = (name: string) => ({
  name,
  driver: 'fake-hardware',
  properties: { cpu_arch: 'x86_64', memory_mb: 65536, local_gb: 400 },
});

/** Waits for the node to rest in `state`, let go by its conductor; bounded, and a failure state ends it at once. */
async function reach(base: string, uuid: string, state: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const node = await call(
      base,
      'GET',
      `/v1/nodes/${uuid}?fields=provision_state,target_provision_state,reservation,last_error`,
    );
    // The lock too: the next verb would meet a 409 on a node still held.
    if (node.provision_state === state && node.target_provision_state === null && node.reservation === null) return;
    if (/failed|error/.test(node.provision_state) || Date.now() > deadline)
      throw new Error(`${uuid}: ${node.provision_state} (${node.last_error ?? 'timed out'})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function provision(base: string, uuid: string, target: string, rests: string): Promise<void> {
  await call(base, 'PUT', `/v1/nodes/${uuid}/states/provision`, { target });
  await reach(base, uuid, rests);
}

async function measure(server: Server): Promise<Figures> {
  const figures: Figures = new Map();
  const base = server.url;
  // Node create: one at a time, p50 of each request.
  const creates: number[] = [];
  for (let i = 0; i < CREATES; i++)
    creates.push((await timed(() => call(base, 'POST', '/v1/nodes', createBody(`c-${i}`))))[1]);
  figures.set('POST /v1/nodes (p50, one at a time)', median(creates));
  // Then up to NODES, 20 at a time, untimed.
  const rest = Array.from({ length: NODES - CREATES }, (_, i) => `n-${i}`);
  await inLanes(rest, CONCURRENCY, async (name) => void (await call(base, 'POST', '/v1/nodes', createBody(name))));
  for (const [label, urlPath] of Object.entries(LISTS)) {
    for (let i = 0; i < 3; i++) await call(base, 'GET', urlPath);
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) samples.push((await timed(() => call(base, 'GET', urlPath)))[1]);
    const listed = (await call(base, 'GET', urlPath)).nodes.length;
    if (listed !== Math.min(NODES, 1000)) throw new Error(`${label} listed ${listed} nodes`);
    figures.set(`${label} (p50, ${NODES} nodes)`, median(samples));
  }
  // 200 new nodes enroll → manageable → available → active, 20 at a time, as a batch operator would.
  const [, lifecycle] = await timed(async () => {
    const names = Array.from({ length: LIFECYCLE }, (_, i) => `l-${i}`);
    await inLanes(names, CONCURRENCY, async (name) => {
      const { uuid } = await call(base, 'POST', '/v1/nodes', createBody(name));
      await provision(base, uuid, 'manage', 'manageable');
      await provision(base, uuid, 'provide', 'available');
      await provision(base, uuid, 'active', 'active');
    });
  });
  figures.set(`${LIFECYCLE} nodes enroll → active (total)`, lifecycle);
  return figures;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function anvilOn(engine: EngineName): Promise<Server> {
  const db = await createTestDatabase(engine);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-vs-ironic-'));
  const anvil = await startAnvilProcess('anvil', 'all', {
    ANVIL_DATABASE_URL: db.url,
    ANVIL_DATA_DIR: dataDir,
    ANVIL_API_HOST: '127.0.0.1',
    ANVIL_API_PORT: '0',
    ANVIL_TFTP_PORT: 'off',
    ANVIL_HTTP_PORT: '0',
    ANVIL_LOG_LEVEL: 'info',
    ANVIL_AUTOMATED_CLEAN: 'false',
  });
  return {
    url: anvil.url!,
    stop: async () => {
      await anvil.kill('SIGTERM');
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function ironicOn(engine: EngineName): Promise<Server & { version: string }> {
  const db = engine === 'postgres' ? await createTestDatabase('postgres') : null;
  const ironic = await startIronic(await freePort(), db?.url ?? null);
  return {
    url: ironic.url,
    version: ironic.version,
    stop: async () => {
      await ironic.stop();
      await db?.drop();
    },
  };
}

async function measureThenStop(server: Server): Promise<Figures> {
  try {
    return await measure(server);
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  ensureIronic();
  const engines: EngineName[] = (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
  const rows: string[] = [];
  for (const engine of engines) {
    // One after the other, never at once: each has the machine to itself while measured.
    const ironic = await ironicOn(engine);
    const ironicFigures = await measureThenStop(ironic);
    const anvilFigures = await measureThenStop(await anvilOn(engine));
    for (const [label, ironicMs] of ironicFigures) {
      const anvilMs = anvilFigures.get(label)!;
      rows.push(
        `| ${label} | ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'} | ${ironicMs.toFixed(1)} | ${anvilMs.toFixed(1)} | ${(ironicMs / anvilMs).toFixed(1)}x |`,
      );
    }
    console.error(`${engine}: done (Ironic API ${ironic.version})`);
  }
  console.log('| operation | engine | Ironic 21.4 (ms) | Anvil (ms) | Anvil faster by |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

await main();
