import { enrollmentFromBmc } from '../bmc-address.js';
import { runBatch } from '../batch.js';
import { enrollNode } from '../enrollment.js';
import { ApiError, CliError, DemoFailed } from '../errors.js';
import type { AnvilClient } from '../http-client.js';
import { FAILED_STATES } from '../node-goals.js';
import { nodePath, type NodeRecord } from '../node-record.js';
import { sleep } from '../wait.js';

/** What the demo needs of an anvil-sim manifest host. */
interface ManifestHost {
  name: string;
  redfish: { address: string; username: string; password: string };
  ipmi: { address: string; username: string; password: string };
  macs: string[];
}

/** One host as the live view shows it. */
export interface DemoHost {
  name: string;
  uuid: string;
  bmc: 'redfish' | 'ipmi';
  address: string | null;
  node: NodeRecord | null;
  /** Set once the host is active, or has failed with the reason. */
  outcome: { kind: 'active' } | { kind: 'failed'; reason: string } | null;
  /** Verbs already asked, so a node that comes back where it was is reported, not asked again forever. */
  asked: Set<Verb>;
  /** Requests for this host answered 409 or 503 (busy), each asked again; past MAX_BUSY the host fails. */
  busyAnswers: number;
}

type Verb = 'manage' | 'inspect' | 'provide' | 'deploy';

export const DEMO_POOL = 'demo';

/** Fields the live view and the driver read; a fields list reads only these columns. */
const FIELDS = [
  'uuid',
  'name',
  'provision_state',
  'target_provision_state',
  'power_state',
  'target_power_state',
  'reservation',
  'last_error',
  'clean_step',
  'deploy_step',
  'inspection_finished_at',
].join(',');

/**
 * Enrolls the sim's hosts as an operator would, from its manifest: even
 * hosts through their Redfish BMC, odd ones through IPMI; their ports from
 * the manifest's MACs; an address each from an IPAM pool.
 */
export async function enrollFleet(client: AnvilClient, manifest: unknown, signal: AbortSignal): Promise<DemoHost[]> {
  const hosts = manifestHosts(manifest);
  await client.post('/v1/ipam/pools', {
    name: DEMO_POOL,
    prefix: 24,
    // TEST-NET-1 (RFC 5737): addresses for the config drive's network data, never used on a wire.
    gateway: '192.0.2.1',
    dns_servers: ['192.0.2.2'],
    ranges: [{ start: '192.0.2.10', end: '192.0.2.250' }],
  });
  const enrolled: (DemoHost | undefined)[] = [];
  const outcomes = await runBatch(
    hosts.map((_, index) => String(index)),
    8,
    signal,
    async (item) => {
      const index = Number(item);
      const host = hosts[index]!;
      const name = host.name;
      const bmc = index % 2 === 0 ? 'redfish' : 'ipmi';
      const { driver, driverInfo } = enrollmentFromBmc(host[bmc].address, host[bmc].username, host[bmc].password);
      const outcome = await enrollNode(client, {
        line: 0,
        name,
        body: { name, driver, driver_info: driverInfo, automated_clean: true },
        macs: host.macs,
      });
      if (outcome.status !== 'ok') throw new DemoFailed(`enrolling ${name}: ${outcome.detail}`);
      const uuid = (outcome.node as NodeRecord).uuid;
      const claim = await client.put<{ addresses: { family: string; address: string }[] }>(
        `/v1/anvil/nodes/${uuid}/addresses`,
        { pools: [DEMO_POOL] },
      );
      const address = claim.addresses.find((a) => a.family === 'ipv4')?.address ?? null;
      enrolled[index] = { name, uuid, bmc, address, node: null, outcome: null, asked: new Set(), busyAnswers: 0 };
      return outcome;
    },
  );
  return enrolled.filter((host, i): host is DemoHost => host !== undefined && outcomes[i]?.status === 'ok');
}

function manifestHosts(manifest: unknown): ManifestHost[] {
  const hosts = (manifest as { hosts?: unknown } | null)?.hosts;
  if (!Array.isArray(hosts)) throw new DemoFailed('anvil-sim wrote a manifest without hosts');
  return hosts as ManifestHost[];
}

const POLL_MS = 500;
/** About a minute of busy answers at one request per read. */
const MAX_BUSY = 120;

export interface DriveOptions {
  client: AnvilClient;
  hosts: DemoHost[];
  /** The image every host is deployed with, as the HTTP boot server serves it. */
  image: { url: string; sha256: string };
  signal: AbortSignal;
  /** After each read of the fleet. */
  onRead: () => void;
}

/**
 * Takes every host enroll → manageable (Redfish inspected out of band, IPMI
 * by the agent) → available (cleaned by the agent) → active (the image
 * written by the agent): reads the fleet, asks each resting node for its
 * next step, until every host is active or has failed, or the signal aborts.
 */
export async function driveFleet(options: DriveOptions): Promise<void> {
  const { client, hosts, signal } = options;
  const byUuid = new Map(hosts.map((h) => [h.uuid, h]));
  while (!signal.aborted && hosts.some((h) => h.outcome === null)) {
    const nodes = await client.listAll<NodeRecord>(`/v1/nodes?fields=${FIELDS}&limit=1000`, 'nodes');
    const moves: Promise<void>[] = [];
    for (const node of nodes) {
      const host = byUuid.get(node.uuid);
      if (host === undefined || host.outcome !== null) continue;
      host.node = node;
      const verb = nextVerb(host, node);
      if (verb === null) continue;
      host.asked.add(verb);
      moves.push(ask(client, host, verb, options.image));
    }
    await Promise.all(moves);
    options.onRead();
    await sleep(POLL_MS, signal);
  }
}

/** The verb a node resting in its state needs next; null while it works, or once it is done or failed. */
function nextVerb(host: DemoHost, node: NodeRecord): Verb | null {
  if (FAILED_STATES.has(node.provision_state)) {
    host.outcome = { kind: 'failed', reason: `${node.provision_state}: ${node.last_error ?? 'no reason given'}` };
    return null;
  }
  if (node.target_provision_state !== null || node.reservation !== null) return null;
  if (node.provision_state === 'active') {
    host.outcome = { kind: 'active' };
    return null;
  }
  const verb = verbFor(node);
  if (verb === null) return null;
  if (host.asked.has(verb)) {
    // Asked before and back where it was: the step failed without a failure state (a failed verify does that).
    host.outcome = { kind: 'failed', reason: `stopped in ${node.provision_state}: ${node.last_error ?? 'no reason'}` };
    return null;
  }
  return verb;
}

function verbFor(node: NodeRecord): Verb | null {
  switch (node.provision_state) {
    case 'enroll':
      return 'manage';
    case 'manageable':
      return node.inspection_finished_at === null ? 'inspect' : 'provide';
    case 'available':
      return 'deploy';
    default:
      return null;
  }
}

async function ask(client: AnvilClient, host: DemoHost, verb: Verb, image: DriveOptions['image']): Promise<void> {
  const path = `${nodePath(host.uuid)}/states/provision`;
  try {
    if (verb !== 'deploy') {
      await client.put(path, { target: verb });
      return;
    }
    await client.patch(nodePath(host.uuid), [
      { op: 'add', path: '/instance_info/image_source', value: image.url },
      { op: 'add', path: '/instance_info/image_os_hash_algo', value: 'sha256' },
      { op: 'add', path: '/instance_info/image_os_hash_value', value: image.sha256 },
      { op: 'add', path: '/instance_info/image_disk_format', value: 'raw' },
    ]);
    await client.put(path, {
      target: 'active',
      configdrive: {
        meta_data: { hostname: host.name },
        user_data: `#cloud-config\nhostname: ${host.name}\n`,
      },
    });
  } catch (err) {
    // Busy (the node locked, every conductor worker taken): asked again on the next read, as a client retries.
    if (err instanceof ApiError && (err.status === 409 || err.status === 503) && ++host.busyAnswers <= MAX_BUSY) {
      host.asked.delete(verb);
      return;
    }
    if (!(err instanceof CliError)) throw err;
    host.outcome = { kind: 'failed', reason: `${verb}: ${err.message}` };
  }
}
