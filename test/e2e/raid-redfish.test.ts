// Issue 14's RAID: a node's target RAID configuration (PUT states/raid) is
// built by the raid.create_configuration clean step over Redfish Storage
// Volumes, recorded in raid_config, and taken down by
// raid.delete_configuration; a target the drives cannot hold fails the
// step before any volume is made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet, Fleet, hostSpec, SimHost } from '../../sim/host/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { drive, enroll, simHost } from './sim-nodes.js';

let sim: SimFleet;
let svc: TestService;

beforeAll(async () => {
  // Beside the fleet, a host with four like drives, two on each of two controllers.
  const split = new SimHost(hostSpec(0, 'split-', 14, 2, { disks: 4, controllers: 2 }), { volumeBuildMs: 200 });
  const fleet = new Fleet([...createFleet({ count: 8, seed: 14 }).hosts, split]);
  sim = await startSimFleet({ fleet, redfishPort: 0, ipmiBasePort: 0 });
  svc = await startTestService('sqlite', { ANVIL_POWER_STATE_CHANGE_TIMEOUT: '5' });
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
});

/** The first manifest host whose machine has `disks` drives. */
async function hostWithDisks(disks: number) {
  for (const host of sim.manifest.hosts) {
    if ((await simHost(sim, host.name)).disks.length === disks) return host;
  }
  throw new Error(`no sim host with ${disks} disks in this fleet`);
}

async function setTarget(uuid: string, logicalDisks: Record<string, unknown>[]): Promise<void> {
  const res = await svc.request('PUT', `/v1/nodes/${uuid}/states/raid`, { logical_disks: logicalDisks }, '1.15');
  expect(res.status, res.text).toBe(204);
}

const clean = (...steps: string[]) => ({
  target: 'clean',
  clean_steps: steps.map((s) => ({ interface: 'raid', step: s })),
});

describe('RAID on a Redfish node, in manual cleaning', () => {
  it('builds a RAID1 root volume over both drives, records it in raid_config, and deletes it again', async () => {
    const host = await hostWithDisks(2);
    const uuid = await enroll(svc, host, 'redfish');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    await setTarget(uuid, [{ size_gb: 100, raid_level: '1', is_root_volume: true }]);

    let node = await drive(svc, uuid, clean('delete_configuration', 'create_configuration'), 'manageable', 60_000);
    expect(node.last_error).toBeNull();
    const machine = await simHost(sim, host.name);
    expect(machine.volumes).toHaveLength(1);
    expect(machine.volumes[0]).toMatchObject({ raidType: 'RAID1', capacityBytes: 100 * 2 ** 30 });
    expect([...machine.volumes[0]!.driveIds].sort()).toEqual(machine.disks.map((d) => d.id).sort());
    node = (await svc.request('GET', `/v1/nodes/${uuid}`, undefined, '1.15')).body;
    expect(node.raid_config.logical_disks).toEqual([
      expect.objectContaining({ raid_level: '1', size_gb: 100, is_root_volume: true }),
    ]);

    node = await drive(svc, uuid, clean('delete_configuration'), 'manageable', 60_000);
    expect(node.last_error).toBeNull();
    expect((await simHost(sim, host.name)).volumes).toEqual([]);
    node = (await svc.request('GET', `/v1/nodes/${uuid}`, undefined, '1.15')).body;
    expect(node.raid_config.logical_disks).toEqual([]);
  });

  it('fails the step, with no volume made, when the drives cannot hold the target', async () => {
    const host = await hostWithDisks(1);
    const uuid = await enroll(svc, host, 'redfish');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    await setTarget(uuid, [{ size_gb: 100, raid_level: '1' }]);
    const node = await drive(svc, uuid, clean('create_configuration'), 'clean failed', 30_000);
    expect(node.last_error).toContain('cannot be built');
    expect((await simHost(sim, host.name)).volumes).toEqual([]);
  });

  it('builds each volume on one controller of a two-controller host, and refuses one that would span both', async () => {
    const host = sim.manifest.hosts.find((h) => h.name === 'split-0')!;
    const uuid = await enroll(svc, host, 'redfish', { name: 'raid-split' });
    await drive(svc, uuid, { target: 'manage' }, 'manageable');

    // Three like drives exist only across both controllers: no RAID5, and nothing half-built.
    await setTarget(uuid, [
      { size_gb: 10, raid_level: '1', is_root_volume: true },
      { size_gb: 10, raid_level: '5' },
    ]);
    let node = await drive(svc, uuid, clean('create_configuration'), 'clean failed', 30_000);
    expect(node.last_error).toContain('failed to find matching physical disks');
    expect((await simHost(sim, host.name)).volumes).toEqual([]);

    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    await setTarget(uuid, [
      { size_gb: 10, raid_level: '1', is_root_volume: true },
      { size_gb: 20, raid_level: '1' },
    ]);
    node = await drive(svc, uuid, clean('create_configuration'), 'manageable', 60_000);
    expect(node.last_error).toBeNull();
    const machine = await simHost(sim, host.name);
    const controllerOf = new Map(machine.disks.map((d) => [d.id, d.controller]));
    expect(machine.volumes.map((v) => [v.controller, v.driveIds.map((id) => controllerOf.get(id))])).toEqual([
      ['1', ['1', '1']],
      ['2', ['2', '2']],
    ]);
    node = (await svc.request('GET', `/v1/nodes/${uuid}`, undefined, '1.15')).body;
    expect(node.raid_config.logical_disks.map((d: { controller: string }) => d.controller).sort()).toEqual(['1', '2']);

    node = await drive(svc, uuid, clean('delete_configuration'), 'manageable', 60_000);
    expect(node.last_error).toBeNull();
    expect((await simHost(sim, host.name)).volumes).toEqual([]);
  });

  it('refuses RAID steps, before anything runs, on a node whose raid_interface is no-raid', async () => {
    const host = await hostWithDisks(2);
    const uuid = await enroll(svc, host, 'redfish', { raid_interface: 'no-raid', name: 'raid-refused' });
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    const res = await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, clean('create_configuration'), '1.15');
    expect(res.status, res.text).toBe(400);
    expect(res.text).toContain('node does not support this clean step');
  });
});
