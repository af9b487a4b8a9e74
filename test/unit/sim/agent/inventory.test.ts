// The fake agent's inventory sees disks as the OS behind a RAID controller
// does: a built volume is one block device and hides its member drives;
// drives in no volume show as they are.
import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../../../sim/agent/inventory.js';
import { hostSpec, SimHost, type SimDisk } from '../../../../sim/host/index.js';

const TB = 1_000_000_000_000;
const BUILD_MS = 1000;

function disk(id: string, type: SimDisk['type'], controller: string, protocol?: SimDisk['protocol']): SimDisk {
  return {
    id,
    model: `Sim ${type}`,
    sizeBytes: 2 * TB,
    type,
    serial: `SN-${id}`,
    controller,
    ...(protocol ? { protocol } : {}),
  };
}

/** A host on a hand-turned clock, with two SAS HDDs and an NVMe SSD on `1`, and two SATA HDDs on `2`. */
function machine(): { host: SimHost; advance: (ms: number) => void } {
  let now = 1_700_000_000_000;
  const spec = hostSpec(0, 'inv-', 1, 1);
  spec.disks = [
    disk('Disk0', 'HDD', '1', 'SAS'),
    disk('Disk1', 'HDD', '1', 'SAS'),
    disk('Disk2', 'SSD', '1'),
    disk('Disk3', 'HDD', '2'),
    disk('Disk4', 'HDD', '2'),
  ];
  const host = new SimHost(spec, { clock: () => now, volumeBuildMs: BUILD_MS });
  return { host, advance: (ms) => (now += ms) };
}

const disksOf = (host: SimHost) =>
  buildInventory(host, { bmcAddress: '127.0.0.1', bootMac: null }).disks.map((d) => [d.name, d.serial, d.size]);

describe('the agent inventory’s disks', () => {
  it('lists every drive, named as the kernel names them, while no volume exists', () => {
    const { host } = machine();
    expect(disksOf(host)).toEqual([
      ['/dev/sda', 'SN-Disk0', 2 * TB],
      ['/dev/sdb', 'SN-Disk1', 2 * TB],
      ['/dev/nvme0n1', 'SN-Disk2', 2 * TB],
      ['/dev/sdc', 'SN-Disk3', 2 * TB],
      ['/dev/sdd', 'SN-Disk4', 2 * TB],
    ]);
  });

  it('shows each built volume instead of its member drives, and free drives as they are', () => {
    const { host, advance } = machine();
    host.storage.createVolume({
      controller: '1',
      raidType: 'RAID1',
      capacityBytes: 500 * 2 ** 30,
      driveIds: ['Disk0', 'Disk1'],
    });
    host.storage.createVolume({ controller: '2', raidType: 'RAID0', driveIds: ['Disk3', 'Disk4'] });
    // While the controller builds them, the OS has no volume yet.
    expect(disksOf(host).map(([name]) => name)).toEqual([
      '/dev/sda',
      '/dev/sdb',
      '/dev/nvme0n1',
      '/dev/sdc',
      '/dev/sdd',
    ]);

    advance(BUILD_MS);
    const disks = buildInventory(host, { bmcAddress: '127.0.0.1', bootMac: null }).disks;
    expect(disks.map((d) => [d.name, d.model, d.size, d.rotational])).toEqual([
      ['/dev/sda', 'SimRAID 9460-8i', 500 * 2 ** 30, true],
      ['/dev/nvme0n1', 'Sim SSD', 2 * TB, false],
      ['/dev/sdb', 'SimRAID 9460-8i', 4 * TB, true],
    ]);
    const serials = disks.map((d) => d.serial);
    expect(serials.filter((s) => s.startsWith('SN-'))).toEqual(['SN-Disk2']);
    expect(new Set(serials).size).toBe(3);
    // The same volume keeps its serial from one inventory to the next: root device hints can name it.
    expect(disksOf(host).map(([, serial]) => serial)).toEqual(serials);

    for (const volume of host.storage.volumes) host.storage.deleteVolume(volume.id);
    expect(disksOf(host)).toHaveLength(5);
  });
});
