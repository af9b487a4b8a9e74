import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PowerTarget } from '../../../../bmc-drivers/index.js';
import {
  connectRedfish,
  ejectVirtualMedia,
  findVirtualMedia,
  getBiosAttributes,
  getBootDevice,
  getFirmwareVersions,
  getPendingBiosAttributes,
  getPowerState,
  inspectHardware,
  insertVirtualMedia,
  getFirmwareComponents,
  RedfishAuthError,
  RedfishClient,
  RedfishHttpError,
  RedfishTaskError,
  setBiosAttributes,
  setBootDevice,
  setPowerState,
  updateFirmware,
  type RedfishSystem,
} from '../../../../bmc-drivers/redfish/index.js';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

const credentials = { username: 'admin', password: 's3cret-pw' };
let fleet: Fleet;
let sim: RedfishSim;
const opened: RedfishSystem[] = [];

async function connect(name: string): Promise<RedfishSystem> {
  const system = await connectRedfish(`redfish+${sim.url}/redfish/v1/Systems/${name}`, credentials, {
    timeoutMs: 5000,
  });
  opened.push(system);
  return system;
}

beforeAll(async () => {
  fleet = createFleet({ count: 4, seed: 7 });
  sim = await startRedfishSim({ fleet, credentials, firmwareUpdateMs: 150 });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.client.close()));
});

afterAll(async () => {
  await sim.close();
});

describe('Redfish client against the Redfish sim', () => {
  it('resolves the system from a redfish+http address and reads its power state', async () => {
    const system = await connect('sim-0');
    expect(system.path).toBe('/redfish/v1/Systems/sim-0');
    expect(system.vendor).toBe('generic');
    expect(await getPowerState(system)).toBe('power off');
    expect(system.client.authMethod).toBe('session');
  });

  it.each<[PowerTarget, string, 'On' | 'Off']>([
    ['power on', 'On', 'On'],
    ['rebooting', 'ForceRestart', 'On'],
    ['soft rebooting', 'GracefulRestart', 'On'],
    ['soft power off', 'GracefulShutdown', 'Off'],
  ])('sets %s with ResetType %s', async (target, resetType, expected) => {
    const system = await connect('sim-1');
    if (target !== 'power on') await setPowerState(system, 'power on');
    expect(await setPowerState(system, target, { waitMs: 2000, pollIntervalMs: 20 })).toBe(resetType);
    expect(fleet.get('sim-1')?.power).toBe(expected);
  });

  it('powers off with ForceOff and skips the request when already off', async () => {
    const system = await connect('sim-1');
    await setPowerState(system, 'power on');
    expect(await setPowerState(system, 'power off')).toBe('ForceOff');
    expect(await setPowerState(system, 'power off')).toBeNull();
    expect(await getPowerState(system)).toBe('power off');
  });

  it('reboots a machine that is off by powering it on', async () => {
    const system = await connect('sim-2');
    await setPowerState(system, 'power off');
    expect(await setPowerState(system, 'rebooting')).toBe('On');
    expect(fleet.get('sim-2')?.power).toBe('On');
  });

  it('sends Nmi, PushPowerButton and PowerCycle through the raw Reset action', async () => {
    const system = await connect('sim-2');
    const target = `${system.path}/Actions/ComputerSystem.Reset`;
    await setPowerState(system, 'power on');
    await system.client.post(target, { ResetType: 'Nmi' });
    expect(fleet.get('sim-2')?.nmiCount).toBe(1);
    await system.client.post(target, { ResetType: 'PowerCycle' });
    expect(fleet.get('sim-2')?.power).toBe('On');
    await system.client.post(target, { ResetType: 'PushPowerButton' });
    expect(fleet.get('sim-2')?.power).toBe('Off');
    await system.client.post(target, { ResetType: 'ForceOn' });
    expect(fleet.get('sim-2')?.power).toBe('On');
  });

  it('sets boot devices once or persistently, with UEFI or legacy mode', async () => {
    const system = await connect('sim-3');
    await setBootDevice(system, 'pxe', { mode: 'uefi' });
    expect(await getBootDevice(system)).toEqual({ device: 'pxe', persistent: false, mode: 'uefi' });
    await setBootDevice(system, 'disk', { persistent: true, mode: 'bios' });
    expect(await getBootDevice(system)).toEqual({ device: 'disk', persistent: true, mode: 'bios' });
    await setBootDevice(system, 'cdrom');
    expect(fleet.get('sim-3')?.boot).toMatchObject({ target: 'cd', enabled: 'once', mode: 'legacy' });
    await setBootDevice(system, 'bios', { mode: 'uefi' });
    expect(fleet.get('sim-3')?.boot).toEqual({ target: 'bios-setup', enabled: 'once', mode: 'uefi' });
  });

  it('consumes a one-time PXE override at the next boot', async () => {
    const system = await connect('sim-3');
    await setPowerState(system, 'power off');
    await setBootDevice(system, 'pxe');
    await setPowerState(system, 'power on');
    expect(fleet.get('sim-3')?.lastBoot).toMatchObject({ device: 'pxe', outcome: 'booted' });
    expect(await getBootDevice(system)).toMatchObject({ device: null, persistent: null });
  });

  it('inspects vendor, CPUs, memory, NICs with MACs and link, disks', async () => {
    const system = await connect('sim-0');
    const host = fleet.get('sim-0');
    const inventory = await inspectHardware(system);
    expect(inventory).toMatchObject({
      vendor: 'Anvil Sim',
      model: 'SimServer 2U',
      serial: host?.serial,
      uuid: host?.uuid,
    });
    expect(inventory.cpu).toMatchObject({ count: 2, cores: 16, threads: 32, arch: 'x86_64' });
    expect(inventory.memoryMiB).toBe(host?.memoryMiB);
    expect(inventory.nics).toEqual(
      host?.nics.map((n) => ({ id: n.id, mac: n.mac, linkUp: n.link === 'up', speedMbps: n.speedMbps })),
    );
    expect(inventory.disks).toEqual(
      host?.disks.map((d) => ({
        id: d.id,
        model: d.model,
        sizeBytes: d.sizeBytes,
        type: d.type.toLowerCase(),
        serial: d.serial,
      })),
    );
  });

  it('inserts and ejects virtual media found under the Manager', async () => {
    const system = await connect('sim-0');
    const device = await insertVirtualMedia(system, 'http://127.0.0.1:9/deploy.iso');
    expect(device).toMatchObject({ owner: 'manager', image: 'http://127.0.0.1:9/deploy.iso', inserted: true });
    // A second insert replaces the image: the client ejects first.
    await insertVirtualMedia(system, 'https://127.0.0.1:9/other.iso');
    expect(fleet.get('sim-0')?.media).toEqual({
      image: 'https://127.0.0.1:9/other.iso',
      inserted: true,
      writeProtected: true,
    });
    expect(await ejectVirtualMedia(system)).toBe(true);
    expect(await ejectVirtualMedia(system)).toBe(false);
    expect((await findVirtualMedia(system)).inserted).toBe(false);
  });

  it('stages a BIOS change and applies it at the next reboot', async () => {
    const system = await connect('sim-1');
    await setPowerState(system, 'power on');
    await setBiosAttributes(system, { ProcTurboMode: 'Disabled', PxeRetryCount: 5 });
    expect(await getPendingBiosAttributes(system)).toEqual({ ProcTurboMode: 'Disabled', PxeRetryCount: 5 });
    expect((await getBiosAttributes(system)).ProcTurboMode).toBe('Enabled');
    await setPowerState(system, 'rebooting');
    expect(await getBiosAttributes(system)).toMatchObject({ ProcTurboMode: 'Disabled', PxeRetryCount: 5 });
    expect(await getPendingBiosAttributes(system)).toEqual({});
  });

  it('refuses an unknown BIOS attribute with a typed 400', async () => {
    const system = await connect('sim-1');
    const err = await setBiosAttributes(system, { NoSuchKnob: 'On' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedfishHttpError);
    expect(err).toMatchObject({ status: 400, messageId: 'Base.1.16.PropertyUnknown' });
  });

  it('runs SimpleUpdate as a task and sees the new version', async () => {
    const system = await connect('sim-2');
    const outcome = await updateFirmware(system, 'http://127.0.0.1:9/bios-1.9.0.bin', {
      targets: [system.path],
      pollIntervalMs: 25,
      timeoutMs: 5000,
    });
    expect(outcome.state).toBe('Completed');
    expect((await getFirmwareVersions(system)).bios).toBe('1.9.0');
    const components = await getFirmwareComponents(system);
    // Ironic's names, this system's only (the sim's UpdateService serves the whole fleet).
    expect(components.map((c) => c.id)).toEqual(['bios', 'bmc']);
    expect(components[0]).toMatchObject({ id: 'bios', version: '1.9.0' });
  });

  it('raises RedfishTaskError when the update task fails', async () => {
    const system = await connect('sim-2');
    const err = await updateFirmware(system, 'http://127.0.0.1:9/bmc-noversion.bin', {
      targets: [system.path],
      pollIntervalMs: 25,
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedfishTaskError);
    expect(err).toMatchObject({ taskState: 'Exception' });
  });

  it('answers a stale If-Match with 412 as a typed error', async () => {
    const system = await connect('sim-3');
    const before = await system.client.get(system.path);
    await setBootDevice(system, 'disk', { persistent: true });
    const err = await system.client
      .patch(system.path, { Boot: { BootSourceOverrideTarget: 'Pxe' } }, { etag: before.etag ?? '"none"' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedfishHttpError);
    expect(err).toMatchObject({ status: 412, messageId: 'Base.1.16.PreconditionFailed' });
    expect(fleet.get('sim-3')?.boot.target).toBe('hdd');
  });

  it('logs in again once when the session expires', async () => {
    const system = await connect('sim-0');
    await getPowerState(system);
    expect(sim.sessions.list().length).toBeGreaterThan(0);
    const expired = await fetch(`${sim.url}/sim/v1/sessions`, { method: 'DELETE' });
    expect(await expired.json()).toMatchObject({ expired: expect.any(Number) });
    expect(sim.sessions.list()).toHaveLength(0);
    expect(await getPowerState(system)).toBe('power off');
    expect(system.client.authMethod).toBe('session');
    expect(sim.sessions.list()).toHaveLength(1);
  });

  it('falls back to basic auth when the BMC has no SessionService', async () => {
    const basicOnly = await startRedfishSim({ fleet, credentials, sessions: false });
    try {
      const system = await connectRedfish(`redfish+${basicOnly.url}/redfish/v1/Systems/sim-0`, credentials);
      opened.push(system);
      expect(await getPowerState(system)).toBe('power off');
      expect(system.client.authMethod).toBe('basic');
    } finally {
      await basicOnly.close();
    }
  });

  it('reports wrong credentials as RedfishAuthError without leaking them', async () => {
    const client = new RedfishClient({ baseUrl: sim.url, credentials: { username: 'admin', password: 'wrong-horse' } });
    const err = await client.get('/redfish/v1/Systems').catch((e: unknown) => e);
    await client.close();
    expect(err).toBeInstanceOf(RedfishAuthError);
    expect(String((err as Error).message)).not.toContain('wrong-horse');
  });

  it('never let a BMC see two commands at once', () => {
    for (const host of fleet.hosts) expect(host.maxInFlight).toBeLessThanOrEqual(1);
    expect(fleet.hosts.some((h) => h.history.length > 0)).toBe(true);
  });
});
