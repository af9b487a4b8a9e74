import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_TARGET } from '../../../../services/conductor/console.js';
import { RUNNABLE_STATES } from '../../../../services/conductor/worker.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { NodeRepository } from '../../../../services/nodes/repository.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

// The sweep's question, "which unlocked nodes have work pending?", asked of
// both engines: the answer, and (SQLite) that it is found through indexes
// rather than by reading every unlocked node.

const postgresUp = await postgresAvailable();

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`unlocked nodes with work pending [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let nodes: NodeRepository;
    const ids: Record<string, number> = {};

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 5)));
      const made = {
        idle: nodeFixture({ provision_state: 'active', driver_internal_info: { agent_url: 'http://127.0.0.1:9' } }),
        deploying: nodeFixture({ provision_state: 'deploying', target_provision_state: 'active' }),
        power: nodeFixture({ provision_state: 'active', target_power_state: 'power off' }),
        console: nodeFixture({ provision_state: 'active', driver_internal_info: { [CONSOLE_TARGET]: true } }),
        held: nodeFixture({ provision_state: 'deploying', target_provision_state: 'active', reservation: 'c9' }),
        heldPower: nodeFixture({ provision_state: 'manageable', target_power_state: 'power on', reservation: 'c9' }),
        // The key's name as a value, not a key: no console change pending.
        mention: nodeFixture({ provision_state: 'active', driver_internal_info: { note: CONSOLE_TARGET } }),
      };
      for (const [what, node] of Object.entries(made)) ids[what] = (await nodes.create(node)).id;
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('finds a runnable state, a power target and a console change, in id order, up to the limit; none held', async () => {
      const pending = await nodes.listUnlockedWork(RUNNABLE_STATES, [CONSOLE_TARGET], 10);
      expect(pending.map((n) => n.id)).toEqual([ids.deploying, ids.power, ids.console]);
      expect(Object.keys(pending[0]!).sort()).toEqual(['conductor_group', 'id', 'uuid']);
      expect((await nodes.listUnlockedWork(RUNNABLE_STATES, [CONSOLE_TARGET], 2)).map((n) => n.id)).toEqual([
        ids.deploying,
        ids.power,
      ]);
      // Without the console key, and with no runnable state, only what is left is asked for.
      expect((await nodes.listUnlockedWork([], [], 10)).map((n) => n.id)).toEqual([ids.power]);

      await nodes.release(ids.held!, 'c9');
      expect((await nodes.listUnlockedWork(RUNNABLE_STATES, [CONSOLE_TARGET], 10)).map((n) => n.id)).toEqual([
        ids.deploying,
        ids.power,
        ids.console,
        ids.held,
      ]);
      expect(await nodes.reserve(ids.held!, 'c9')).not.toBeNull();
    });

    it('finds each kind of work through an index of its own (migration 023)', async () => {
      if (engine === 'postgres') {
        // PostgreSQL's planner reads a table this small whole whatever its indexes: they are asserted to exist.
        const indexes = await db.knex('pg_indexes').where({ tablename: 'nodes' }).pluck('indexname');
        expect(indexes).toEqual(expect.arrayContaining(['nodes_power_target_pending', 'nodes_console_target_pending']));
        return;
      }
      const asked: { sql: string; bindings: unknown[] }[] = [];
      const listen = (q: { sql: string; bindings: unknown[] }) => asked.push(q);
      db.knex.on('query', listen);
      try {
        await nodes.listUnlockedWork(RUNNABLE_STATES, [CONSOLE_TARGET], 10);
      } finally {
        db.knex.off('query', listen);
      }
      const query = asked.find((q) => q.sql.includes('target_power_state'))!;
      const plan = await db.knex.raw<{ detail: string }[]>(`explain query plan ${query.sql}`, query.bindings as never);
      const steps = plan.map((step) => step.detail);
      expect(steps).toEqual(
        expect.arrayContaining([
          expect.stringContaining('USING COVERING INDEX nodes_provision_state_index'),
          'SCAN nodes USING INDEX nodes_power_target_pending',
          'SCAN nodes USING INDEX nodes_console_target_pending',
        ]),
      );
      expect(steps.filter((s) => s === 'SCAN nodes')).toEqual([]);
    });
  });
}
