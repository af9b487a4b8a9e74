import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../../services/db/index.js';
import * as m001 from '../../../../services/db/migrations/001_nodes_and_ports.js';
import * as m002 from '../../../../services/db/migrations/002_ipam.js';
import * as m003 from '../../../../services/db/migrations/003_node_history.js';
import * as m004 from '../../../../services/db/migrations/004_allocations.js';
import * as m005 from '../../../../services/db/migrations/005_conductors.js';
import * as m006 from '../../../../services/db/migrations/006_node_inventory.js';
import * as m007 from '../../../../services/db/migrations/007_auth_tokens.js';
import * as m008 from '../../../../services/db/migrations/008_chassis.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';

const postgresUp = await postgresAvailable();

const BEFORE_CHASSIS = [m001, m002, m003, m004, m005, m006, m007];

function nodeRow(uuid: string, chassis: string | null) {
  const row: Record<string, unknown> = {
    uuid,
    driver: 'fake-hardware',
    provision_state: 'enroll',
    created_at: new Date().toISOString(),
    chassis_uuid: chassis,
    traits: '[]',
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
    row[c] = '{}';
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
  describe.skipIf(engine === 'postgres' && !postgresUp)(`migration 008_chassis [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    beforeEach(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      for (const m of BEFORE_CHASSIS) await m.up(db.knex);
    });
    afterEach(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it("turns each chassis uuid nodes named into a chassis, and keeps the nodes' ports", async () => {
      const spelled = 'AB5C1D0E5F6A4B7C8D9E0F1A2B3C4D5E';
      const canonical = 'ab5c1d0e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
      await db.knex('nodes').insert(nodeRow('00000000-0000-4000-8000-000000000001', spelled));
      await db.knex('nodes').insert(nodeRow('00000000-0000-4000-8000-000000000002', canonical));
      await db.knex('nodes').insert(nodeRow('00000000-0000-4000-8000-000000000003', null));
      const [first] = await db.knex('nodes').where({ uuid: '00000000-0000-4000-8000-000000000001' }).select('id');
      await db.knex('ports').insert({
        uuid: '00000000-0000-4000-9000-000000000001',
        address: '52:54:00:00:00:01',
        node_id: first.id,
        extra: '{}',
        internal_info: '{}',
        local_link_connection: '{}',
        created_at: new Date().toISOString(),
      });

      await m008.up(db.knex);

      expect(await db.knex('chassis').pluck('uuid')).toEqual([canonical]);
      const nodes = await db.knex('nodes').orderBy('id').pluck('chassis_uuid');
      expect(nodes).toEqual([canonical, canonical, null]);
      expect(await db.knex('ports').count({ n: '*' })).toEqual([{ n: engine === 'postgres' ? '1' : 1 }]);
    });

    it('makes the database refuse a node naming no chassis, and the deletion of a chassis with nodes', async () => {
      await m008.up(db.knex);
      const missing = await db
        .knex('nodes')
        .insert(nodeRow('00000000-0000-4000-8000-000000000004', '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'))
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(Error);
      await db.knex('chassis').insert({
        uuid: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
        extra: '{}',
        created_at: new Date().toISOString(),
      });
      await db
        .knex('nodes')
        .insert(nodeRow('00000000-0000-4000-8000-000000000004', '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'));
      const held = await db
        .knex('chassis')
        .delete()
        .catch((e: unknown) => e);
      expect(held).toBeInstanceOf(Error);
      expect(await db.knex('chassis').count({ n: '*' })).toEqual([{ n: engine === 'postgres' ? '1' : 1 }]);
    });

    it('goes down again, leaving the chassis uuids on the nodes', async () => {
      await db.knex('nodes').insert(nodeRow('00000000-0000-4000-8000-000000000005', null));
      await m008.up(db.knex);
      await db.knex('chassis').insert({
        uuid: '2be26c0b-03f2-4d2e-ae87-c02d7f33c123',
        extra: '{}',
        created_at: new Date().toISOString(),
      });
      await db.knex('nodes').update({ chassis_uuid: '2be26c0b-03f2-4d2e-ae87-c02d7f33c123' });
      await m008.down(db.knex);
      expect(await db.knex.schema.hasTable('chassis')).toBe(false);
      expect(await db.knex('nodes').pluck('chassis_uuid')).toEqual(['2be26c0b-03f2-4d2e-ae87-c02d7f33c123']);
    });
  });
}
