import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BmcDriverRegistry, requireInterface, type BmcDriver } from '../../../../bmc-drivers/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { NodeNotFound } from '../../../../services/errors.js';
import { FirmwareCache, FirmwareRepository } from '../../../../services/firmware/index.js';
import { NodeRepository } from '../../../../services/nodes/repository.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { createFleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { createTestDatabase, ENGINES, postgresAvailable, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const postgresUp = await postgresAvailable();

const credentials = { username: 'admin', password: 'Redfish-pw-42' };
let sim: RedfishSim;
let registry: BmcDriverRegistry;
const opened: BmcDriver[] = [];

beforeAll(async () => {
  // A sim host per engine: a firmware update changes the machine.
  sim = await startRedfishSim({
    fleet: createFleet({ count: ENGINES.length, seed: 3 }),
    credentials,
    firmwareUpdateMs: 50,
  });
  registry = new BmcDriverRegistry({ policy: { timeoutMs: 2000, attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
});
afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
  await sim?.close();
});

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-02T00:00:00.000Z');

for (const engine of ENGINES) {
  describe.skipIf(engine === 'postgres' && !postgresUp)(`the firmware component cache [${engine}]`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let nodes: NodeRepository;
    let firmware: FirmwareRepository;

    beforeAll(async () => {
      tdb = await createTestDatabase(engine);
      db = openDatabase(tdb.url);
      await migrateToLatest(db.knex);
      nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 9)));
      firmware = new FirmwareRepository(db.knex);
    });
    afterAll(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('records a first report as initial and current, and a repeated one changes nothing', async () => {
      const node = await nodes.create(nodeFixture());
      const first = await firmware.sync(
        node,
        [
          { component: 'bios', version: '1.4.2' },
          { component: 'bmc', version: '5.10' },
        ],
        T0,
      );
      expect(first).toEqual([
        expect.objectContaining({
          node_id: node.id,
          component: 'bios',
          initial_version: '1.4.2',
          current_version: '1.4.2',
          last_version_flashed: null,
          created_at: T0.toISOString(),
          updated_at: null,
        }),
        expect.objectContaining({ component: 'bmc', initial_version: '5.10', current_version: '5.10' }),
      ]);
      const again = await firmware.sync(node, [{ component: 'bios', version: '1.4.2' }], T1);
      expect(again).toEqual(first);
    });

    it('records a changed version as current and last flashed, keeping the initial one and unlisted components', async () => {
      const node = await nodes.create(nodeFixture());
      await firmware.sync(
        node,
        [
          { component: 'bios', version: '1.4.2' },
          { component: 'nic:NIC1', version: '20.1' },
        ],
        T0,
      );
      const after = await firmware.sync(node, [{ component: 'bios', version: '2.9.0' }], T1);
      expect(after).toEqual([
        expect.objectContaining({
          component: 'bios',
          initial_version: '1.4.2',
          current_version: '2.9.0',
          last_version_flashed: '2.9.0',
          created_at: T0.toISOString(),
          updated_at: T1.toISOString(),
        }),
        expect.objectContaining({ component: 'nic:NIC1', current_version: '20.1', updated_at: null }),
      ]);
    });

    it('records a component once when two readers report it at the same time', async () => {
      const node = await nodes.create(nodeFixture());
      const other = new FirmwareRepository(db.knex);
      await Promise.all([
        firmware.sync(node, [{ component: 'bmc', version: '5.10' }]),
        other.sync(node, [{ component: 'bmc', version: '5.10' }]),
      ]);
      expect(await firmware.listForNode(node.id)).toHaveLength(1);
    });

    it('records only components the BMC gives a version, by their Ironic name', async () => {
      const node = await nodes.create(nodeFixture());
      const cache = new FirmwareCache(firmware);
      const recorded = await cache.record(node, [
        { id: 'bios', name: 'bios', version: null, updateable: true },
        { id: 'bmc', name: 'bmc', version: '5.10', updateable: true },
        { id: 'nic:NIC1', name: null, version: '20.1', updateable: true },
      ]);
      expect(recorded.map((r) => r.component)).toEqual(['bmc', 'nic:NIC1']);
    });

    it('refreshes from a Redfish BMC, and records a firmware update it made as the version last flashed', async () => {
      const node = await nodes.create(nodeFixture());
      const cache = new FirmwareCache(firmware);
      const driver = registry.fromAddress(
        `redfish+${sim.url}/redfish/v1/Systems/sim-${ENGINES.indexOf(engine)}`,
        credentials,
      );
      opened.push(driver);
      await cache.refresh(node, driver);
      const before = await cache.list(node);
      expect(before.find((c) => c.component === 'bios')).toMatchObject({
        initial_version: '1.4.2',
        last_version_flashed: null,
      });

      const result = await requireInterface(driver, 'firmware').update('http://127.0.0.1:9/bios-3.0.1.bin', {
        component: 'bios',
        pollIntervalMs: 20,
      });
      expect(result.succeeded).toBe(true);
      await cache.refresh(node, driver);
      const after = await cache.list(node);
      expect(after.find((c) => c.component === 'bios')).toMatchObject({
        initial_version: '1.4.2',
        current_version: '3.0.1',
        last_version_flashed: '3.0.1',
      });
      expect(after.find((c) => c.component === 'bmc')).toEqual(before.find((c) => c.component === 'bmc'));
    });

    it("removes a node's components with the node, and refuses to record for a node that is gone", async () => {
      const node = await nodes.create(nodeFixture());
      await firmware.sync(node, [{ component: 'bios', version: '1.4.2' }]);
      await nodes.delete(node.id);
      expect(await db.knex('firmware_components').where({ node_id: node.id })).toEqual([]);
      await expect(firmware.sync(node, [{ component: 'bios', version: '1.4.2' }])).rejects.toBeInstanceOf(NodeNotFound);
    });
  });
}
