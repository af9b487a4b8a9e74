// Issue 15's proof under SIGKILL: Cluster API machines on network-booting
// sim hosts while Anvil's processes die mid-way. On SQLite the one
// `anvil serve` is killed mid-deploy and again mid-deprovision, and started
// again on the same data directory and ports; on PostgreSQL one conductor of
// two is killed mid-deploy and the other takes its work over. Every machine
// ends where it should, on a host of its own, and a change-feed follower
// that reconnects from its last cursor through the kills rebuilds exactly
// what the listings show: the feed has no gap and no repeat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../support/engines.js';
import { createPool, enrollForDeploy, osRunning } from './provision-rig.js';
import { startProcessProvisionRig, type ProcessProvisionRig, type ProcessSpec } from './process-provision-rig.js';
import { machineBody } from './machine-body.js';
import { drive } from './sim-nodes.js';

type Body = Record<string, any>;

const HOSTS = 6;
const PROVISIONING_POOL = 'kill-prov';
const MACHINE_POOL = 'kill-net';
/**
 * Where a deploy waits on its host: the host network-boots the agent from
 * Anvil, or the agent writes the image and calls back. The kills fall
 * there, where the host, its agent and Anvil all hold part of the state.
 */
const MID_DEPLOY = ['wait call-back'];
/** Where an undeploy is under way: the conductor cleaning, or the host booting its cleaning agent. */
const MID_UNDEPLOY = ['cleaning', 'clean wait'];
/** Polls of a whole fleet every 20 ms would take the cores the hosts boot on. */
const POLL_MS = 100;
const HEARTBEAT_TIMEOUT_S = 4;
/**
 * A host whose network boot was under way when Anvil died (a TFTP transfer
 * goes with the process that served it) falls through to its empty disk and
 * never runs its agent; Anvil, as Ironic, ends that wait only at the
 * callback timeout: short here, where agents call back within a second.
 */
const CALLBACK_TIMEOUTS = { ANVIL_DEPLOY_CALLBACK_TIMEOUT: '15', ANVIL_CLEAN_CALLBACK_TIMEOUT: '15' };
/** How long machines may take to settle after a kill: a minute, where they take seconds. */
const SETTLE_MS = 60_000;

const postgresUp = await postgresAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FeedEvent {
  cursor: string;
  kind: string;
  action: 'created' | 'updated' | 'deleted';
  uuid: string;
  data: { uuid: string } & Body;
}

/**
 * A controller following the change feed across Anvil's deaths: it
 * long-polls from its last cursor and, when a poll fails (the process it
 * talks to was killed, or is not up yet), asks again from the same cursor.
 * Each record is checked against those before it; a 410 (the feed no longer
 * holds the cursor) is a gap and stops it.
 */
class ResumingFeedFollower {
  readonly machines = new Map<string, Body>();
  readonly nodes = new Map<string, Body>();
  readonly cursors: number[] = [];
  /** Records that contradict the ones before: out of order, repeated, or about an object never created. */
  readonly contradictions: string[] = [];
  /** Polls that failed, each asked again from the same cursor. */
  readonly interruptions: string[] = [];
  /** Moments, as the feed tells them, when two machines held one host. */
  readonly sharedHosts: string[] = [];
  private position: string | null = null;
  private gap: Error | null = null;
  private readonly stopping = new AbortController();
  private readonly running: Promise<void>;

  constructor(private readonly baseUrl: string) {
    this.running = this.follow();
  }

  /** Resolves once the follower has read every record up to `cursor`. */
  async caughtUp(cursor: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.position === null || Number(this.position) < Number(cursor)) {
      if (this.gap) throw this.gap;
      if (Date.now() > deadline)
        throw new Error(`the follower did not reach cursor ${cursor} within ${ms} ms (at ${this.position})`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    if (this.gap) throw this.gap;
  }

  private async follow(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const query = new URLSearchParams({ limit: '50', wait: '5' });
      if (this.position !== null) query.set('since', this.position);
      let page: { events: FeedEvent[]; cursor: string };
      try {
        const res = await fetch(`${this.baseUrl}/v1/anvil/events?${query.toString()}`, { signal });
        const text = await res.text();
        if (res.status === 410) {
          this.gap = new Error(`the feed no longer holds cursor ${this.position}: ${text}`);
          return;
        }
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}`);
        page = JSON.parse(text) as typeof page;
      } catch (err) {
        if (signal.aborted) return;
        this.interruptions.push(`after cursor ${this.position}: ${(err as Error).message}`);
        await sleep(200);
        continue;
      }
      for (const event of page.events) this.apply(event);
      this.position = page.cursor;
    }
  }

  private apply(event: FeedEvent): void {
    const cursor = Number(event.cursor);
    const what = `${event.kind} ${event.uuid} ${event.action} at cursor ${event.cursor}`;
    const last = this.cursors.at(-1);
    if (last !== undefined && cursor <= last) this.contradictions.push(`${what}: not after cursor ${last}`);
    this.cursors.push(cursor);
    const objects = event.kind === 'machine' ? this.machines : event.kind === 'node' ? this.nodes : null;
    if (objects === null) return;
    const known = objects.has(event.uuid);
    if (event.action === 'created' && known) this.contradictions.push(`${what}: already created`);
    if (event.action !== 'created' && !known) this.contradictions.push(`${what}: never created`);
    if (event.action === 'deleted') objects.delete(event.uuid);
    else objects.set(event.uuid, event.data);
    const host = event.kind === 'machine' && event.action !== 'deleted' ? event.data.node_uuid : null;
    const other = [...this.machines.values()].find((m) => m.uuid !== event.uuid && m.node_uuid === host);
    if (host !== null && other) this.sharedHosts.push(`${what}: host ${host} is also ${other.name}'s`);
  }
}

interface Host {
  uuid: string;
  name: string;
  protocol: 'redfish' | 'ipmi';
}

interface Listed {
  uuid: string;
  name: string;
  provision_state: string;
  instance_uuid: string | null;
  reservation: string | null;
  conductor: string | null;
  last_error: string | null;
}

/** One rig's machines and the REST calls on them; each describe below drives one. */
class MachineFleet {
  readonly hosts: Host[] = [];
  feed!: ResumingFeedFollower;

  constructor(readonly rig: ProcessProvisionRig) {}

  /** The follower first, from the oldest record: every node and machine is in what it reads. */
  async prepare(subnet: number): Promise<void> {
    const { rig } = this;
    this.feed = new ResumingFeedFollower(rig.svc.url);
    await createPool(rig.svc, PROVISIONING_POOL, `127.${subnet}.0.0`);
    await createPool(rig.svc, MACHINE_POOL, `127.${subnet + 1}.0.0`);
    await Promise.all(
      Array.from({ length: HOSTS }, async (_, i) => {
        const protocol = i % 2 === 0 ? 'redfish' : 'ipmi';
        // No cleaning on the way into the pool (the machines' deletes clean): the hosts are ready at once.
        const { uuid, host } = await enrollForDeploy(rig, i, protocol, PROVISIONING_POOL, {
          automated_clean: false,
          extra: { rack: 'r1' },
        });
        await drive(rig.svc, uuid, { target: 'manage' }, 'manageable');
        await drive(rig.svc, uuid, { target: 'provide' }, 'available');
        this.hosts[i] = { uuid, name: host.name, protocol };
      }),
    );
  }

  body(name: string): Body {
    return machineBody(name, this.rig.image, MACHINE_POOL);
  }

  async create(name: string): Promise<void> {
    const res = await this.rig.svc.request('POST', '/v1/anvil/machines', this.body(name));
    expect(res.status, res.text).toBe(201);
  }

  async machines(): Promise<Body[]> {
    const res = await this.rig.svc.request('GET', '/v1/anvil/machines');
    expect(res.status, res.text).toBe(200);
    return res.body.machines as Body[];
  }

  async nodes(): Promise<Listed[]> {
    const fields = 'uuid,name,provision_state,instance_uuid,reservation,conductor,last_error';
    const res = await this.rig.svc.request('GET', `/v1/nodes?fields=${fields}`);
    expect(res.status, res.text).toBe(200);
    return res.body.nodes as Listed[];
  }

  /** Polls machines and nodes until `ready` answers something; a timeout shows both. */
  async until<T>(
    what: string,
    ms: number,
    ready: (machines: Body[], nodes: Listed[]) => T | null | Promise<T | null>,
  ): Promise<{ value: T; machines: Body[]; nodes: Listed[] }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const [machines, nodes] = [await this.machines(), await this.nodes()];
      const value = await ready(machines, nodes);
      if (value !== null) return { value, machines, nodes };
      if (Date.now() > deadline)
        throw new Error(
          `${what}: not within ${ms} ms\nmachines: ${JSON.stringify(machines.map((m) => [m.name, m.status.phase, m.status.node_uuid, m.status.failure_reason, m.status.failure_message]))}\nnodes: ${JSON.stringify(nodes)}`,
        );
      await sleep(POLL_MS);
    }
  }

  /**
   * Waits until every machine has settled, provisioned or failed. A failed
   * machine is terminal (docs/cluster-api.md §5); what a Cluster API
   * controller does with one is Anvil's retry path: delete it and create it
   * again. Only a deploy the kill broke may fail (its host booted while
   * Anvil was down, and the callback timeout failed it), and each is
   * retried once.
   */
  async allProvisioned(names: readonly string[], ms: number): Promise<{ retried: string[] }> {
    const settled = await this.until('every machine provisioned or failed', ms, (machines) =>
      names.every((n) => ['provisioned', 'failed'].includes(machines.find((m) => m.name === n)?.status.phase))
        ? true
        : null,
    );
    const failed = settled.machines.filter((m) => names.includes(m.name) && m.status.phase === 'failed');
    for (const m of failed)
      expect(m.status.failure_reason, `${m.name}: ${m.status.failure_message}`).toBe('DeployFailed');
    await Promise.all(
      failed.map(async (m) => {
        expect((await this.rig.svc.request('DELETE', `/v1/anvil/machines/${m.name}`)).status).toBe(202);
        await this.until(`${m.name} deleted for its retry`, ms, (machines) =>
          machines.some((x) => x.name === m.name) ? null : true,
        );
        await this.create(m.name as string);
      }),
    );
    await this.until('every machine provisioned', ms, (machines) => {
      const ours = machines.filter((m) => names.includes(m.name));
      const broken = ours.find((m) => m.status.phase === 'failed');
      if (broken) throw new Error(`${broken.name} failed again: ${JSON.stringify(broken.status)}`);
      return ours.length === names.length && ours.every((m) => m.status.phase === 'provisioned') ? true : null;
    });
    return { retried: failed.map((m) => `${m.name as string} (${m.status.failure_message as string})`) };
  }

  /**
   * Waits until the machines are gone. A host whose cleaning agent never
   * came (it booted while Anvil was down) fails its clean at the callback
   * timeout, and its machine says HostStuck until an operator returns the
   * host (docs/cluster-api.md §5): manage, then provide, which cleans it
   * again. Each host is returned so at most once.
   */
  async allGone(names: readonly string[], ms: number): Promise<{ returned: string[] }> {
    const returned: string[] = [];
    await this.until(`${names.join(' and ')} gone`, ms, async (machines, nodes) => {
      const left = machines.filter((m) => names.includes(m.name));
      for (const m of left) {
        const host = nodes.find((n) => n.uuid === m.status.node_uuid);
        if (m.status.failure_reason !== 'HostStuck' || host?.provision_state !== 'clean failed') continue;
        expect(returned, `${host.name} failed its clean again: ${host.last_error}`).not.toContain(host.name);
        returned.push(host.name);
        await drive(this.rig.svc, host.uuid, { target: 'manage' }, 'manageable');
        await drive(this.rig.svc, host.uuid, { target: 'provide' }, 'available', 30_000);
      }
      return left.length === 0 ? true : null;
    });
    return { returned };
  }

  /**
   * Each machine on a host of its own, which is active for it and unlocked,
   * and whose installed OS booted the machine's name from its config drive:
   * no host was given, or deployed, for two machines.
   */
  async expectServing(names: readonly string[]): Promise<void> {
    const machines = (await this.machines()).filter((m) => names.includes(m.name));
    const nodes = await this.nodes();
    expect(new Set(machines.map((m) => m.status.node_uuid)).size).toBe(names.length);
    for (const m of machines) {
      const node = nodes.find((n) => n.uuid === m.status.node_uuid);
      expect(node, m.name).toMatchObject({ provision_state: 'active', instance_uuid: m.uuid, reservation: null });
      const host = this.hosts.find((h) => h.uuid === node!.uuid)!;
      const seen = await osRunning(this.rig, host.name);
      expect(seen.os?.hostname, host.name).toBe(m.name);
      expect(seen.disk?.sha256).toBe(this.rig.image.sha256);
    }
  }

  /**
   * The follower's machines and nodes against the listings, taken while the
   * feed stood still: the newest cursor is read before and after the
   * listings, and the comparison made only when nothing committed between.
   */
  async expectFeedAgrees(): Promise<void> {
    const newest = async () => {
      const res = await this.rig.svc.request('GET', '/v1/anvil/events?since=now');
      expect(res.status, res.text).toBe(200);
      return res.body.cursor as string;
    };
    for (let attempt = 0; attempt < 20; attempt++) {
      const head = await newest();
      await this.feed.caughtUp(head, 30_000);
      const [machines, nodes] = [await this.machines(), await this.nodes()];
      if ((await newest()) !== head) continue;
      const sorted = (uuids: Iterable<string>) => [...uuids].sort();
      expect(sorted(this.feed.machines.keys())).toEqual(sorted(machines.map((m) => m.uuid as string)));
      for (const m of machines) {
        const { phase, node_uuid, deleting, ready, failure_reason } = this.feed.machines.get(m.uuid)!;
        expect({ phase, node_uuid, deleting, ready, failure_reason }, m.name).toEqual({
          phase: m.status.phase,
          node_uuid: m.status.node_uuid,
          deleting: m.status.deleting,
          ready: m.status.ready,
          failure_reason: m.status.failure_reason,
        });
      }
      expect(sorted(this.feed.nodes.keys())).toEqual(sorted(nodes.map((n) => n.uuid)));
      for (const n of nodes) {
        const { provision_state, instance_uuid } = this.feed.nodes.get(n.uuid)!;
        expect({ provision_state, instance_uuid }, n.name).toEqual({
          provision_state: n.provision_state,
          instance_uuid: n.instance_uuid,
        });
      }
      expect(this.feed.contradictions).toEqual([]);
      expect(this.feed.sharedHosts).toEqual([]);
      expect(new Set(this.feed.cursors).size).toBe(this.feed.cursors.length);
      return;
    }
    throw new Error('the feed never stood still long enough to compare it with the listings');
  }
}

/** The hosts of machines still provisioning that are in `states`, when at least `count` are. */
function hostsIn(machines: Body[], nodes: Listed[], states: readonly string[], count: number): Listed[] | null {
  const held = machines
    .filter((m) => m.status.phase === 'provisioning')
    .map((m) => nodes.find((n) => n.uuid === m.status.node_uuid))
    .filter((n): n is Listed => n !== undefined && states.includes(n.provision_state));
  return held.length >= count ? held : null;
}

const summary = (nodes: Listed[]) => nodes.map((n) => `${n.name} ${n.provision_state}`).join(', ');
const NAMES = Array.from({ length: HOSTS }, (_, i) => `m-${i}`);

describe('machines through SIGKILLs of the one `anvil serve` on SQLite', () => {
  let fleet: MachineFleet;

  beforeAll(async () => {
    const rig = await startProcessProvisionRig({
      engine: 'sqlite',
      hosts: HOSTS,
      seed: 173,
      // The name an operator's restart keeps (the host name, by default).
      processes: [{ name: 'anvil', role: 'all', env: { ANVIL_CONDUCTOR_NAME: 'anvil-0' } }],
      env: CALLBACK_TIMEOUTS,
    });
    fleet = new MachineFleet(rig);
    await fleet.prepare(173);
  }, 90_000);

  afterAll(async () => {
    await fleet?.feed?.stop();
    await fleet?.rig.close();
  });

  it('provisions every machine, each on a host of its own, when Anvil is SIGKILLed mid-deploy and started again on the same data directory and ports', async () => {
    const startedAt = Date.now();
    await Promise.all(NAMES.map((n) => fleet.create(n)));
    const atKill = await fleet.until('two machines mid-deploy', 60_000, (machines, nodes) =>
      hostsIn(machines, nodes, MID_DEPLOY, 2),
    );
    await fleet.rig.kill('anvil');
    const killedAt = Date.now();
    await fleet.rig.restart('anvil');
    const upMs = Date.now() - killedAt;
    const { retried } = await fleet.allProvisioned(NAMES, SETTLE_MS);
    await fleet.expectServing(NAMES);
    console.info(
      `[machines-kill sqlite] killed ${killedAt - startedAt} ms after the creates with ${summary(atKill.value)}; up again in ${upMs} ms; ` +
        `all ${NAMES.length} provisioned ${Date.now() - killedAt} ms after the kill; retried: ${retried.join(', ') || 'none'}`,
    );
  });

  it('finishes deleting machines whose undeploy a SIGKILL interrupted, and gives their hosts back', async () => {
    const machines = await fleet.machines();
    // One Redfish host and one IPMI host.
    const leaving = ['redfish', 'ipmi'].map((protocol) =>
      machines.find((m) => fleet.hosts.find((h) => h.uuid === m.status.node_uuid)!.protocol === protocol)!,
    );
    const freed = leaving.map((m) => m.status.node_uuid as string);
    for (const m of leaving)
      expect((await fleet.rig.svc.request('DELETE', `/v1/anvil/machines/${m.name}`)).status).toBe(202);
    const atKill = await fleet.until('both hosts mid-undeploy', 60_000, (_, nodes) => {
      const held = nodes.filter((n) => freed.includes(n.uuid) && MID_UNDEPLOY.includes(n.provision_state));
      return held.length === freed.length ? held : null;
    });
    await fleet.rig.kill('anvil');
    const killedAt = Date.now();
    await fleet.rig.restart('anvil');
    const upMs = Date.now() - killedAt;
    const { returned } = await fleet.allGone(
      leaving.map((m) => m.name as string),
      SETTLE_MS,
    );
    const goneMs = Date.now() - killedAt;
    for (const m of leaving)
      expect((await fleet.rig.svc.request('GET', `/v1/anvil/machines/${m.name}`)).status).toBe(404);
    const nodes = await fleet.nodes();
    for (const uuid of freed) {
      expect(nodes.find((n) => n.uuid === uuid)).toMatchObject({
        provision_state: 'available',
        instance_uuid: null,
        reservation: null,
        last_error: null,
      });
      const held = await fleet.rig.svc.request('GET', `/v1/ipam/addresses?owner=node:${uuid}&pool=${MACHINE_POOL}`);
      expect(held.body.addresses).toEqual([]);
    }
    const staying = NAMES.filter((n) => !leaving.some((m) => m.name === n));
    await fleet.expectServing(staying);
    console.info(
      `[machines-kill sqlite] killed with ${summary(atKill.value)}; up again in ${upMs} ms; both machines gone ${goneMs} ms after the kill; hosts returned by an operator: ${returned.join(', ') || 'none'}`,
    );
  });

  it('kept the feed whole through both kills: the follower, reconnecting from its last cursor, rebuilds what the listings show', async () => {
    // Each kill broke a poll in flight or refused the next one.
    expect(fleet.feed.interruptions.length).toBeGreaterThanOrEqual(2);
    await fleet.expectFeedAgrees();
    console.info(
      `[machines-kill sqlite] the follower read ${fleet.feed.cursors.length} records through ${fleet.feed.interruptions.length} failed polls`,
    );
  });
});

describe.skipIf(!postgresUp)('machines through a SIGKILL of one conductor of two on PostgreSQL', () => {
  let fleet: MachineFleet;
  const conductor = (name: string): ProcessSpec => ({
    name,
    role: 'conductor',
    env: { ANVIL_CONDUCTOR_NAME: name },
  });

  beforeAll(async () => {
    const rig = await startProcessProvisionRig({
      engine: 'postgres',
      hosts: HOSTS,
      seed: 175,
      env: {
        ...CALLBACK_TIMEOUTS,
        ANVIL_CONDUCTOR_HEARTBEAT_INTERVAL: '1',
        ANVIL_CONDUCTOR_HEARTBEAT_TIMEOUT: String(HEARTBEAT_TIMEOUT_S),
      },
      // Split roles: conductors write what happens to the hosts into the feed, the follower reads it through
      // the API process, and a pxe process serves the boots (an API process runs no boot services).
      processes: [
        { name: 'api', role: 'api', env: { ANVIL_CONDUCTOR_NAME: 'api-0' } },
        { name: 'pxe', role: 'pxe' },
        conductor('conductor-a'),
        conductor('conductor-b'),
      ],
    });
    fleet = new MachineFleet(rig);
    await fleet.prepare(175);
  }, 90_000);

  afterAll(async () => {
    await fleet?.feed?.stop();
    await fleet?.rig.close();
  });

  it(`provisions every machine when the conductor working most of them is SIGKILLed mid-deploy; the other takes its hosts over within 2 × the ${HEARTBEAT_TIMEOUT_S} s heartbeat timeout`, async () => {
    await Promise.all(NAMES.map((n) => fleet.create(n)));
    const atKill = await fleet.until('two machines mid-deploy', 60_000, (machines, nodes) =>
      hostsIn(machines, nodes, MID_DEPLOY, 2),
    );
    const owners = atKill.value.map((n) => n.conductor);
    const victim = ['conductor-a', 'conductor-b'].sort(
      (a, b) => owners.filter((o) => o === b).length - owners.filter((o) => o === a).length,
    )[0]!;
    await fleet.rig.kill(victim);
    const killedAt = Date.now();
    // The victim's hosts are the survivor's once none is locked by or placed on the victim any more.
    await fleet.until("the victim's hosts taken over", 4 * HEARTBEAT_TIMEOUT_S * 1000, (_, nodes) =>
      nodes.every((n) => n.conductor !== victim && !(n.reservation ?? '').startsWith(victim)) ? true : null,
    );
    const takeoverMs = Date.now() - killedAt;
    const { retried } = await fleet.allProvisioned(NAMES, SETTLE_MS);
    await fleet.expectServing(NAMES);
    const survivor = fleet.rig.processes.get(victim === 'conductor-a' ? 'conductor-b' : 'conductor-a')!;
    expect((await fleet.nodes()).every((n) => n.conductor === survivor.name)).toBe(true);
    console.info(
      `[machines-kill postgres] killed ${victim} with ${summary(atKill.value)} (owners ${owners.join(', ')}); ` +
        `taken over in ${takeoverMs} ms (locks freed by the survivor: ${survivor.warnings.includes('took over the nodes of dead conductors')}); all provisioned ${Date.now() - killedAt} ms after the kill; retried: ${retried.join(', ') || 'none'}`,
    );
    expect(takeoverMs).toBeLessThanOrEqual(2 * HEARTBEAT_TIMEOUT_S * 1000);
  });

  it('kept the feed whole across the split roles: written by the conductors, read through the API process, with no gap', async () => {
    await fleet.expectFeedAgrees();
    expect(fleet.feed.interruptions).toEqual([]);
    console.info(`[machines-kill postgres] the follower read ${fleet.feed.cursors.length} records`);
  });
});
