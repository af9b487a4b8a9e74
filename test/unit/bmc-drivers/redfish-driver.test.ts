// The redfish and idrac hardware types against the Redfish sim over loopback.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BmcAuthFailed,
  BmcDriverRegistry,
  BmcRefused,
  BmcTimeout,
  BmcUnavailable,
  DriverClosed,
  requireInterface,
  UnsupportedOperation,
  type BmcCallEvent,
  type BmcDriver,
  type PowerTarget,
} from '../../../bmc-drivers/index.js';
import { createFleet, type Fleet } from '../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../sim/redfish/index.js';

const credentials = { username: 'admin', password: 'Redfish-pw-42' };
let fleet: Fleet;
let sim: RedfishSim;
let events: BmcCallEvent[];
let registry: BmcDriverRegistry;
const opened: BmcDriver[] = [];

function newRegistry(): BmcDriverRegistry {
  return new BmcDriverRegistry({
    policy: { timeoutMs: 2000, attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    onCall: (event) => events.push(event),
  });
}

function driverFor(host: string, from: BmcDriverRegistry = registry, password = credentials.password): BmcDriver {
  const driver = from.fromAddress(`redfish+${sim.url}/redfish/v1/Systems/${host}`, {
    username: credentials.username,
    password,
  });
  opened.push(driver);
  return driver;
}

beforeAll(async () => {
  fleet = createFleet({ count: 6, seed: 11 });
  sim = await startRedfishSim({ fleet, credentials, firmwareUpdateMs: 100 });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
  for (const host of fleet.hosts) sim.faults.setHost(host.name, {});
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  events = [];
  registry = newRegistry();
});

describe('redfish driver against the Redfish sim', () => {
  it('reads and drives power through every target', async () => {
    const driver = driverFor('sim-0');
    expect(driver.name).toBe('redfish');
    expect(driver.bmc).toBe(`${new URL(sim.url).host}/redfish/v1/Systems/sim-0`);
    expect(await driver.power.getPowerState()).toBe('power off');
    const seen: Array<[PowerTarget, string]> = [];
    for (const target of [
      'power on',
      'rebooting',
      'soft rebooting',
      'soft power off',
      'power on',
      'power off',
    ] as const) {
      await driver.power.setPowerState(target, { timeoutMs: 2000 });
      seen.push([target, await driver.power.getPowerState()]);
    }
    expect(seen).toEqual([
      ['power on', 'power on'],
      ['rebooting', 'power on'],
      ['soft rebooting', 'power on'],
      ['soft power off', 'power off'],
      ['power on', 'power on'],
      ['power off', 'power off'],
    ]);
    expect(fleet.get('sim-0')?.history.map((c) => c.command)).toContain(
      'POST /redfish/v1/Systems/sim-0/Actions/ComputerSystem.Reset',
    );
  });

  it('refuses an unknown power target before any BMC call', async () => {
    const driver = driverFor('sim-0');
    const before = fleet.get('sim-0')?.history.length;
    await expect(driver.power.setPowerState('hibernate' as PowerTarget)).rejects.toBeInstanceOf(UnsupportedOperation);
    expect(fleet.get('sim-0')?.history.length).toBe(before);
    expect(events).toEqual([]);
  });

  it('sets the boot device once or persistently, in UEFI or legacy mode', async () => {
    const driver = driverFor('sim-1');
    await driver.management.setBootDevice('pxe', { mode: 'uefi' });
    expect(await driver.management.getBootDevice()).toEqual({ device: 'pxe', persistent: false, mode: 'uefi' });
    await driver.management.setBootDevice('disk', { persistent: true, mode: 'bios' });
    expect(await driver.management.getBootDevice()).toEqual({ device: 'disk', persistent: true, mode: 'bios' });
    await driver.management.setBootDevice('cdrom');
    expect(fleet.get('sim-1')?.boot).toMatchObject({ target: 'cd', enabled: 'once' });
  });

  it('injects an NMI with the Nmi reset, which a running machine takes', async () => {
    const driver = driverFor('sim-1');
    await driver.power.setPowerState('power on');
    const before = fleet.get('sim-1')!.nmiCount;
    await driver.management.injectNmi();
    expect(fleet.get('sim-1')!.nmiCount).toBe(before + 1);
  });

  it('inspects the host out of band', async () => {
    const driver = driverFor('sim-2');
    const host = fleet.get('sim-2');
    const inventory = await requireInterface(driver, 'inspect').inspectHardware();
    expect(inventory).toMatchObject({
      vendor: 'Anvil Sim',
      model: 'SimServer 2U',
      serial: host?.serial,
      memoryMiB: host?.memoryMiB,
    });
    expect(inventory.cpu).toMatchObject({ count: 2, cores: 16, arch: 'x86_64' });
    expect(inventory.nics.map((n) => [n.mac, n.linkUp])).toEqual(host?.nics.map((n) => [n.mac, n.link === 'up']));
    expect(inventory.disks.map((d) => [d.sizeBytes, d.type, d.serial])).toEqual(
      host?.disks.map((d) => [d.sizeBytes, d.type.toLowerCase(), d.serial]),
    );
  });

  it('inserts and ejects virtual media', async () => {
    const driver = driverFor('sim-2');
    const media = requireInterface(driver, 'virtualMedia');
    await media.insert('http://127.0.0.1:9/deploy.iso');
    expect(fleet.get('sim-2')?.media).toMatchObject({ image: 'http://127.0.0.1:9/deploy.iso', inserted: true });
    expect(await media.eject()).toBe(true);
    expect(await media.eject()).toBe(false);
  });

  it('stages BIOS settings that apply at the next reboot', async () => {
    const driver = driverFor('sim-3');
    const bios = requireInterface(driver, 'bios');
    await driver.power.setPowerState('power on');
    await bios.applySettings({ ProcTurboMode: 'Disabled' });
    expect(await bios.getPendingAttributes()).toEqual({ ProcTurboMode: 'Disabled' });
    expect((await bios.getAttributes()).ProcTurboMode).toBe('Enabled');
    await driver.power.setPowerState('rebooting');
    expect((await bios.getAttributes()).ProcTurboMode).toBe('Disabled');
  });

  it('refuses an unknown BIOS attribute as BmcRefused, without retrying', async () => {
    const driver = driverFor('sim-3');
    const error = await requireInterface(driver, 'bios')
      .applySettings({ NoSuchKnob: 'On' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcRefused);
    expect(error).toMatchObject({ attempts: 1, operation: 'apply_bios_settings' });
  });

  it('updates firmware, polling the task as separate calls', async () => {
    const driver = driverFor('sim-4');
    const firmware = requireInterface(driver, 'firmware');
    const result = await firmware.update('http://127.0.0.1:9/bios-2.0.1.bin', {
      targets: ['/redfish/v1/Systems/sim-4'],
      pollIntervalMs: 20,
      timeoutMs: 5000,
    });
    expect(result.state).toBe('Completed');
    expect((await firmware.getComponents()).find((c) => c.id === 'bios')).toMatchObject({
      version: '2.0.1',
      updateable: true,
    });
    const operations = events.map((e) => e.operation);
    expect(operations[0]).toBe('update_firmware');
    expect(operations.filter((o) => o === 'get_firmware_update_status').length).toBeGreaterThan(0);
  });

  it('builds an idrac driver from idrac-virtualmedia addresses', async () => {
    const driver = registry.fromAddress(`idrac-virtualmedia+${sim.url}/redfish/v1/Systems/sim-5`, credentials);
    opened.push(driver);
    expect(driver.name).toBe('idrac');
    expect(await driver.power.getPowerState()).toBe('power off');
  });
});

describe('redfish driver under faults', () => {
  it('retries 503s and gives up with BmcUnavailable after the attempts', async () => {
    const driver = driverFor('sim-5');
    await driver.power.getPowerState();
    sim.faults.setHost('sim-5', { errorRate: 1, errorStatus: 503 });
    const error = await driver.power.getPowerState().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcUnavailable);
    expect(error).toMatchObject({ attempts: 3, transient: true });
    expect(events.at(-1)).toMatchObject({ operation: 'get_power_state', outcome: 'error', attempts: 3 });
  });

  it('times out a hung BMC', async () => {
    const quick = new BmcDriverRegistry({
      policy: { timeoutMs: 150, attempts: 1 },
      onCall: (event) => events.push(event),
    });
    const driver = driverFor('sim-5', quick);
    await driver.power.getPowerState();
    sim.faults.setHost('sim-5', { hang: true });
    await expect(driver.power.getPowerState()).rejects.toBeInstanceOf(BmcTimeout);
    expect(events.at(-1)).toMatchObject({ outcome: 'timeout', attempts: 1 });
  });

  it('reports wrong credentials as BmcAuthFailed after one attempt, without the password', async () => {
    const driver = driverFor('sim-5', registry, 'wrong-Passw0rd');
    const error = await driver.power.getPowerState().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BmcAuthFailed);
    expect(error).toMatchObject({ attempts: 1, transient: false });
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain('wrong-Passw0rd');
  });

  it('never lets one BMC see two calls at once, across drivers of one registry', async () => {
    sim.faults.setHost('sim-1', { latencyMs: 15 });
    const drivers = [driverFor('sim-1'), driverFor('sim-1')];
    await Promise.all(
      drivers.flatMap((d) => [d.power.getPowerState(), d.management.getBootDevice(), d.power.getPowerState()]),
    );
    expect(fleet.get('sim-1')?.maxInFlight).toBe(1);
  });

  it('does overlap with drivers of two registries: the lock is what keeps calls apart', async () => {
    sim.faults.setHost('sim-2', { latencyMs: 40 });
    const drivers = [driverFor('sim-2'), driverFor('sim-2', newRegistry())];
    await Promise.all(drivers.flatMap((d) => [d.power.getPowerState(), d.power.getPowerState()]));
    expect(fleet.get('sim-2')?.maxInFlight).toBeGreaterThan(1);
  });

  it('logs out on close even while the first call is still logging in', async () => {
    const driver = driverFor('sim-3');
    const sessionsBefore = sim.sessions.list().length;
    const first = driver.power.getPowerState();
    await driver.close();
    expect(await first).toBe(fleet.get('sim-3')?.power === 'On' ? 'power on' : 'power off');
    expect(sim.sessions.list().length).toBe(sessionsBefore);
  });

  it('refuses calls after close', async () => {
    const driver = driverFor('sim-0');
    await driver.power.getPowerState();
    await driver.close();
    await expect(driver.power.getPowerState()).rejects.toBeInstanceOf(DriverClosed);
  });
});
