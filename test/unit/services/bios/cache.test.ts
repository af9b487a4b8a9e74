import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BmcDriverRegistry, requireInterface, type BmcDriver } from '../../../../bmc-drivers/index.js';
import { BiosSettingsCache, BiosSettingsRepository } from '../../../../services/bios/index.js';
import { migrateToLatest, openDatabase, type Database } from '../../../../services/db/index.js';
import { NodeRepository } from '../../../../services/nodes/repository.js';
import { SecretBox } from '../../../../services/secrets/index.js';
import { Fleet, hostSpec, SimHost } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { createTestDatabase, type TestDatabase } from '../../../support/engines.js';
import { nodeFixture } from '../../../support/node-fixture.js';

const credentials = { username: 'admin', password: 'Redfish-pw-7' };
let sim: RedfishSim;
let registry: BmcDriverRegistry;
let tdb: TestDatabase;
let db: Database;
let nodes: NodeRepository;
let cache: BiosSettingsCache;
const opened: BmcDriver[] = [];

beforeAll(async () => {
  // sim-1's BMC publishes no attribute registry.
  const bare = hostSpec(1, 'sim-', 4, 1);
  delete bare.biosRegistry;
  sim = await startRedfishSim({
    fleet: new Fleet([new SimHost(hostSpec(0, 'sim-', 4, 1)), new SimHost(bare)]),
    credentials,
  });
  registry = new BmcDriverRegistry({ policy: { timeoutMs: 2000, attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
  tdb = await createTestDatabase('sqlite');
  db = openDatabase(tdb.url);
  await migrateToLatest(db.knex);
  nodes = new NodeRepository(db.knex, SecretBox.fromKey(Buffer.alloc(32, 5)));
  cache = new BiosSettingsCache(new BiosSettingsRepository(db.knex));
});
afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
  await sim?.close();
  await db?.close();
  await tdb?.drop();
});

function driverFor(host: string): BmcDriver {
  const driver = registry.fromAddress(`redfish+${sim.url}/redfish/v1/Systems/${host}`, credentials);
  opened.push(driver);
  return driver;
}

describe('the BIOS settings cache', () => {
  it('records a Redfish BIOS with its registry, a boolean as true/false, and nothing else until it is refreshed', async () => {
    const node = await nodes.create(nodeFixture({ bios_interface: 'redfish' }));
    expect(await cache.list(node)).toEqual([]);
    await cache.refresh(node, driverFor('sim-0'));
    const settings = new Map((await cache.list(node)).map((s) => [s.name, s]));
    expect([...settings.keys()].sort()).toEqual(Object.keys(sim.fleet.get('sim-0')!.bios).sort());
    expect(settings.get('SerialConsoleEnabled')).toMatchObject({ value: 'true', attribute_type: 'Boolean' });
    expect(settings.get('ProcCoreCount')).toMatchObject({ value: '8', attribute_type: 'Integer', read_only: true });
    expect(settings.get('ProcTurboMode')).toMatchObject({
      value: 'Enabled',
      allowable_values: ['Enabled', 'Disabled'],
      updated_at: null,
    });
  });

  it('records what a reboot applied, moving updated_at of those settings only', async () => {
    const node = await nodes.create(nodeFixture({ bios_interface: 'redfish' }));
    const driver = driverFor('sim-0');
    await cache.refresh(node, driver);
    // Ironic's API carries "False" as text; the driver types it by the registry before the BMC sees it.
    await requireInterface(driver, 'bios').applySettings({ ProcTurboMode: 'Disabled', SerialConsoleEnabled: 'False' });
    await driver.power.setPowerState('rebooting');
    await cache.refresh(node, driver);
    const after = new Map((await cache.list(node)).map((s) => [s.name, s]));
    expect(sim.fleet.get('sim-0')!.bios.SerialConsoleEnabled).toBe(false);
    expect(after.get('ProcTurboMode')).toMatchObject({ value: 'Disabled', updated_at: expect.any(String) });
    expect(after.get('SerialConsoleEnabled')).toMatchObject({ value: 'false', updated_at: expect.any(String) });
    expect(after.get('NumLock')).toMatchObject({ value: 'On', updated_at: null });
  });

  it('records settings without metadata from a BMC that publishes no registry', async () => {
    const node = await nodes.create(nodeFixture({ bios_interface: 'redfish' }));
    await cache.refresh(node, driverFor('sim-1'));
    expect(await cache.get(node, 'ProcTurboMode')).toMatchObject({
      value: 'Enabled',
      attribute_type: null,
      allowable_values: null,
      read_only: null,
    });
  });

  it('records nothing for a node whose BIOS interface is no-bios, as Ironic', async () => {
    const node = await nodes.create(nodeFixture({ bios_interface: 'no-bios' }));
    await cache.refresh(node, driverFor('sim-0'));
    expect(await cache.list(node)).toEqual([]);
  });
});
