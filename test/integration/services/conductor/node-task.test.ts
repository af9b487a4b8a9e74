import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeTask } from '../../../../services/conductor/node-task.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { NodeHistory, type HistoryEvent } from '../../../../services/events/index.js';
import { Metrics } from '../../../../services/metrics.js';
import { NodeRepository } from '../../../../services/nodes/repository.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();

/** Gives every entry the uuid of an entry already written, which the database refuses (unique). */
class RefusedHistory extends NodeHistory {
  constructor(
    knex: Knex,
    private readonly taken: string,
  ) {
    super(knex, 'c1');
  }

  override rowsFor(events: readonly HistoryEvent[]): ReturnType<NodeHistory['rowsFor']> {
    const { table, rows } = super.rowsFor(events);
    return { table, rows: rows.map((row) => ({ ...row, uuid: this.taken })) };
  }
}

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`a node task's writes [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let nodes: NodeRepository;
    let history: NodeHistory;
    let metrics: Metrics;

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 3)));
      history = new NodeHistory(db.knex, 'c1');
      metrics = new Metrics(nodes);
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('commits a transition with its history entry, and neither when the entry cannot be written', async () => {
      const node = await nodes.create(
        nodeFixture({ provision_state: 'verifying', target_provision_state: 'manageable' }),
      );
      await createNodeTask(node, nodes, history, metrics).fire('done');
      expect((await nodes.getById(node.id)).provision_state).toBe('manageable');
      expect((await history.list(node.id, 10)).map((e) => e.event)).toEqual(['verifying -> manageable (done)']);

      // An entry the database refuses: the transition goes back with it.
      const broken = new RefusedHistory(db.knex, (await history.list(node.id, 10))[0]!.uuid);
      const other = await nodes.create(
        nodeFixture({ provision_state: 'verifying', target_provision_state: 'manageable' }),
      );
      await expect(createNodeTask(other, nodes, broken, metrics).fire('done')).rejects.toThrow();
      expect((await nodes.getById(other.id)).provision_state).toBe('verifying');
      expect(await history.list(other.id, 10)).toEqual([]);
    });

    it('writes a power result and its history entry together, and a step starting with its own entry, before the event', async () => {
      const node = await nodes.create(nodeFixture({ provision_state: 'cleaning', target_power_state: 'power on' }));
      const task = createNodeTask(node, nodes, history, metrics);
      await task.update(
        { power_state: 'power on', target_power_state: null },
        { severity: 'INFO', event_type: 'power', event: 'Power "power on" done: the node is power on' },
      );
      await task.update({ clean_step: { interface: 'deploy', step: 'erase_devices', priority: 10, args: {} } });
      await task.update(
        { clean_step: { interface: 'raid', step: 'delete_configuration', priority: 0, args: {} } },
        { severity: 'INFO', event_type: 'provisioning', event: 'the agent took the step' },
      );
      expect(task.node.power_state).toBe('power on');
      expect((await history.list(node.id, 10)).map((e) => e.event)).toEqual([
        'Power "power on" done: the node is power on',
        'Clean step deploy.erase_devices started',
        'Clean step raid.delete_configuration started',
        'the agent took the step',
      ]);
    });
  });
}
