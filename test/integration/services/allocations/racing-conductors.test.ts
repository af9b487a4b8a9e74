import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllocationRepository, AllocationWorker, Allocator } from '../../../../services/allocations/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { createLogger } from '../../../../services/logger.js';
import { NodeRepository } from '../../../../services/nodes/index.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();
const NODES = 12;
const ALLOCATIONS = 30;

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`conductors racing over allocations [${engine}]`, () => {
    let tdb: TestDatabase;
    /**
     * One connection pool per conductor on PostgreSQL, as two processes
     * would have; SQLite is for one process, whose one connection both share.
     */
    const dbs: Database[] = [];

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      for (let i = 0; i < (engine === 'postgres' ? 2 : 1); i++) dbs.push(openDatabase(tdb.url));
      await migrateToLatest(dbs[0]!.knex);
    });
    afterAll(async () => {
      for (const db of dbs) await db.close();
      await tdb?.drop();
    });

    it('gives each node to one allocation and each allocation at most one node, though both think they own all', async () => {
      const nodes = new NodeRepository(dbs[0]!.knex, SecretBox.fromKey(Buffer.alloc(32, 3)));
      for (let i = 0; i < NODES; i++) {
        await nodes.create(
          nodeFixture({ provision_state: 'available', power_state: 'power off', resource_class: 'race' }),
        );
      }
      const repo = new AllocationRepository(dbs[0]!.knex);
      for (let i = 0; i < ALLOCATIONS; i++) {
        await repo.create({
          uuid: crypto.randomUUID(),
          name: `race-${i}`,
          state: 'allocating',
          last_error: null,
          resource_class: 'race',
          traits: [],
          candidate_nodes: [],
          extra: {},
          owner: null,
          created_at: new Date().toISOString(),
          updated_at: null,
        });
      }
      const log = createLogger('silent');
      const workers = [0, 1].map((i) => {
        const own = new AllocationRepository(dbs[i % dbs.length]!.knex);
        return new AllocationWorker({
          repo: own,
          allocator: new Allocator(own, log),
          owns: async () => true,
          capacity: ALLOCATIONS,
          log,
        });
      });
      await Promise.all(workers.map((w) => w.sweep()));
      await Promise.all(workers.map((w) => w.drain()));

      const all = await repo.list({ filter: {}, sortKey: 'id', sortDir: 'asc', limit: ALLOCATIONS });
      const active = all.filter((a) => a.state === 'active');
      expect(active).toHaveLength(NODES);
      expect(new Set(active.map((a) => a.node_id)).size).toBe(NODES);
      for (const a of all.filter((x) => x.state === 'error')) {
        expect(a.last_error).toBe(
          `Failed to process allocation ${a.uuid}: no available nodes match the resource class race.`,
        );
        expect(a.node_id).toBeNull();
      }
      expect(all.filter((a) => a.state === 'allocating')).toEqual([]);
      const held: { uuid: string; allocation_uuid: string; instance_uuid: string }[] = await dbs[0]!
        .knex('nodes')
        .select('uuid', 'allocation_uuid', 'instance_uuid');
      const byNode = new Map(active.map((a) => [a.node_uuid, a.uuid]));
      for (const n of held) {
        expect(n.allocation_uuid).toBe(byNode.get(n.uuid));
        expect(n.instance_uuid).toBe(n.allocation_uuid);
      }
    });
  });
}
