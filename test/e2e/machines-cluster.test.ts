// Issue 15 at cluster size, on one rig of ten sim hosts that network-boot
// (Redfish and IPMI alternating, two failure domains each holding both):
// a cluster of three control-plane machines spread over the domains asked
// and five workers; workers scaled down and back up with node_reuse onto
// the very hosts they gave back; two clients racing for twelve machines
// over ten hosts. A change-feed consumer started before the first machine
// rebuilds every machine and node from the feed alone and agrees with the
// final listings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/service.js';
import { FeedConsumer, type FeedObject } from './feed-consumer.js';
import { createPool, enrollForDeploy, osRunning, startProvisionRig, type ProvisionRig } from './provision-rig.js';
import { machineBody } from './machine-body.js';
import { drive } from './sim-nodes.js';

type Body = Record<string, any>;

/** A Kubernetes topology key rather than the default, so the setting is what decides the domain. */
const DOMAIN_LABEL = 'topology.kubernetes.io/zone';
const MACHINE_POOL = 'cluster-net';
const MACHINE_SUBNET = '127.162.0.';
/** What a machine that finds no host says (services/machines/host-choice.ts). */
const NO_HOST = 'no available host matches the selector';
/** Polls of many machines every 20 ms would take the cores the hosts boot on. */
const POLL_MS = 200;

interface Host {
  uuid: string;
  name: string;
  protocol: 'redfish' | 'ipmi';
  domain: string;
}

let rig: ProvisionRig;
let feed: FeedConsumer;
const hosts: Host[] = [];

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 10, seed: 161, env: { ANVIL_FAILURE_DOMAIN_LABEL: DOMAIN_LABEL } });
  // From the oldest record, before the first host is enrolled: every node and machine is in what it reads.
  feed = FeedConsumer.start(rig.svc.url, { limit: 50, waitSeconds: 30 });
  await createPool(rig.svc, 'cluster-prov', '127.161.0.0');
  await createPool(rig.svc, MACHINE_POOL, `${MACHINE_SUBNET}0`);
  await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const protocol = i % 2 === 0 ? 'redfish' : 'ipmi';
      const domain = i < 5 ? 'a' : 'b';
      const { uuid, host } = await enrollForDeploy(rig, i, protocol, 'cluster-prov', {
        extra: { rack: 'r1', [DOMAIN_LABEL]: domain },
      });
      await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
      await drive(rig.svc, uuid, { target: 'provide' }, 'available', 90_000);
      hosts[i] = { uuid, name: host.name, protocol, domain };
    }),
  );
  for (const domain of ['a', 'b']) {
    expect(new Set(hosts.filter((h) => h.domain === domain).map((h) => h.protocol))).toEqual(
      new Set(['redfish', 'ipmi']),
    );
  }
}, 180_000);

afterAll(async () => {
  await feed?.stop();
  await rig?.close();
});

function machine(name: string, spec: Body = {}): Body {
  return machineBody(name, rig.image, MACHINE_POOL, spec);
}

async function create(body: Body): Promise<void> {
  const res = await rig.svc.request('POST', '/v1/anvil/machines', body);
  expect(res.status, res.text).toBe(201);
}

async function get(name: string): Promise<Body> {
  const res = await rig.svc.request('GET', `/v1/anvil/machines/${name}`);
  expect(res.status, res.text).toBe(200);
  return res.body as Body;
}

/** Waits until the machine is in `phase` (or failed, which is reported at once). */
async function inPhase(name: string, phase: string, ms: number): Promise<Body> {
  const res = await eventually(
    () => rig.svc.request('GET', `/v1/anvil/machines/${name}`),
    (r) => r.status === 200 && (r.body.status.phase === phase || r.body.status.phase === 'failed'),
    ms,
    POLL_MS,
  );
  expect(res.body.status.phase, `${name}: ${JSON.stringify(res.body.status)}`).toBe(phase);
  return res.body as Body;
}

/** Deletes the machines and waits until each is gone: its host undeployed, cleaned and given back. */
async function deleteAll(names: string[], ms: number): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      const res = await rig.svc.request('DELETE', `/v1/anvil/machines/${name}`);
      expect(res.status, res.text).toBe(202);
      await eventually(
        () => rig.svc.request('GET', `/v1/anvil/machines/${name}`),
        (r) => r.status === 404,
        ms,
        POLL_MS,
      );
    }),
  );
}

async function listMachines(): Promise<Body[]> {
  const res = await rig.svc.request('GET', '/v1/anvil/machines');
  expect(res.status, res.text).toBe(200);
  return res.body.machines as Body[];
}

/** The addresses IPAM holds in the machines' pool for a host. */
async function heldAddresses(nodeUuid: string): Promise<string[]> {
  const res = await rig.svc.request('GET', `/v1/ipam/addresses?owner=node:${nodeUuid}&pool=${MACHINE_POOL}`);
  expect(res.status, res.text).toBe(200);
  return (res.body.addresses as Body[]).map((a) => a.address as string);
}

const hostOf = (m: Body): Host => {
  const host = hosts.find((h) => h.uuid === m.status.node_uuid);
  expect(host, `${m.name as string} is on no host of the rig`).toBeDefined();
  return host!;
};

const internalIp = (m: Body): string => {
  const ip = (m.status.addresses as Body[]).find(
    (a) => a.type === 'InternalIP' && a.address.startsWith(MACHINE_SUBNET),
  );
  expect(ip, `${m.name as string}: ${JSON.stringify(m.status.addresses)}`).toBeDefined();
  return ip!.address as string;
};

/**
 * What a provisioned machine must be: its provider ID, an address from the
 * machines' pool and its hostname; held by its host, whose installed OS
 * found the machine's hostname, user data and address on its config drive.
 */
async function expectServing(m: Body, osBootedBefore: string | null = null): Promise<void> {
  expect(m.status).toMatchObject({ phase: 'provisioned', ready: true, provider_id: `anvil://${m.status.node_uuid}` });
  const ip = internalIp(m);
  expect(m.status.addresses).toContainEqual({ type: 'Hostname', address: m.name });
  const host = hostOf(m);
  const node = (await rig.svc.request('GET', `/v1/nodes/${host.uuid}`)).body as Body;
  expect(node).toMatchObject({ provision_state: 'active', instance_uuid: m.uuid });
  expect(await heldAddresses(host.uuid)).toEqual([ip]);
  const seen = await osRunning(rig, host.name, osBootedBefore);
  expect(seen.disk?.sha256).toBe(rig.image.sha256);
  expect(seen.os?.hostname).toBe(m.name);
  expect(seen.os?.userData).toBe(`#cloud-config\nhostname: ${m.name as string}\n`);
  expect(seen.os?.addresses.map((a) => a.address)).toContain(ip);
}

async function newestCursor(): Promise<string> {
  const res = await rig.svc.request('GET', '/v1/anvil/events?since=now');
  expect(res.status, res.text).toBe(200);
  return res.body.cursor as string;
}

const pick = (record: Body, fields: readonly string[]) => Object.fromEntries(fields.map((f) => [f, record[f]]));
const MACHINE_FIELDS = [
  'phase',
  'deleting',
  'node_uuid',
  'provider_id',
  'ready',
  'addresses',
  'failure_reason',
  'failure_message',
];
const NODE_FIELDS = [
  'name',
  'provision_state',
  'target_provision_state',
  'power_state',
  'target_power_state',
  'maintenance',
  'maintenance_reason',
  'fault',
  'last_error',
  'instance_uuid',
  'allocation_uuid',
];

/**
 * The feed consumer's machines and nodes against the listings, taken while
 * the feed stood still: the newest cursor is read before and after the
 * listings, and the comparison made only when nothing committed between.
 */
async function expectFeedAgrees(): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const head = await newestCursor();
    await feed.caughtUp(head, 30_000);
    const machines = await listMachines();
    const nodes = (await rig.svc.request('GET', '/v1/nodes/detail')).body.nodes as Body[];
    if ((await newestCursor()) !== head) continue;

    const rebuilt = (objects: Map<string, FeedObject>) => [...objects.keys()].sort();
    expect(rebuilt(feed.machines)).toEqual(machines.map((m) => m.uuid as string).sort());
    for (const m of machines) {
      const fromFeed = feed.machines.get(m.uuid as string)!;
      expect(pick(fromFeed, [...MACHINE_FIELDS, 'name']), m.name as string).toEqual(
        pick({ ...m.status, name: m.name }, [...MACHINE_FIELDS, 'name']),
      );
    }
    expect(rebuilt(feed.nodes)).toEqual(nodes.map((n) => n.uuid as string).sort());
    for (const n of nodes) {
      expect(pick(feed.nodes.get(n.uuid as string)!, NODE_FIELDS), n.name as string).toEqual(pick(n, NODE_FIELDS));
    }
    expect(feed.contradictions).toEqual([]);
    const cursors = feed.cursors.map(Number);
    expect(cursors.findIndex((c, i) => i > 0 && c <= cursors[i - 1]!)).toBe(-1);
    expect(new Set(cursors).size).toBe(cursors.length);
    return;
  }
  throw new Error('the feed never stood still long enough to compare it with the listings');
}

describe('a Cluster API cluster on ten network-booting sim hosts', () => {
  const controlPlane = [
    { name: 'cp-0', domain: 'a' },
    { name: 'cp-1', domain: 'b' },
    { name: 'cp-2', domain: 'a' },
  ];
  const workers = ['worker-0', 'worker-1', 'worker-2', 'worker-3', 'worker-4'];

  it('provisions 3 control-plane machines in the failure domains asked and 5 workers, each on a host of its own that boots its name, user data and address', async () => {
    await Promise.all([
      ...controlPlane.map((cp) => create(machine(cp.name, { role: 'control-plane', failure_domain: cp.domain }))),
      ...workers.map((w) => create(machine(w))),
    ]);
    const names = [...controlPlane.map((cp) => cp.name), ...workers];
    const provisioned = await Promise.all(names.map((n) => inPhase(n, 'provisioned', 180_000)));

    expect(new Set(provisioned.map((m) => m.status.node_uuid)).size).toBe(8);
    for (const cp of controlPlane) {
      expect(hostOf(provisioned.find((m) => m.name === cp.name)!).domain, cp.name).toBe(cp.domain);
    }
    await Promise.all(provisioned.map((m) => expectServing(m)));
    expect(new Set(provisioned.map(internalIp)).size).toBe(8);
    await expectFeedAgrees();
  }, 240_000);

  it('scales workers down by 2 and up by 2 with node_reuse: the new workers take the hosts the old ones gave back, not the never-used ones, and their addresses are released and claimed again', async () => {
    const leaving = await Promise.all(['worker-3', 'worker-4'].map(get));
    const freed = leaving.map((m) => m.status.node_uuid as string);
    const bootedBefore = await Promise.all(
      leaving.map(async (m) => (await osRunning(rig, hostOf(m).name)).os!.bootedAt),
    );
    const inUse = new Set((await listMachines()).map((m) => m.status.node_uuid as string));
    const neverUsed = hosts.filter((h) => !inUse.has(h.uuid)).map((h) => h.uuid);
    expect(neverUsed).toHaveLength(2);

    await deleteAll(['worker-3', 'worker-4'], 120_000);
    for (const uuid of freed) {
      const node = (await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body as Body;
      expect(node).toMatchObject({ provision_state: 'available', instance_uuid: null });
      expect(node.extra).toMatchObject({ 'anvil.last_cluster': 'prod', 'anvil.last_role': 'worker' });
      expect(await heldAddresses(uuid)).toEqual([]);
    }

    await Promise.all(['worker-5', 'worker-6'].map((n) => create(machine(n, { node_reuse: true }))));
    const back = await Promise.all(['worker-5', 'worker-6'].map((n) => inPhase(n, 'provisioned', 120_000)));
    expect(new Set(back.map((m) => m.status.node_uuid))).toEqual(new Set(freed));
    await Promise.all(back.map((m) => expectServing(m, bootedBefore[freed.indexOf(m.status.node_uuid as string)])));
    for (const uuid of neverUsed) {
      expect((await rig.svc.request('GET', `/v1/nodes/${uuid}`)).body).toMatchObject({
        provision_state: 'available',
        instance_uuid: null,
      });
    }
  }, 240_000);

  it('gives 10 of 12 machines created by two racing clients a host each, never one host twice; the other 2 wait with the reason until a delete frees a host', async () => {
    await deleteAll(
      (await listMachines()).map((m) => m.name as string),
      150_000,
    );
    const names = Array.from({ length: 12 }, (_, i) => `race-${i}`);
    const client = async (mine: string[]) => {
      for (const name of mine) await create(machine(name));
    };
    await Promise.all([client(names.slice(0, 6)), client(names.slice(6))]);

    const settled = await eventually(
      listMachines,
      (ms) =>
        ms.some((m) => m.status.phase === 'failed') ||
        (ms.filter((m) => m.status.phase === 'provisioned').length === 10 &&
          ms.filter((m) => m.status.phase === 'pending' && m.status.failure_message === NO_HOST).length === 2),
      180_000,
      500,
    );
    const provisioned = settled.filter((m) => m.status.phase === 'provisioned');
    const waiting = settled.filter((m) => m.status.phase !== 'provisioned');
    expect(provisioned, JSON.stringify(waiting.map((m) => [m.name, m.status]))).toHaveLength(10);
    expect(new Set(provisioned.map((m) => m.status.node_uuid))).toEqual(new Set(hosts.map((h) => h.uuid)));
    for (const m of waiting) {
      expect(m.status).toMatchObject({ phase: 'pending', node_uuid: null, failure_message: NO_HOST });
    }
    await Promise.all(provisioned.map((m) => expectServing(m)));

    const [gone] = provisioned;
    const freedHost = gone!.status.node_uuid as string;
    const osBefore = (await osRunning(rig, hostOf(gone!).name)).os!.bootedAt;
    await deleteAll([gone!.name as string], 120_000);
    // Settled: the freed host's new machine is up, and the one left waiting (which may have raced for the host) says why again.
    const waitingNames = waiting.map((m) => m.name as string);
    const fulfilledIn = (ms: Body[]) => ms.find((m) => m.status.node_uuid === freedHost);
    const leftIn = (ms: Body[]) => ms.filter((m) => waitingNames.includes(m.name) && m !== fulfilledIn(ms));
    const after = await eventually(
      listMachines,
      (ms) =>
        ['provisioned', 'failed'].includes(fulfilledIn(ms)?.status.phase) &&
        leftIn(ms).every((m) => m.status.phase === 'failed' || m.status.failure_message === NO_HOST),
      120_000,
      500,
    );
    const fulfilled = fulfilledIn(after)!;
    expect(waitingNames).toContain(fulfilled.name);
    await expectServing(fulfilled, osBefore);
    const left = leftIn(after);
    expect(left).toHaveLength(1);
    expect(left[0]!.status).toMatchObject({ phase: 'pending', node_uuid: null, failure_message: NO_HOST });
    expect(after.filter((m) => m.status.phase === 'provisioned')).toHaveLength(10);
  }, 360_000);

  it('rebuilt every machine and node from the change feed alone, in cursor order, agreeing with the final listings', async () => {
    await expectFeedAgrees();
    // 8 + 2 + 12 machines created; 2 workers, the 8 of the cluster, then 1 racer deleted.
    expect(feed.counts.get('machine.created')).toBe(22);
    expect(feed.counts.get('machine.deleted')).toBe(11);
    expect(feed.counts.get('node.created')).toBe(10);
    expect(feed.machines.size).toBe(11);
  }, 60_000);
});
