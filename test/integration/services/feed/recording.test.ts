// What the repositories record in the change feed, each in the transaction
// of its write, on both engines: nodes, allocations and IPAM claims, and
// what they leave out (writes the feed's view does not show).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpamService } from '../../../../ipam/index.js';
import { AllocationRepository, type Allocation } from '../../../../services/allocations/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import {
  ChangeFeed,
  ChangeRecorder,
  recordClaimChanges,
  type Change,
  type ChangeKind,
} from '../../../../services/feed/index.js';
import { createLogger } from '../../../../services/logger.js';
import { NodeRepository } from '../../../../services/nodes/index.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();

function newAllocation(fields: Partial<Allocation> = {}): Omit<Allocation, 'id' | 'node_id' | 'node_uuid'> {
  return {
    uuid: crypto.randomUUID(),
    name: null,
    state: 'allocating',
    last_error: null,
    resource_class: 'feed',
    traits: [],
    candidate_nodes: [],
    extra: {},
    owner: null,
    created_at: new Date().toISOString(),
    updated_at: null,
    ...fields,
  };
}

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`change feed recording [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let nodes: NodeRepository;
    let allocations: AllocationRepository;
    let ipam: IpamService;
    let feed: ChangeFeed;
    let cursor = 0;

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 4)));
      allocations = new AllocationRepository(db.knex);
      ipam = new IpamService(db.knex, recordClaimChanges(ChangeRecorder.of(db.knex)));
      feed = new ChangeFeed({
        knex: db.knex,
        listenUrl: engine === 'postgres' ? tdb.url : null,
        pollIntervalMs: 100,
        log: createLogger('silent'),
      });
    });
    afterAll(async () => {
      await feed?.close();
      await db?.close();
      await tdb?.drop();
    });

    /** The changes recorded since the last call. */
    async function recorded(): Promise<Change[]> {
      const page = await feed.read(cursor, 1000);
      cursor = page.cursor;
      return page.changes;
    }
    const summary = (changes: Change[]) => changes.map((c) => `${c.kind}.${c.action} ${c.data.uuid}`);
    const line = (kind: ChangeKind, action: string, uuid: string) => `${kind}.${action} ${uuid}`;

    it('records a node created, each change of a field it shows, and its deletion with its last state', async () => {
      const node = await nodes.create(nodeFixture({ name: 'feed-0' }));
      await nodes.update(node.id, { provision_state: 'manageable', updated_at: new Date().toISOString() });
      await nodes.update(node.id, { power_state: 'power on', maintenance: true, maintenance_reason: 'disk' });
      await nodes.delete(node.id);
      const changes = await recorded();
      expect(summary(changes)).toEqual([
        line('node', 'created', node.uuid),
        line('node', 'updated', node.uuid),
        line('node', 'updated', node.uuid),
        line('node', 'deleted', node.uuid),
      ]);
      expect(changes[0]!.data).toMatchObject({ name: 'feed-0', provision_state: 'enroll', maintenance: false });
      expect(changes[1]!.data).toMatchObject({ provision_state: 'manageable', power_state: null });
      expect(changes[3]!.data).toMatchObject({
        provision_state: 'manageable',
        power_state: 'power on',
        maintenance: true,
        maintenance_reason: 'disk',
      });
      // Cursors grow with commit order.
      const cursors = changes.map((c) => c.cursor);
      expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
      expect(new Set(cursors).size).toBe(cursors.length);
    });

    it('records nothing for writes the feed does not show: locks, driver_internal_info, a value set to itself', async () => {
      const node = await nodes.create(nodeFixture({ provision_state: 'manageable' }));
      expect(summary(await recorded())).toEqual([line('node', 'created', node.uuid)]);
      expect((await nodes.reserve(node.id, 'conductor-a'))?.reservation).toBe('conductor-a');
      expect(await nodes.reserve(node.id, 'conductor-b')).toBeNull();
      await nodes.update(node.id, { driver_internal_info: { agent_url: 'http://10.0.0.9:9999' } });
      await nodes.update(node.id, { provision_state: 'manageable', updated_at: new Date().toISOString() });
      await nodes.release(node.id, 'conductor-a');
      expect(await recorded()).toEqual([]);
      await nodes.update(node.id, { last_error: 'boom' });
      expect(summary(await recorded())).toEqual([line('node', 'updated', node.uuid)]);
    });

    it("records an update in one statement, which itself leaves out a repeat of the object's last view", async () => {
      const node = await nodes.create(nodeFixture());
      await recorded();
      const statements: string[] = [];
      const seen = (query: { sql: string }) => statements.push(query.sql);
      db.knex.on('query', seen);
      try {
        await nodes.update(node.id, { last_error: 'one statement' });
        await nodes.update(node.id, { last_error: 'one statement', updated_at: new Date().toISOString() });
      } finally {
        db.knex.off('query', seen);
      }
      expect(statements.filter((sql) => /\bchanges\b/.test(sql))).toHaveLength(2);
      expect(summary(await recorded())).toEqual([line('node', 'updated', node.uuid)]);
    });

    it('records the next update of an object whose last change was recorded without a view key', async () => {
      const node = await nodes.create(nodeFixture());
      await recorded();
      // As a change recorded before migration 024 stands.
      await db.knex('changes').where({ object_uuid: node.uuid }).update({ view_key: null });
      await nodes.update(node.id, { provision_state: node.provision_state, updated_at: new Date().toISOString() });
      expect(summary(await recorded())).toEqual([line('node', 'updated', node.uuid)]);
      await nodes.update(node.id, { provision_state: node.provision_state, updated_at: new Date().toISOString() });
      expect(await recorded()).toEqual([]);
    });

    it('records an allocation created, given a node (with the node), failed, renamed, and deleted (freeing the node)', async () => {
      const node = await nodes.create(
        nodeFixture({ provision_state: 'available', power_state: 'power off', resource_class: 'feed' }),
      );
      const waiting = await allocations.create(newAllocation({ name: 'feed-a' }));
      const hopeless = await allocations.create(newAllocation({ name: 'feed-b', resource_class: 'none' }));
      expect(await allocations.claim(waiting, node)).toBe('claimed');
      await allocations.fail(hopeless.id, 'no node');
      await allocations.update(waiting.id, { extra: { only: 'extra' } });
      await allocations.update(waiting.id, { name: 'feed-a2' });
      expect(await allocations.deleteUnassigned(hopeless.id)).toBe(true);
      await allocations.delete(await allocations.getById(waiting.id));
      const changes = await recorded();
      expect(summary(changes)).toEqual([
        line('node', 'created', node.uuid),
        line('allocation', 'created', waiting.uuid),
        line('allocation', 'created', hopeless.uuid),
        line('node', 'updated', node.uuid),
        line('allocation', 'updated', waiting.uuid),
        line('allocation', 'updated', hopeless.uuid),
        line('allocation', 'updated', waiting.uuid),
        line('allocation', 'deleted', hopeless.uuid),
        line('node', 'updated', node.uuid),
        line('allocation', 'deleted', waiting.uuid),
      ]);
      expect(changes[3]!.data).toMatchObject({ allocation_uuid: waiting.uuid, instance_uuid: waiting.uuid });
      expect(changes[4]!.data).toMatchObject({ state: 'active', node_uuid: node.uuid });
      expect(changes[5]!.data).toMatchObject({ state: 'error', last_error: 'no node' });
      expect(changes[6]!.data).toMatchObject({ name: 'feed-a2' });
      expect(changes[8]!.data).toMatchObject({ allocation_uuid: null, instance_uuid: null });
      expect(changes[9]!.data).toMatchObject({ name: 'feed-a2', node_uuid: node.uuid, state: 'active' });
    });

    it('records the allocation a deleted node takes with it, before the node', async () => {
      const node = await nodes.create(
        nodeFixture({ provision_state: 'available', power_state: 'power off', resource_class: 'feed' }),
      );
      const allocation = await allocations.create(newAllocation());
      expect(await allocations.claim(allocation, node)).toBe('claimed');
      await recorded();
      await nodes.delete(node.id);
      const changes = await recorded();
      expect(summary(changes)).toEqual([
        line('allocation', 'deleted', allocation.uuid),
        line('node', 'deleted', node.uuid),
      ]);
      expect(changes[0]!.data).toMatchObject({ node_uuid: node.uuid, state: 'active' });
      expect(await allocations.find('uuid', allocation.uuid)).toBeNull();
    });

    it('records an IPAM claim made and released, with its address, and nothing for an idempotent repeat', async () => {
      await ipam.createPool('feed-pool', { ranges: [{ subnet: '10.9.0.0/29' }], gateway: '10.9.0.1' });
      const { claim } = await ipam.claim('feed-pool', { name: 'host-1', owner: 'node-x' });
      await ipam.claim('feed-pool', { name: 'host-1', owner: 'node-x' });
      await ipam.release('feed-pool', 'host-1');
      const changes = await recorded();
      expect(summary(changes)).toEqual([
        line('ipam_claim', 'created', claim.record.uuid),
        line('ipam_claim', 'deleted', claim.record.uuid),
      ]);
      for (const change of changes) {
        expect(change.data).toMatchObject({ pool: 'feed-pool', name: 'host-1', owner: 'node-x', address: '10.9.0.2' });
      }
    });

    it("records a node's extra and traits, and a change of either alone", async () => {
      const node = await nodes.create(nodeFixture({ extra: { rack: 'r1' }, traits: ['CUSTOM_GPU'] }));
      await nodes.update(node.id, { extra: { rack: 'r2' } });
      await nodes.update(node.id, { traits: ['CUSTOM_GPU', 'CUSTOM_NVME'] });
      await nodes.update(node.id, { extra: { rack: 'r2' }, traits: ['CUSTOM_GPU', 'CUSTOM_NVME'] });
      const changes = await recorded();
      expect(summary(changes)).toEqual([
        line('node', 'created', node.uuid),
        line('node', 'updated', node.uuid),
        line('node', 'updated', node.uuid),
      ]);
      expect(changes.map((c) => [c.data.extra, c.data.traits])).toEqual([
        [{ rack: 'r1' }, ['CUSTOM_GPU']],
        [{ rack: 'r2' }, ['CUSTOM_GPU']],
        [{ rack: 'r2' }, ['CUSTOM_GPU', 'CUSTOM_NVME']],
      ]);
    });

    it('records thousands of changes made in one transaction, in order, and wakes followers once for them', async () => {
      const uuids = Array.from({ length: 2000 }, () => crypto.randomUUID());
      const since = await feed.start('now');
      const waiting = feed.poll(since, 1, 60_000, new AbortController().signal);
      await db.knex.transaction((trx) =>
        ChangeRecorder.of(db.knex).record(
          trx,
          uuids.map((uuid) => ({ kind: 'machine', action: 'created', data: { uuid } })),
        ),
      );
      expect((await waiting).changes.map((c) => c.data.uuid)).toEqual([uuids[0]]);
      const changes: Change[] = [];
      while (changes.length < uuids.length) changes.push(...(await recorded()));
      expect(changes.map((c) => c.data.uuid)).toEqual(uuids);
      const cursors = changes.map((c) => c.cursor);
      expect(cursors.every((c, i) => i === 0 || c > cursors[i - 1]!)).toBe(true);
      expect(await recorded()).toEqual([]);
    });

    it('records nothing for a write that fails: the change and the write go together', async () => {
      const taken = await nodes.create(nodeFixture({ name: 'feed-taken' }));
      await recorded();
      await expect(nodes.create(nodeFixture({ name: 'feed-taken' }))).rejects.toThrow(/feed-taken/);
      const other = await nodes.create(nodeFixture());
      await expect(nodes.update(other.id, { name: 'feed-taken' })).rejects.toThrow(/feed-taken/);
      expect(summary(await recorded())).toEqual([line('node', 'created', other.uuid)]);
      expect((await nodes.getById(taken.id)).name).toBe('feed-taken');
    });
  });
}
