/**
 * What authentication costs the API, in one run and one process: the list
 * baremetal-operator sends (`GET /v1/nodes?fields=...`, 1,000 fake-hardware
 * nodes) and a single-node GET, with no auth, with basic auth (htpasswd -B,
 * bcrypt cost 5 as `htpasswd -B` writes by default, and cost 10) and with a
 * bearer token. Three API-only services share one SQLite database; the modes
 * take turns request by request, so load from elsewhere hits them alike.
 * Basic auth's first request per user (bcrypt, then cached) is measured
 * apart, with fresh users. Loopback http only.
 * Usage: npx tsx bench/api-auth.ts [nodes] [list rounds] [single-GET rounds] [fresh users per cost]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { startService, type RunningService } from '../server/index.js';
import { TokenStore } from '../services/auth/index.js';
import { loadConfig } from '../services/config/index.js';
import { openDatabase } from '../services/db/index.js';
import { createLogger } from '../services/logger.js';
import { createTestDatabase } from '../test/support/engines.js';

const NODES = Number(process.argv[2] ?? 1000);
const LIST_ROUNDS = Number(process.argv[3] ?? 200);
const SINGLE_ROUNDS = Number(process.argv[4] ?? 500);
const FRESH_USERS = Number(process.argv[5] ?? 10);
const COSTS = [5, 10] as const;
const LIST = '/v1/nodes?fields=uuid,name,provision_state,boot_interface';
const VERSION = { 'X-OpenStack-Ironic-API-Version': '1.89' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

async function time(url: string, headers: Record<string, string>): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await fetch(url, { headers: { ...VERSION, ...headers } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/** htpasswd lines as Debian's `htpasswd -B -C cost` writes them; bcryptjs (as $2y$) where apache2-utils is absent. */
const haveHtpasswd = spawnSync('sh', ['-c', 'command -v htpasswd'], { stdio: 'ignore' }).status === 0;
function htpasswdLine(user: string, password: string, cost: number): string {
  if (haveHtpasswd)
    return execFileSync('htpasswd', ['-n', '-b', '-B', '-C', String(cost), user, password], { encoding: 'utf8' })
      .trim()
      .split('\n')[0]!;
  return `${user}:${bcrypt.hashSync(password, cost).replace(/^\$2b\$/, '$2y$')}`;
}

const db = await createTestDatabase('sqlite');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-bench-auth-'));
const htpasswd = path.join(dataDir, 'htpasswd');
const users: string[] = [];
for (const cost of COSTS) {
  users.push(htpasswdLine(`cost${cost}`, `pw-${cost}`, cost));
  for (let i = 0; i < FRESH_USERS; i++) users.push(htpasswdLine(`fresh${cost}-${i}`, `pw-${cost}-${i}`, cost));
}
writeFileSync(htpasswd, `${users.join('\n')}\n`);

const started: RunningService[] = [];
async function api(env: Record<string, string>): Promise<string> {
  const config = loadConfig({
    ANVIL_API_HOST: '127.0.0.1',
    ANVIL_API_PORT: '0',
    ANVIL_DATABASE_URL: db.url,
    ANVIL_DATA_DIR: dataDir,
    ...env,
  });
  const service = await startService(config, { role: 'api', log: createLogger('silent') });
  started.push(service);
  return service.url!;
}

try {
  const none = await api({ ANVIL_AUTH: 'none' });
  // Enrolled through the API, 20 at a time, as a batch enrolment would.
  for (let i = 0; i < NODES; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, NODES - i) }, (_, j) =>
        fetch(`${none}/v1/nodes`, {
          method: 'POST',
          headers: { ...VERSION, 'Content-Type': 'application/json' },
          body: JSON.stringify({ driver: 'fake-hardware', name: `bench-${i + j}` }),
        }).then(async (r) => {
          await r.arrayBuffer();
          if (r.status !== 201) throw new Error(`POST /v1/nodes: HTTP ${r.status}`);
        }),
      ),
    );
  }
  const basicUrl = await api({ ANVIL_AUTH: 'basic', ANVIL_HTPASSWD: htpasswd });
  const tokenUrl = await api({ ANVIL_AUTH: 'token' });
  const handle = openDatabase(db.url);
  const { secret } = await new TokenStore(handle.knex).create({ role: 'reader', description: 'bench' });
  await handle.close();

  const modes: { label: string; url: string; headers: Record<string, string> }[] = [
    { label: 'none', url: none, headers: {} },
    { label: 'basic, bcrypt cost 5 (cached)', url: basicUrl, headers: basic('cost5', 'pw-5') },
    { label: 'basic, bcrypt cost 10 (cached)', url: basicUrl, headers: basic('cost10', 'pw-10') },
    { label: 'token', url: tokenUrl, headers: { Authorization: `Bearer ${secret}` } },
  ];
  const single = `/v1/nodes/bench-${Math.floor(NODES / 2)}`;

  const results: Record<string, Record<string, ReturnType<typeof stats>>> = {};
  for (const [request, rounds] of [
    [LIST, LIST_ROUNDS],
    [single, SINGLE_ROUNDS],
  ] as const) {
    for (const m of modes) for (let i = 0; i < 3; i++) await time(`${m.url}${request}`, m.headers); // warm-up
    const samples = new Map(modes.map((m) => [m.label, [] as number[]]));
    for (let r = 0; r < rounds; r++) {
      // Each round starts with another mode, so none always follows the same one.
      for (let k = 0; k < modes.length; k++) {
        const m = modes[(r + k) % modes.length]!;
        samples.get(m.label)!.push(await time(`${m.url}${request}`, m.headers));
      }
    }
    results[request] = Object.fromEntries([...samples].map(([label, s]) => [label, stats(s)]));
  }

  // Basic auth's first request per user pays bcrypt; the same user's next one is served from the cache.
  // Measured after the rounds above, so the code is warm and only bcrypt tells the two apart.
  const firstRequest: Record<number, { first: number[]; second: number[] }> = {};
  for (const cost of COSTS) {
    firstRequest[cost] = { first: [], second: [] };
    for (let i = 0; i < FRESH_USERS; i++) {
      const headers = basic(`fresh${cost}-${i}`, `pw-${cost}-${i}`);
      firstRequest[cost].first.push(await time(`${basicUrl}${single}`, headers));
      firstRequest[cost].second.push(await time(`${basicUrl}${single}`, headers));
    }
  }
  // bcrypt alone, as the service runs it (bcryptjs, pure JavaScript).
  const bcryptAlone: Record<number, number[]> = {};
  for (const cost of COSTS) {
    const hash = bcrypt.hashSync('x', cost);
    bcryptAlone[cost] = [];
    for (let i = 0; i < FRESH_USERS; i++) {
      const start = process.hrtime.bigint();
      await bcrypt.compare('x', hash);
      bcryptAlone[cost].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }

  const fmt = (n: number) => n.toFixed(2);
  console.log(
    `${NODES} fake-hardware nodes, SQLite; ${LIST_ROUNDS} list and ${SINGLE_ROUNDS} single-node GETs per mode, ` +
      `modes taking turns, after 3 warm-up requests each (ms); htpasswd from ${haveHtpasswd ? 'htpasswd -B -C N' : 'bcryptjs'}\n`,
  );
  console.log('| request | auth | p50 | p95 | mean | p50 / none | mean / none |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [request, byMode] of Object.entries(results)) {
    const base = byMode.none!;
    const shown = request === LIST ? `GET ${LIST}` : 'GET /v1/nodes/{name}';
    for (const [label, r] of Object.entries(byMode)) {
      console.log(
        `| ${shown} | ${label} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.mean)} | ${(r.p50 / base.p50).toFixed(2)} | ${(r.mean / base.mean).toFixed(2)} |`,
      );
    }
  }
  console.log(
    `\nBasic auth, first request of a user (bcrypt) vs its second (cached), GET /v1/nodes/{name}, ${FRESH_USERS} users per cost (ms)\n`,
  );
  console.log(
    '| bcrypt cost | first request p50 | first request max | second request p50 | bcrypt.compare alone p50 |',
  );
  console.log('|---|---|---|---|---|');
  for (const cost of COSTS) {
    const first = stats(firstRequest[cost]!.first);
    const second = stats(firstRequest[cost]!.second);
    console.log(
      `| ${cost} | ${fmt(first.p50)} | ${fmt(Math.max(...firstRequest[cost]!.first))} | ${fmt(second.p50)} | ${fmt(stats(bcryptAlone[cost]!).p50)} |`,
    );
  }
} finally {
  for (const service of started.reverse()) await service.close();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
