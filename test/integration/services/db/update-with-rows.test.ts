// A node's update and its history entries written together, on both
// engines: on PostgreSQL in one statement, on SQLite an update and an insert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, updateWithRows, type Database } from '../../../../services/db/index.js';
import { NodeRepository } from '../../../../services/nodes/index.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();

const entry = (event: string, user: string | null = null) => ({
  uuid: crypto.randomUUID(),
  created_at: '2030-01-01T00:00:00.000Z',
  severity: 'INFO',
  event_type: 'provisioning',
  event,
  conductor: 'c1',
  user,
});

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`updateWithRows [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let nodes: NodeRepository;

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 3)));
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    const history = (nodeId: number) =>
      db.knex('node_history').where({ node_id: nodeId }).orderBy('id').select('event', 'user');

    it('answers the row as written and inserts the rows with its id, in their order', async () => {
      const node = await nodes.create(nodeFixture({ provision_state: 'manageable' }));
      const statements: string[] = [];
      const seen = (query: { sql: string }) => statements.push(query.sql);
      db.knex.on('query', seen);
      const rows = await db.knex.transaction((trx) =>
        updateWithRows(
          trx,
          'nodes',
          node.id,
          { provision_state: 'cleaning', last_error: null },
          { table: 'node_history', rows: [entry('first', 'alice'), entry('second')] },
          'node_id',
        ),
      );
      db.knex.off('query', seen);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: node.id, provision_state: 'cleaning' });
      expect(await history(node.id)).toEqual([
        { event: 'first', user: 'alice' },
        { event: 'second', user: null },
      ]);
      // BEGIN and COMMIT aside: one statement on PostgreSQL, an update and an insert on SQLite.
      expect(statements.filter((sql) => !/^(BEGIN|COMMIT)/i.test(sql))).toHaveLength(engine === 'postgres' ? 1 : 2);
    });

    it('inserts nothing where there is no such row', async () => {
      const missing = 2_000_000_000;
      const rows = await db.knex.transaction((trx) =>
        updateWithRows(
          trx,
          'nodes',
          missing,
          { provision_state: 'cleaning' },
          { table: 'node_history', rows: [entry('never')] },
          'node_id',
        ),
      );
      expect(rows).toEqual([]);
      expect(await history(missing)).toEqual([]);
    });

    it("is how a node's update writes its history entries, rolled back with it when the update fails", async () => {
      const node = await nodes.create(nodeFixture({ name: 'with-rows-a' }));
      await nodes.create(nodeFixture({ name: 'with-rows-b' }));
      await nodes.update(node.id, { last_error: 'kept' }, { table: 'node_history', rows: [entry('kept')] });
      await expect(
        nodes.update(node.id, { name: 'with-rows-b' }, { table: 'node_history', rows: [entry('refused')] }),
      ).rejects.toThrow(/with-rows-b/);
      expect(await history(node.id)).toEqual([{ event: 'kept', user: null }]);
      expect((await nodes.getById(node.id)).last_error).toBe('kept');
    });
  });
}
