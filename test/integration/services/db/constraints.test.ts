import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, uniqueViolationColumn, type Database } from '../../../../services/db/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';

const postgresUp = await postgresAvailable();

function nodeRow(uuid: string, name: string | null) {
  const json = '{}';
  const row: Record<string, unknown> = {
    uuid,
    name,
    driver: 'fake-hardware',
    provision_state: 'enroll',
    created_at: new Date().toISOString(),
  };
  for (const c of [
    'driver_info',
    'driver_internal_info',
    'instance_info',
    'properties',
    'extra',
    'network_data',
    'raid_config',
    'target_raid_config',
    'clean_step',
    'deploy_step',
    'service_step',
  ])
    row[c] = json;
  row.traits = '[]';
  for (const i of [
    'bios',
    'boot',
    'console',
    'deploy',
    'firmware',
    'inspect',
    'management',
    'network',
    'power',
    'raid',
    'rescue',
    'storage',
    'vendor',
  ])
    row[`${i}_interface`] = 'fake';
  return row;
}

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`database constraints [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('migrates idempotently', async () => {
      await migrateToLatest(db.knex);
      expect(await db.knex.schema.hasTable('nodes')).toBe(true);
    });

    it('makes node uuid and name unique in the database itself', async () => {
      await db.knex('nodes').insert(nodeRow('00000000-0000-4000-8000-000000000001', 'unique-name'));
      const byUuid = await db
        .knex('nodes')
        .insert(nodeRow('00000000-0000-4000-8000-000000000001', 'other'))
        .catch((e: unknown) => e);
      expect(uniqueViolationColumn(byUuid, 'nodes')).toBe('uuid');
      const byName = await db
        .knex('nodes')
        .insert(nodeRow('00000000-0000-4000-8000-000000000002', 'unique-name'))
        .catch((e: unknown) => e);
      expect(uniqueViolationColumn(byName, 'nodes')).toBe('name');
      // Many nameless nodes are fine: NULLs do not collide.
      await db.knex('nodes').insert(nodeRow('00000000-0000-4000-8000-000000000003', null));
      await db.knex('nodes').insert(nodeRow('00000000-0000-4000-8000-000000000004', null));
    });

    it('makes a port MAC unique, and racing inserts of one MAC leave exactly one', async () => {
      const [node] = await db.knex('nodes').where({ uuid: '00000000-0000-4000-8000-000000000001' }).select('id');
      const port = (i: number) => ({
        uuid: `00000000-0000-4000-9000-00000000000${i}`,
        address: '52:54:00:00:00:99',
        node_id: node.id,
        extra: '{}',
        internal_info: '{}',
        local_link_connection: '{}',
        created_at: new Date().toISOString(),
      });
      const results = await Promise.allSettled([1, 2, 3, 4].map((i) => db.knex('ports').insert(port(i))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
        expect(uniqueViolationColumn(r.reason, 'ports')).toBe('address');
      }
    });

    it('lets exactly one of many racing lock attempts win', async () => {
      const id = (await db.knex('nodes').where({ uuid: '00000000-0000-4000-8000-000000000003' }).first()).id;
      const attempts = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          db
            .knex('nodes')
            .where({ id })
            .whereNull('reservation')
            .update({ reservation: `host-${i}` }),
        ),
      );
      expect(attempts.reduce((a, b) => a + b, 0)).toBe(1);
    });
  });
}
