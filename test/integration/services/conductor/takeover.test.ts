import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { NodeRepository } from '../../../../services/nodes/repository.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`freeing a dead conductor's locks [${engine}]`, () => {
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

    it("frees the locks held under its name and its name:part holders, and no one else's", async () => {
      const holders = ['c_1', 'c_1:api', 'c_1:sync', 'c_10', 'cx1:api', 'c_1x', 'c2'];
      for (const reservation of holders) await nodes.create(nodeFixture({ reservation }));
      const freed = await nodes.releaseHeldBy(['c_1']);
      expect(freed.map((n) => n.reservation).sort()).toEqual(['c_1', 'c_1:api', 'c_1:sync']);
      const left: { reservation: string | null }[] = await db
        .knex('nodes')
        .select('reservation')
        .whereNotNull('reservation');
      expect(left.map((r) => r.reservation).sort()).toEqual(['c2', 'c_10', 'c_1x', 'cx1:api']);
    });
  });
}
