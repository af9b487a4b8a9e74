import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpamService } from '../../../../ipam/index.js';
import { Intake, type Placement } from '../../../../services/conductor/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { NodeProtected } from '../../../../services/errors.js';
import { NodeHistory } from '../../../../services/events/index.js';
import { InventoryStore } from '../../../../services/inspect/index.js';
import { claimAddressesForNode } from '../../../../services/ipam/index.js';
import { createLogger } from '../../../../services/logger.js';
import {
  MachineReconciler,
  MachineRepository,
  MachineWorker,
  ProvisioningSlots,
  type Machine,
  type NodeRequests,
} from '../../../../services/machines/index.js';
import { Metrics } from '../../../../services/metrics.js';
import { NodeLocks, NodeRepository, type Node } from '../../../../services/nodes/index.js';
import { PortRepository } from '../../../../services/ports/index.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();
let seq = 0;

function spec(overrides: Partial<Machine['spec']> = {}): Machine['spec'] {
  return {
    cluster: 'c1',
    consumer: null,
    role: 'worker',
    host_selector: { match_labels: {}, match_expressions: [], traits: [], resource_class: null },
    failure_domain: null,
    image: { url: 'http://127.0.0.1:1/os.img', checksum: 'abc', checksum_type: null, disk_format: null },
    custom_deploy: null,
    user_data: null,
    data_template: null,
    automated_cleaning_mode: 'disabled',
    node_reuse: false,
    paused: false,
    ...overrides,
  };
}

/** What the reconciler asked the conductors for; `refuse` makes the next requests throw. */
class RecordedRequests implements NodeRequests {
  readonly asked: { node: string; verb: string }[] = [];
  refuse: Error | null = null;
  onPower: (() => Promise<void>) | null = null;
  provision(node: Node, req: { verb: string }): Promise<void> {
    this.asked.push({ node: node.uuid, verb: req.verb });
    return this.refuse ? Promise.reject(this.refuse) : Promise.resolve();
  }
  async setPower(node: Node): Promise<void> {
    this.asked.push({ node: node.uuid, verb: 'reboot' });
    await this.onPower?.();
  }
}

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`the machine reconciler [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let nodes: NodeRepository;
    let repo: MachineRepository;
    let ipam: IpamService;
    let requests: RecordedRequests;
    let reconciler: MachineReconciler;
    let deps: ConstructorParameters<typeof MachineReconciler>[0];

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 7)));
      repo = new MachineRepository(db.knex);
      ipam = new IpamService(db.knex);
      requests = new RecordedRequests();
      deps = {
        repo,
        nodes,
        locks: new NodeLocks({
          nodes,
          holder: 'test:machines',
          history: new NodeHistory(db.knex, 'test'),
          metrics: new Metrics(nodes),
        }),
        requests,
        ipam,
        ports: new PortRepository(db.knex),
        inventory: new InventoryStore(db.knex),
        failureDomainLabel: 'failure_domain',
        slots: new ProvisioningSlots(1000, async () => 0),
        log: createLogger('silent'),
      };
      reconciler = new MachineReconciler(deps);
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    /** A host carrying the test's own label, so each test selects only its hosts. */
    const host = (label: string, overrides: Partial<Omit<Node, 'id'>> = {}) =>
      nodes.create(
        nodeFixture({ provision_state: 'available', power_state: 'power off', extra: { t: label }, ...overrides }),
      );
    const newMachine = (label: string, overrides: Partial<Machine['spec']> = {}) =>
      repo.create({
        uuid: crypto.randomUUID(),
        name: `m-${++seq}`,
        spec: spec({
          host_selector: { match_labels: { t: label }, match_expressions: [], traits: [], resource_class: null },
          ...overrides,
        }),
        created_at: new Date().toISOString(),
      });
    /** The machine holding the host, as the claim leaves it. */
    async function holding(
      label: string,
      node: Node,
      overrides: Partial<Machine['spec']> = {},
      then: Partial<Node> = {},
    ): Promise<Machine> {
      const m = await newMachine(label, overrides);
      expect(await repo.claim(m, node)).toBe('claimed');
      // Only a free host can be claimed: the state the test needs comes after.
      if (Object.keys(then).length > 0) await nodes.update(node.id, then);
      return repo.updateStatus(await repo.getById(m.id), { phase: 'provisioning' });
    }
    const asked = (node: Node) => requests.asked.filter((a) => a.node === node.uuid).map((a) => a.verb);

    it('claims another host when a freed one is still named by a machine on its way out', async () => {
      const stale = await host('stale');
      const free = await host('stale');
      const leaving = await holding('stale', stale);
      await repo.markDeleting(leaving.id);
      // The undeploy cleared the host's instance_uuid; the leaving machine's row still names it.
      await nodes.update(stale.id, { instance_uuid: null });
      const m = await newMachine('stale');
      await reconciler.reconcile(m);
      const after = await repo.getById(m.id);
      expect(after.node_uuid).toBe(free.uuid);
      expect(after.phase).toBe('provisioning');
    });

    it('deploys an image with direct on a host a custom deploy left, and gives the host its interface back', async () => {
      const node = await host('iface', { driver: 'ipmi', deploy_interface: 'custom-agent' });
      const m = await holding('iface', node);
      await reconciler.reconcile(m);
      const deploying = await nodes.getById(node.id);
      expect(deploying.deploy_interface).toBe('direct');
      expect(deploying.extra['anvil.deploy_interface']).toBe('custom-agent');
      expect(asked(node)).toEqual(['deploy']);

      // Undeployed (instance_uuid cleared, available again), the machine gives the host back.
      await nodes.update(node.id, { instance_uuid: null });
      await reconciler.reconcile(await repo.markDeleting(m.id));
      const freed = await nodes.getById(node.id);
      expect(freed.deploy_interface).toBe('custom-agent');
      expect(freed.extra['anvil.deploy_interface']).toBeUndefined();
      expect(freed.extra['anvil.last_cluster']).toBe('c1');
      expect(await repo.find('uuid', m.uuid)).toBeNull();
    });

    it('refuses a custom deploy on a host whose hardware type has no custom-agent, with the reason', async () => {
      const node = await host('fake-custom');
      const m = await holding('fake-custom', node, { image: null, custom_deploy: { method: 'install', args: {} } });
      await reconciler.reconcile(m);
      const failed = await repo.getById(m.id);
      expect(failed.phase).toBe('failed');
      expect(failed.failure_reason).toBe('DeployRefused');
      expect(failed.failure_message).toContain('no custom-agent deploy interface');
      expect((await nodes.getById(node.id)).deploy_interface).toBe('fake');
      expect(asked(node)).toEqual([]);
    });

    it('claims for a custom deploy only a host whose hardware type has custom-agent; with none, waits pending with the reason', async () => {
      const custom = { image: null, custom_deploy: { method: 'install', args: {} } };
      const fake = await host('custom-choice');
      const m = await newMachine('custom-choice', custom);
      await reconciler.reconcile(m);
      const waiting = await repo.getById(m.id);
      expect(waiting).toMatchObject({ phase: 'pending', node_uuid: null, failure_reason: 'NoHost' });
      expect(waiting.failure_message).toContain('custom-agent deploy interface');
      expect((await nodes.getById(fake.id)).instance_uuid).toBeNull();

      const ipmi = await host('custom-choice', { driver: 'ipmi' });
      await reconciler.reconcile(waiting);
      const claimed = await repo.getById(m.id);
      expect(claimed).toMatchObject({ phase: 'provisioning', node_uuid: ipmi.uuid, failure_reason: null });
    });

    it('does not deploy a host given to another instance between its check and its deploy request', async () => {
      const node = await host('taken');
      const m = await holding('taken', node);
      const history = new NodeHistory(db.knex, 'test');
      const intake = new Intake({
        nodes,
        locks: new NodeLocks({ nodes, holder: 'test:intake', history, metrics: new Metrics(nodes) }),
        placement: { ownerOf: async () => 'test-conductor' } as unknown as Placement,
        history,
        runtimes: new Map([['fake-hardware', {}]]),
        local: null,
      });
      const other = crypto.randomUUID();
      const late = new MachineReconciler({
        ...deps,
        requests: {
          // Right before the request takes the lock, a user frees the host and another instance takes it.
          async provision(n, req) {
            await nodes.update(n.id, { instance_uuid: other });
            await intake.provision(n, req);
          },
          async setPower() {},
        },
      });
      await late.reconcile(m);
      expect(await nodes.getById(node.id)).toMatchObject({
        provision_state: 'available',
        instance_uuid: other,
        reservation: null,
      });
      await late.reconcile(await repo.getById(m.id));
      expect(await repo.getById(m.id)).toMatchObject({ phase: 'failed', failure_reason: 'HostLost' });
    });

    it('does not deploy a host for a machine another conductor has since marked for deletion', async () => {
      const node = await host('race');
      const m = await holding('race', node);
      await repo.markDeleting(m.id);
      // This pass read the machine before the delete.
      await reconciler.reconcile(m);
      expect(asked(node)).toEqual([]);
    });

    it('stops asking for an undeploy that failed, says why, and drops the reason once an operator undeploys again', async () => {
      const node = await host('undeploy');
      const m = await holding('undeploy', node, {}, { provision_state: 'active' });
      await reconciler.reconcile(await repo.markDeleting(m.id));
      expect(asked(node)).toEqual(['delete']);
      await new Promise((r) => setTimeout(r, 5));
      // The undeploy failed: the host is in error since.
      await nodes.update(node.id, {
        provision_state: 'error',
        provision_updated_at: new Date().toISOString(),
        last_error: 'erase failed: disk busy',
      });
      for (let i = 0; i < 3; i++) await reconciler.reconcile(await repo.getById(m.id));
      expect(asked(node)).toEqual(['delete']);
      const stuck = await repo.getById(m.id);
      expect(stuck.phase).toBe('deprovisioning');
      expect(stuck.failure_reason).toBe('HostStuck');
      expect(stuck.failure_message).toBe('the undeploy failed: erase failed: disk busy');

      // The operator undeploys the host again: while it cleans, the machine no longer says it is stuck.
      await nodes.update(node.id, { provision_state: 'cleaning', provision_updated_at: new Date().toISOString() });
      await reconciler.reconcile(await repo.getById(m.id));
      expect(await repo.getById(m.id)).toMatchObject({
        phase: 'deprovisioning',
        failure_reason: null,
        failure_message: null,
      });
      expect(asked(node)).toEqual(['delete']);

      // The host is back in the pool: the machine goes on by itself.
      await nodes.update(node.id, { provision_state: 'available', instance_uuid: null });
      await reconciler.reconcile(await repo.getById(m.id));
      expect(await repo.find('uuid', m.uuid)).toBeNull();
    });

    it('records HostStuck when the undeploy is refused or the claimed host was taken out of the pool, and drops it once the operator fixes the host', async () => {
      const node = await host('protected');
      const m = await holding('protected', node, {}, { provision_state: 'active', protected: true });
      requests.refuse = new NodeProtected(node.uuid);
      try {
        await reconciler.reconcile(await repo.markDeleting(m.id));
      } finally {
        requests.refuse = null;
      }
      const refused = await repo.getById(m.id);
      expect(refused.failure_reason).toBe('HostStuck');
      expect(refused.failure_message).toContain('the host refused the undeploy');
      await nodes.update(node.id, { protected: false });
      await reconciler.reconcile(refused);
      expect(asked(node)).toEqual(['delete', 'delete']);
      expect(await repo.getById(m.id)).toMatchObject({ failure_reason: null, failure_message: null });

      const held = await host('manageable');
      const waiting = await holding('manageable', held);
      await nodes.update(held.id, { provision_state: 'manageable' });
      await reconciler.reconcile(waiting);
      const after = await repo.getById(waiting.id);
      expect(after.phase).toBe('provisioning');
      expect(after.failure_reason).toBe('HostStuck');
      expect(after.failure_message).toBe('the host is manageable; an operator must make it available');
      await nodes.update(held.id, { provision_state: 'available' });
      await reconciler.reconcile(after);
      expect(asked(held)).toEqual(['deploy']);
      expect(await repo.getById(waiting.id)).toMatchObject({ failure_reason: null, failure_message: null });
    });

    it('releases the addresses claimed in its host name even when the host now has another owner', async () => {
      await ipam.createPool('stolen-v4', { ranges: [{ subnet: '198.51.100.0/24' }] });
      const node = await host('stolen');
      const m = await holding('stolen', node, { data_template: { networks: [{ pool: 'stolen-v4' }], meta_data: {} } });
      await claimAddressesForNode(ipam, node, ['stolen-v4']);
      await nodes.update(node.id, { instance_uuid: crypto.randomUUID() });
      await reconciler.reconcile(await repo.markDeleting(m.id));
      expect(await repo.find('uuid', m.uuid)).toBeNull();
      expect(await ipam.listClaims('stolen-v4', { limit: 10, sortKey: 'id', sortDir: 'asc' })).toEqual([]);
    });

    it('counts a remediation attempt before it asks for the reboot', async () => {
      const node = await host('remedy');
      const m = await holding('remedy', node, {}, { provision_state: 'active', power_state: 'power on' });
      const provisioned = await repo.updateStatus(m, {
        phase: 'provisioned',
        remediation: { strategy: 'reboot', retry_limit: 2, timeout: 60, attempts: 0, started_at: null },
      });
      let seen: Machine['remediation'] = null;
      requests.onPower = async () => {
        seen = (await repo.getById(m.id)).remediation;
      };
      try {
        await reconciler.reconcile(provisioned);
      } finally {
        requests.onPower = null;
      }
      expect(seen).toMatchObject({ attempts: 1 });
      expect((await repo.getById(m.id)).remediation?.started_at).not.toBeNull();
    });

    it('sweeps every unsettled machine in turn, more than its capacity, and skips paused ones', async () => {
      const paused = await newMachine('nohost', { paused: true });
      const waiting: Machine[] = [];
      for (let i = 0; i < 5; i++) waiting.push(await newMachine('nohost'));
      const worker = new MachineWorker({
        repo,
        reconciler,
        owns: async (uuid) => [paused, ...waiting].some((m) => m.uuid === uuid),
        capacity: 2,
        slots: new ProvisioningSlots(1000, async () => 0),
        log: createLogger('silent'),
      });
      const reached = async () => {
        const out: number[] = [];
        for (const m of waiting) if ((await repo.getById(m.id)).failure_message !== null) out.push(m.id);
        return out;
      };
      await worker.sweep();
      await worker.drain();
      expect(await reached()).toEqual(waiting.slice(0, 2).map((m) => m.id));
      await worker.sweep();
      await worker.drain();
      await worker.sweep();
      await worker.drain();
      expect(await reached()).toEqual(waiting.map((m) => m.id));
      expect((await repo.getById(paused.id)).failure_message).toBeNull();
    });

    it('starts only as many machines waiting for a slot as there are free slots in a sweep', async () => {
      const held: Machine[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await holding('sweep-slots', await host('sweep-slots'));
        held.push(await repo.updateStatus(m, { failure_reason: 'WaitingForSlot', failure_message: 'waiting' }));
      }
      const passed: string[] = [];
      const worker = new MachineWorker({
        repo,
        reconciler: { reconcile: async (m: Machine) => void passed.push(m.uuid) } as unknown as MachineReconciler,
        owns: async (uuid) => held.some((m) => m.uuid === uuid),
        capacity: 10,
        slots: new ProvisioningSlots(1, async () => 0),
        log: createLogger('silent'),
      });
      await worker.sweep();
      await worker.drain();
      expect(passed).toEqual([held[0]!.uuid]);
    });
    it('deploys at most provisioningLimit machines at once; the others wait for a slot, with the reason, and go on when one frees', async () => {
      // Requests that move the host as the conductor's intake does: to deploying, or undeploying.
      const moving: NodeRequests = {
        async provision(node, req) {
          await nodes.update(node.id, { provision_state: req.verb === 'deploy' ? 'deploying' : 'deleting' });
        },
        async setPower() {},
      };
      // Two slots beyond whatever hosts earlier tests left at work in this database.
      const limit = (await repo.hostsAtWork()) + 2;
      const limited = new MachineReconciler({
        ...deps,
        requests: moving,
        slots: new ProvisioningSlots(limit, () => repo.hostsAtWork()),
      });
      const hosts = await Promise.all([0, 1, 2].map(() => host('slots')));
      const machines = await Promise.all(hosts.map((h) => holding('slots', h)));
      // All three passes at once: the count and the request are one step at a time here, so only two start.
      await Promise.all(machines.map((m) => limited.reconcile(m)));
      const states = await Promise.all(hosts.map(async (h) => (await nodes.getById(h.id)).provision_state));
      expect(states.filter((s) => s === 'deploying')).toHaveLength(2);
      const waiting = machines[states.indexOf('available')]!;
      const held = await repo.getById(waiting.id);
      expect(held).toMatchObject({ phase: 'provisioning', failure_reason: 'WaitingForSlot' });
      expect(held.failure_message).toContain('ANVIL_MACHINES_PROVISIONING_LIMIT');

      // Another pass while both slots are taken changes nothing (no status rewrite, no feed record).
      await limited.reconcile(held);
      expect((await repo.getById(waiting.id)).updated_at).toBe(held.updated_at);

      // One host finishes its deploy: once the full count is no longer believed (a second), the waiting machine takes the slot and its reason goes.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await nodes.update(hosts[states.indexOf('deploying')]!.id, { provision_state: 'active' });
      await limited.reconcile(held);
      expect((await nodes.getById(hosts[states.indexOf('available')]!.id)).provision_state).toBe('deploying');
      expect(await repo.getById(waiting.id)).toMatchObject({ failure_reason: null, failure_message: null });

      // Undeploying takes a slot too: a delete waits while both are taken, and goes on (its reason gone) when one frees.
      const done = machines[states.indexOf('deploying')]!;
      await repo.markDeleting(done.id);
      await limited.reconcile(await repo.getById(done.id));
      expect(await repo.getById(done.id)).toMatchObject({ phase: 'deprovisioning', failure_reason: 'WaitingForSlot' });
      for (const h of hosts) {
        if ((await nodes.getById(h.id)).provision_state === 'deploying')
          await nodes.update(h.id, { provision_state: 'active' });
      }
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await limited.reconcile(await repo.getById(done.id));
      expect((await nodes.getById(hosts[states.indexOf('deploying')]!.id)).provision_state).toBe('deleting');
      expect(await repo.getById(done.id)).toMatchObject({ failure_reason: null, failure_message: null });
    });
  });
}
