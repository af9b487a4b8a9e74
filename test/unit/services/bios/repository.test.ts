import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BiosSettingsRepository,
  type BiosSettingRecord,
  type ReportedBiosSetting,
} from '../../../../services/bios/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { NodeNotFound } from '../../../../services/errors.js';
import { NodeRepository } from '../../../../services/nodes/repository.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-02T00:00:00.000Z');
const T2 = new Date('2026-01-03T00:00:00.000Z');

function setting(name: string, value: string | null, more: Partial<ReportedBiosSetting> = {}): ReportedBiosSetting {
  return {
    name,
    value,
    attribute_type: null,
    allowable_values: null,
    lower_bound: null,
    max_length: null,
    min_length: null,
    read_only: null,
    reset_required: null,
    unique: null,
    upper_bound: null,
    ...more,
  };
}

const byName = (records: BiosSettingRecord[]) => new Map(records.map((r) => [r.name, r]));

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`the BIOS settings table [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let nodes: NodeRepository;
    let bios: BiosSettingsRepository;

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 7)));
      bios = new BiosSettingsRepository(db.knex);
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('records a first read with its registry fields, created now and never updated, and by name', async () => {
      const node = await nodes.create(nodeFixture());
      const turbo = setting('ProcTurboMode', 'Enabled', {
        attribute_type: 'Enumeration',
        allowable_values: ['Enabled', 'Disabled'],
        read_only: false,
        reset_required: true,
        unique: false,
      });
      // Redfish bounds are 64-bit: one past 32 bits must come back as written.
      const big = setting('MemoryTop', '0', { attribute_type: 'Integer', lower_bound: -1, upper_bound: 2 ** 40 });
      const recorded = await bios.sync(node, [turbo, big, setting('AssetTag', null)], T0);
      expect(recorded.map((r) => r.name)).toEqual(['AssetTag', 'MemoryTop', 'ProcTurboMode']);
      expect(byName(recorded).get('ProcTurboMode')).toEqual({
        ...turbo,
        node_id: node.id,
        created_at: T0.toISOString(),
        updated_at: null,
      });
      expect(byName(recorded).get('MemoryTop')).toMatchObject({ lower_bound: -1, upper_bound: 2 ** 40 });
      expect(byName(recorded).get('AssetTag')).toMatchObject({ value: null, read_only: null });
      expect(await bios.get(node.id, 'ProcTurboMode')).toEqual(byName(recorded).get('ProcTurboMode'));
      expect(await bios.get(node.id, 'NoSuchSetting')).toBeNull();
    });

    it('updates a changed value with updated_at, leaves unchanged ones alone, adds new ones and deletes lost ones', async () => {
      const node = await nodes.create(nodeFixture());
      await bios.sync(node, [setting('ProcTurboMode', 'Enabled'), setting('NumLock', 'On'), setting('Old', 'x')], T0);
      const after = byName(
        await bios.sync(
          node,
          [setting('ProcTurboMode', 'Disabled'), setting('NumLock', 'On'), setting('New', 'y')],
          T1,
        ),
      );
      expect([...after.keys()].sort()).toEqual(['New', 'NumLock', 'ProcTurboMode']);
      expect(after.get('ProcTurboMode')).toMatchObject({
        value: 'Disabled',
        created_at: T0.toISOString(),
        updated_at: T1.toISOString(),
      });
      expect(after.get('NumLock')).toMatchObject({ value: 'On', created_at: T0.toISOString(), updated_at: null });
      expect(after.get('New')).toMatchObject({ value: 'y', created_at: T1.toISOString(), updated_at: null });
      expect(await bios.get(node.id, 'Old')).toBeNull();
    });

    it('keeps updated_at through a read that changes no value, even when the registry describes it anew', async () => {
      const node = await nodes.create(nodeFixture());
      await bios.sync(node, [setting('PxeRetryCount', '3', { attribute_type: 'Integer', upper_bound: 10 })], T0);
      await bios.sync(node, [setting('PxeRetryCount', '4', { attribute_type: 'Integer', upper_bound: 10 })], T1);
      const [again] = await bios.sync(
        node,
        [setting('PxeRetryCount', '4', { attribute_type: 'Integer', upper_bound: 20 })],
        T2,
      );
      expect(again).toMatchObject({ value: '4', upper_bound: 20, updated_at: T1.toISOString() });
    });

    it("keeps one node's settings apart from another's", async () => {
      const a = await nodes.create(nodeFixture());
      const b = await nodes.create(nodeFixture());
      await bios.sync(a, [setting('NumLock', 'On')], T0);
      await bios.sync(b, [setting('NumLock', 'Off')], T0);
      await bios.sync(a, [], T1);
      expect(await bios.listForNode(a.id)).toEqual([]);
      expect((await bios.listForNode(b.id)).map((r) => r.value)).toEqual(['Off']);
    });

    it('records a BIOS of hundreds of settings in one refresh', async () => {
      const node = await nodes.create(nodeFixture());
      const many = Array.from({ length: 450 }, (_, i) => setting(`Attr${String(i).padStart(3, '0')}`, String(i)));
      expect(await bios.sync(node, many, T0)).toHaveLength(450);
      expect(await bios.sync(node, many.slice(0, 10), T1)).toHaveLength(10);
    });

    it("removes a node's settings with the node, and refuses to record for a node that is gone", async () => {
      const node = await nodes.create(nodeFixture());
      await bios.sync(node, [setting('NumLock', 'On')], T0);
      await nodes.delete(node.id);
      expect(await db.knex('bios_settings').where({ node_id: node.id })).toEqual([]);
      await expect(bios.sync(node, [setting('NumLock', 'On')])).rejects.toBeInstanceOf(NodeNotFound);
    });
  });
}
