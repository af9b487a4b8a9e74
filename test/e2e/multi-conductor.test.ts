// The conductor's multi-conductor Proof (issue 5): three `anvil serve --role
// conductor` processes and one `--role api` process share PostgreSQL and drive
// 300 simulated hosts (half Redfish, half IPMI) through their lifecycle over
// the REST API; one conductor is SIGKILLed mid-way. The sim in this process
// counts concurrent commands per BMC, so it sees any node worked twice at once.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollmentFromAddress } from '../../bmc-drivers/index.js';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/engines.js';
import { startAnvilProcess, type AnvilProcess } from './anvil-process.js';

const HOSTS = 300;
const CONDUCTORS = ['conductor-a', 'conductor-b', 'conductor-c'];
const VICTIM = 'conductor-b';
const HEARTBEAT_TIMEOUT_S = 4;
/** Deploy to wait call-back and tear down this many times per node, after manage and provide. */
const CYCLES = 2;
/** Requests a careful client keeps in flight at once. */
const CLIENT_CONCURRENCY = 24;
/** The SIGKILL falls once this share of all the requested steps is done. */
const KILL_AT = 0.4;
const ALLOCATIONS = 360;
const RESOURCE_CLASS = 'mc-race';
// 1.60: allocations with owners; also shows each node's `conductor` (1.49).
const VERSION = '1.60';

/** [request target, the state the node rests in once the step is done]. */
/** What a deploy needs to start; the agent it boots never comes, so each deploy rests in wait call-back. */
const IMAGE = { image_source: 'http://127.0.0.1:9/images/disk.img', image_checksum: 'sha256:0000' };
const PLAN: readonly (readonly [string, string])[] = [
  ['manage', 'manageable'],
  ['provide', 'available'],
  ...Array.from({ length: CYCLES }, () => [
    ['active', 'wait call-back'] as const,
    ['deleted', 'available'] as const,
  ]).flat(),
];
/** States the conductor itself moves a node out of: a node there is not at rest even unlocked (it awaits a taker). */
const WORKING_STATES = new Set(['verifying', 'inspecting', 'cleaning', 'deploying', 'deleting', 'adopting']);

const postgresUp = await postgresAvailable();

interface Listed {
  uuid: string;
  name: string;
  provision_state: string;
  target_power_state: string | null;
  reservation: string | null;
  last_error: string | null;
  conductor: string | null;
}

interface Tracked {
  uuid: string;
  /** Index in PLAN of the step last requested; -1 right after enrollment. */
  step: number;
  busy: boolean;
  /** When the last request was answered: listings started before it show the node as it was. */
  answeredAt: number;
  /** Where the node stopped outside the plan, with its last_error. */
  parked: string | null;
}

let db: TestDatabase;
let dataDir: string;
let sim: SimFleet;
let api: AnvilProcess;
const conductors = new Map<string, AnvilProcess>();

async function request(
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${api.url}${urlPath}`, {
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

async function listNodes(): Promise<Listed[]> {
  const fields = 'uuid,name,provision_state,target_power_state,reservation,last_error,conductor';
  const res = await request('GET', `/v1/nodes?fields=${fields}&limit=${HOSTS}`);
  expect(res.status, res.text).toBe(200);
  return res.body.nodes as Listed[];
}

/** Unlocked, with no power change pending, and in no state a conductor still has to move it out of. */
function atRest(n: Listed): boolean {
  return n.reservation === null && n.target_power_state === null && !WORKING_STATES.has(n.provision_state);
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!postgresUp) return;
  db = await createTestDatabase('postgres');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'anvil-mc-'));
  sim = await startSimFleet({
    fleet: createFleet({ count: HOSTS, seed: 42 }),
    credentials: { username: 'admin', password: 'mc-secret' },
  });
  const shared = {
    ANVIL_DATABASE_URL: db.url,
    // Credentials are sealed at rest: every process must read what the API wrote.
    ANVIL_SECRET_KEY: randomBytes(32).toString('hex'),
    ANVIL_DATA_DIR: dataDir,
    ANVIL_LOG_LEVEL: 'info',
    ANVIL_CONDUCTOR_HEARTBEAT_INTERVAL: '1',
    ANVIL_CONDUCTOR_HEARTBEAT_TIMEOUT: String(HEARTBEAT_TIMEOUT_S),
  };
  // The API migrates the fresh database; the conductors then start together.
  api = await startAnvilProcess('api', 'api', {
    ...shared,
    ANVIL_API_HOST: '127.0.0.1',
    ANVIL_API_PORT: '0',
    // The holder name of the locks the API takes while it checks a request.
    ANVIL_CONDUCTOR_NAME: 'api-0',
  });
  const started = await Promise.all(
    CONDUCTORS.map((name) =>
      startAnvilProcess(name, 'conductor', {
        ...shared,
        ANVIL_CONDUCTOR_NAME: name,
        // Handed-over work waits for the owner's next sweep: keep that short.
        ANVIL_CONDUCTOR_SWEEP_INTERVAL: '0.2',
        ANVIL_BMC_TIMEOUT: '5',
        ANVIL_BMC_ATTEMPTS: '2',
        ANVIL_BMC_RETRY_DELAY: '0.2',
        ANVIL_POWER_STATE_CHANGE_TIMEOUT: '10',
        // Power sync locks nodes for a moment; off, so the allocation race below is decided by the race alone.
        ANVIL_POWER_SYNC_INTERVAL: '0',
      }),
    ),
  );
  for (const c of started) conductors.set(c.name, c);
}, 120_000);

afterAll(async () => {
  await Promise.all([...conductors.values(), ...(api ? [api] : [])].map((p) => p.kill('SIGKILL')));
  await sim?.close();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!postgresUp)(`${CONDUCTORS.length} conductor processes and ${HOSTS} sim hosts on PostgreSQL`, () => {
  const nodes = new Map<string, Tracked>();
  const took = { killToTakeoverMs: -1, cyclingMs: -1, requests: 0, conflicts: 0 };

  it(`cycles every node through its lifecycle while ${VICTIM} is SIGKILLed, whose nodes the others take over within 2 × the heartbeat timeout`, async () => {
    const enrolledAt = Date.now();
    await inParallel(sim.manifest.hosts, CLIENT_CONCURRENCY, async (host) => {
      const i = Number(host.name.slice('sim-'.length));
      const protocol = i % 2 === 0 ? 'redfish' : 'ipmi';
      const bmc = host[protocol];
      const { driver, driverInfo } = enrollmentFromAddress(bmc.address, {
        username: bmc.username,
        password: bmc.password,
      });
      const res = await request('POST', '/v1/nodes', {
        name: host.name,
        driver,
        driver_info: {
          ...driverInfo,
          deploy_kernel: 'http://127.0.0.1:9/ipa.kernel',
          deploy_ramdisk: 'http://127.0.0.1:9/ipa.initramfs',
        },
        instance_info: IMAGE,
        resource_class: RESOURCE_CLASS,
        automated_clean: false,
      });
      expect(res.status, res.text).toBe(201);
      // A port, as a network boot needs one: without it every deploy fails before it starts.
      const port = await request('POST', '/v1/ports', { node_uuid: res.body.uuid, address: host.macs[0] });
      expect(port.status, port.text).toBe(201);
      nodes.set(res.body.uuid, { uuid: res.body.uuid, step: -1, busy: false, answeredAt: 0, parked: null });
    });
    const enrollMs = Date.now() - enrolledAt;

    const totalSteps = HOSTS * PLAN.length;
    let inFlight = 0;
    let killedAt: number | null = null;
    const atKill = { owned: 0, held: 0 };
    let takeoverAt: number | null = null;
    /** The victim's nodes that had work under way at the kill, or were handed to it after; each must rest again. */
    const mustProgress = new Set<string>();

    const send = async (t: Tracked, target: string): Promise<void> => {
      t.busy = true;
      inFlight++;
      try {
        if (target === 'active') {
          // Tear-down clears instance_info, as in Ironic: each deploy names its image again.
          const patch = await request(
            'PATCH',
            `/v1/nodes/${t.uuid}`,
            Object.entries(IMAGE).map(([key, value]) => ({ op: 'add', path: `/instance_info/${key}`, value })),
          );
          if (patch.status === 409) {
            took.conflicts++;
            return;
          }
          expect(patch.status, patch.text).toBe(200);
        }
        const res = await request('PUT', `/v1/nodes/${t.uuid}/states/provision`, { target });
        took.requests++;
        if (res.status === 202) t.step++;
        else if (res.status === 409 || res.status === 503) took.conflicts++;
        else t.parked = `PUT ${target} answered ${res.status}: ${res.text}`;
      } finally {
        t.answeredAt = Date.now();
        t.busy = false;
        inFlight--;
      }
    };

    const startedAt = Date.now();
    const deadline = startedAt + 90_000;
    for (;;) {
      const polledAt = Date.now();
      const listing = await listNodes();
      let finished = 0;
      for (const n of listing) {
        const t = nodes.get(n.uuid)!;
        if (killedAt !== null && n.reservation === VICTIM) mustProgress.add(n.uuid);
        if (atRest(n)) mustProgress.delete(n.uuid);
        if (t.parked !== null) {
          finished++;
          continue;
        }
        // A listing taken before the last answer may show the node as it was before that request.
        if (t.busy || t.answeredAt >= polledAt || !atRest(n)) continue;
        const expected = t.step === -1 ? 'enroll' : PLAN[t.step]![1];
        if (n.provision_state !== expected || n.last_error !== null) {
          t.parked = `${n.name} in ${n.provision_state}: ${n.last_error ?? '(no last_error)'}`;
          finished++;
        } else if (t.step === PLAN.length - 1) {
          finished++;
        } else if (inFlight < CLIENT_CONCURRENCY) {
          void send(t, PLAN[t.step + 1]![0]);
        }
      }
      const stepsRequested = [...nodes.values()].reduce((sum, t) => sum + t.step + 1, 0);
      if (
        killedAt === null &&
        stepsRequested >= totalSteps * KILL_AT &&
        listing.some((n) => n.reservation === VICTIM)
      ) {
        for (const n of listing) if (n.conductor === VICTIM && !atRest(n)) mustProgress.add(n.uuid);
        atKill.owned = listing.filter((n) => n.conductor === VICTIM).length;
        atKill.held = listing.filter((n) => n.reservation === VICTIM).length;
        killedAt = Date.now();
        await conductors.get(VICTIM)!.kill('SIGKILL');
      }
      if (
        killedAt !== null &&
        takeoverAt === null &&
        mustProgress.size === 0 &&
        listing.every((n) => n.reservation !== VICTIM && n.conductor !== VICTIM)
      ) {
        takeoverAt = Date.now();
      }
      if (finished === HOSTS && inFlight === 0 && takeoverAt !== null) break;
      if (Date.now() > deadline) {
        const stuck = listing.filter(
          (n) => nodes.get(n.uuid)!.step < PLAN.length - 1 && nodes.get(n.uuid)!.parked === null,
        );
        throw new Error(
          `the fleet did not finish within 90 s: ${stuck.length} nodes short, e.g. ${JSON.stringify(stuck.slice(0, 5))}`,
        );
      }
      await sleep(150);
    }
    took.cyclingMs = Date.now() - startedAt;
    took.killToTakeoverMs = takeoverAt - killedAt!;
    const parked = [...nodes.values()].filter((t) => t.parked !== null);
    console.info(
      `[multi-conductor] enrolled ${HOSTS} in ${enrollMs} ms; ${[...nodes.values()].reduce((sum, t) => sum + t.step + 1, 0)} of ${totalSteps} steps in ${took.cyclingMs} ms ` +
        `(${took.requests} requests, ${took.conflicts} answered 409/503); kill (${VICTIM} owned ${atKill.owned} nodes and held ${atKill.held} locks) → takeover ${took.killToTakeoverMs} ms; ` +
        `${parked.length} nodes stopped outside the plan${parked.length > 0 ? `: ${parked.map((t) => t.parked).join(' | ')}` : ''}`,
    );
    // Only the kill may stop a node outside the plan, so only the victim's nodes can be among them.
    expect(parked.length, parked.map((t) => t.parked).join(' | ')).toBeLessThanOrEqual(atKill.owned);
    expect(took.killToTakeoverMs).toBeLessThanOrEqual(2 * HEARTBEAT_TIMEOUT_S * 1000);
    const survivors = new Set((await listNodes()).map((n) => n.conductor));
    expect(survivors).toEqual(new Set(CONDUCTORS.filter((c) => c !== VICTIM)));
    const takeovers = [...conductors.values()].filter((c) => c.name !== VICTIM).flatMap((c) => c.warnings);
    expect(takeovers).toContain('took over the nodes of dead conductors');
  });

  it('never had a BMC serve two commands at once: no node was worked by two conductors', () => {
    const overlapping = sim.fleet.hosts.filter((h) => h.maxInFlight > 1).map((h) => `${h.name}: ${h.maxInFlight}`);
    expect(overlapping).toEqual([]);
    expect(sim.fleet.hosts.filter((h) => h.history.length === 0).map((h) => h.name)).toEqual([]);
  });

  it('leaves no node in a transitional state, and a retry brings every node stopped by the kill to available', async () => {
    const retries: Record<string, readonly string[]> = {
      enroll: ['manage', 'provide'],
      'clean failed': ['manage', 'provide'],
      manageable: ['provide'],
      'wait call-back': ['deleted'],
      'deploy failed': ['deleted'],
      error: ['deleted'],
    };
    const listing = await listNodes();
    expect(listing.filter((n) => !atRest(n))).toEqual([]);
    const stopped = listing.filter((n) => n.provision_state !== 'available' || n.last_error !== null);
    expect(stopped.filter((n) => retries[n.provision_state] === undefined)).toEqual([]);
    await inParallel(stopped, CLIENT_CONCURRENCY, async (n) => {
      for (const target of retries[n.provision_state]!) {
        const res = await request('PUT', `/v1/nodes/${n.uuid}/states/provision`, { target });
        expect(res.status, res.text).toBe(202);
        const deadline = Date.now() + 20_000;
        for (;;) {
          const node = (await request('GET', `/v1/nodes/${n.uuid}`)).body as Listed;
          if (atRest(node)) break;
          if (Date.now() > deadline)
            throw new Error(`retry ${target} of ${n.name} did not end within 20 s: ${JSON.stringify(node)}`);
          await sleep(100);
        }
      }
    });
    const after = await listNodes();
    expect(
      after.filter((n) => n.provision_state !== 'available' || n.last_error !== null || n.reservation !== null),
    ).toEqual([]);
    expect(after).toHaveLength(HOSTS);
  });

  it(`gives each of the ${HOSTS} nodes to exactly one of ${ALLOCATIONS} racing allocations, and fails the rest`, async () => {
    const results: { status: number; body: any; text: string }[] = [];
    await inParallel(
      Array.from({ length: ALLOCATIONS }, (_, i) => i),
      64,
      async (i) => {
        results.push(await request('POST', '/v1/allocations', { resource_class: RESOURCE_CLASS, name: `race-${i}` }));
      },
    );
    expect(results.filter((r) => r.status !== 201).map((r) => r.text)).toEqual([]);
    // The API answers `allocating`; the conductors, each taking the allocations it owns on the ring, finish them.
    const deadline = Date.now() + 60_000;
    while ((await request('GET', '/v1/allocations?state=allocating&limit=1')).body.allocations.length > 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(200);
    }
    const all = (await request('GET', `/v1/allocations?resource_class=${RESOURCE_CLASS}&limit=${ALLOCATIONS}`)).body
      .allocations as { uuid: string; state: string; node_uuid: string | null; last_error: string | null }[];
    expect(all).toHaveLength(ALLOCATIONS);
    const active = all.filter((a) => a.state === 'active');
    const failed = all.filter((a) => a.state === 'error');
    expect(active).toHaveLength(HOSTS);
    expect(failed).toHaveLength(ALLOCATIONS - HOSTS);
    for (const a of failed)
      expect(a.last_error).toBe(
        `Failed to process allocation ${a.uuid}: no available nodes match the resource class ${RESOURCE_CLASS}.`,
      );
    const byNode = new Map(active.map((a) => [a.node_uuid!, a.uuid]));
    expect(byNode.size).toBe(HOSTS);
    const fields = 'uuid,allocation_uuid,instance_uuid';
    const listed = (await request('GET', `/v1/nodes?fields=${fields}&limit=${HOSTS}`)).body.nodes as {
      uuid: string;
      allocation_uuid: string;
      instance_uuid: string;
    }[];
    for (const n of listed) {
      expect(n.allocation_uuid).toBe(byNode.get(n.uuid));
      expect(n.instance_uuid).toBe(n.allocation_uuid);
    }
  });
});
