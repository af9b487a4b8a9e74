// What the conductor benchmarks share: a database, `anvil serve` processes
// started as an operator starts them, a sim fleet enrolled through the REST
// API, and a client that carries every node through a plan of provision
// steps with bounded concurrency, timing each step of each node.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enrollmentFromAddress } from '../bmc-drivers/index.js';
import type { SimManifestHost } from '../sim/host/index.js';
import { createTestDatabase, type EngineName, type TestDatabase } from '../test/support/engines.js';
import { startAnvilProcess, type AnvilProcess, type ServeRole } from '../test/e2e/anvil-process.js';

export type Protocol = 'redfish' | 'ipmi';
const VERSION = '1.60';
/** States a conductor still has to move a node out of, locked or not. */
const WORKING_STATES = new Set(['verifying', 'inspecting', 'cleaning', 'deploying', 'deleting', 'adopting']);

export interface Workspace {
  db: TestDatabase;
  /** The settings every process of one deployment shares. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A fresh database and data directory, and a shared secret key. */
export async function createWorkspace(engine: EngineName): Promise<Workspace> {
  const db = await createTestDatabase(engine);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-bench-'));
  return {
    db,
    env: {
      ANVIL_DATABASE_URL: db.url,
      ANVIL_DATA_DIR: dataDir,
      ANVIL_SECRET_KEY: randomBytes(32).toString('hex'),
      ANVIL_LOG_LEVEL: 'info',
      ANVIL_API_HOST: '127.0.0.1',
      ANVIL_API_PORT: '0',
      // One listing holds the whole fleet.
      ANVIL_API_MAX_LIMIT: '10000',
    },
    async close() {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function startAnvil(
  ws: Workspace,
  name: string,
  role: ServeRole,
  env: Record<string, string> = {},
): Promise<AnvilProcess> {
  return startAnvilProcess(name, role, { ...ws.env, ANVIL_CONDUCTOR_NAME: name, ...env });
}

export interface Reply {
  status: number;
  body: any;
  text: string;
}

export async function call(url: string, method: string, urlPath: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${url}${urlPath}`, {
    method,
    headers: {
      'X-OpenStack-Ironic-API-Version': VERSION,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text), text };
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** `POST /v1/nodes` for each host, with its Redfish or IPMI address; returns the uuids in host order and each POST's ms. */
export async function enrollFleet(
  url: string,
  hosts: readonly SimManifestHost[],
  protocolOf: (index: number) => Protocol,
  concurrency = 32,
): Promise<{ uuids: string[]; latenciesMs: number[] }> {
  const uuids: string[] = new Array(hosts.length);
  const latenciesMs: number[] = new Array(hosts.length);
  await inParallel(hosts, concurrency, async (host, i) => {
    const bmc = host[protocolOf(i)];
    const { driver, driverInfo } = enrollmentFromAddress(bmc.address, {
      username: bmc.username,
      password: bmc.password,
    });
    const started = performance.now();
    const res = await call(url, 'POST', '/v1/nodes', {
      name: host.name,
      driver,
      driver_info: {
        ...driverInfo,
        deploy_kernel: 'http://127.0.0.1:9/ipa.kernel',
        deploy_ramdisk: 'http://127.0.0.1:9/ipa.initramfs',
      },
      automated_clean: false,
      // What a deploy needs to start; the agent it boots never comes, so a deploy rests in wait call-back.
      instance_info: { image_source: 'http://127.0.0.1:9/disk.img', image_checksum: 'sha256:0000' },
    });
    if (res.status !== 201) throw new Error(`enrolling ${host.name}: ${res.status} ${res.text}`);
    uuids[i] = res.body.uuid as string;
    // The port a network boot needs: without it a deploy fails before it starts.
    const port = await call(url, 'POST', '/v1/ports', { node_uuid: uuids[i], address: host.macs[0] });
    latenciesMs[i] = performance.now() - started;
    if (port.status !== 201) throw new Error(`the port of ${host.name}: ${port.status} ${port.text}`);
  });
  return { uuids, latenciesMs };
}

/** [request target, the state the node rests in once the step is done]. */
export type Plan = readonly (readonly [string, string])[];

interface Listed {
  uuid: string;
  provision_state: string;
  target_power_state: string | null;
  reservation: string | null;
  last_error: string | null;
}

/**
 * Carries every node through `plan`, each at its own pace: a node gets its
 * next request as soon as a listing shows it resting where the last one
 * aimed. Returns, per step, each node's ms from sending the request to the
 * first listing that shows it done (so within one poll interval).
 */
export async function drivePlan(
  url: string,
  uuids: readonly string[],
  plan: Plan,
  { concurrency = 32, pollMs = 100, timeoutMs = 600_000 } = {},
): Promise<{ stepMs: number[][]; retried: number }> {
  const stepMs: number[][] = plan.map(() => []);
  const state = new Map(uuids.map((uuid) => [uuid, { step: -1, busy: false, sentAt: 0, answeredAt: 0 }]));
  let inFlight = 0;
  let retried = 0;
  const deadline = Date.now() + timeoutMs;
  const send = async (uuid: string, s: { step: number; busy: boolean; sentAt: number; answeredAt: number }) => {
    s.busy = true;
    inFlight++;
    const sentAt = performance.now();
    try {
      const res = await call(url, 'PUT', `/v1/nodes/${uuid}/states/provision`, { target: plan[s.step + 1]![0] });
      if (res.status === 202) {
        s.step++;
        s.sentAt = sentAt;
      } else if (res.status === 503 || res.status === 409) {
        // The conductor's worker pool is full (or the node busy): ask again on a later poll.
        retried++;
      } else {
        throw new Error(`${plan[s.step + 1]![0]} on ${uuid}: ${res.status} ${res.text}`);
      }
    } finally {
      s.answeredAt = Date.now();
      s.busy = false;
      inFlight--;
    }
  };
  const failures: unknown[] = [];
  for (;;) {
    const polledAt = Date.now();
    const res = await call(
      url,
      'GET',
      `/v1/nodes?fields=uuid,provision_state,target_power_state,reservation,last_error&limit=${uuids.length + 1}`,
    );
    const seenAt = performance.now();
    let done = 0;
    for (const n of res.body.nodes as Listed[]) {
      const s = state.get(n.uuid);
      if (!s) continue;
      if (s.busy || s.answeredAt >= polledAt) continue;
      if (n.reservation !== null || n.target_power_state !== null || WORKING_STATES.has(n.provision_state)) continue;
      const expected = s.step === -1 ? null : plan[s.step]![1];
      if (expected !== null && (n.provision_state !== expected || n.last_error !== null)) {
        throw new Error(
          `node ${n.uuid} stopped in ${n.provision_state} (${n.last_error ?? 'no last_error'}) instead of ${expected}`,
        );
      }
      if (expected !== null && stepMs[s.step]!.length < uuids.length && s.sentAt > 0) {
        stepMs[s.step]!.push(seenAt - s.sentAt);
        s.sentAt = 0;
      }
      if (s.step === plan.length - 1) done++;
      else if (inFlight < concurrency) void send(n.uuid, s).catch((err: unknown) => failures.push(err));
    }
    if (failures.length > 0) throw failures[0];
    if (done === uuids.length && inFlight === 0) return { stepMs, retried };
    if (Date.now() > deadline)
      throw new Error(`the fleet did not finish its plan within ${timeoutMs} ms (${done} of ${uuids.length} done)`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The value of one sample line of the service's Prometheus text, e.g. `anvil_power_sync_pass_duration_seconds_count`. */
export async function metric(url: string, sample: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `) || l.startsWith(`${sample}{}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A process's resident set (MB) and CPU seconds so far, from /proc. */
export function processUsage(pid: number): { rssMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  // Fields 14 and 15 of /proc/pid/stat, after the parenthesised command name: utime and stime in clock ticks (100 per second on Linux).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: rssKb / 1024, cpuSeconds: ticks / 100 };
}
