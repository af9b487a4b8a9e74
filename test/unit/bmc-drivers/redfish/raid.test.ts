// The redfish RAID interface against the Redfish sim over loopback: volumes
// planned the way Ironic plans them, created through followed tasks, deleted;
// impossible targets refused before any volume is made.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BmcDriverRegistry,
  InvalidRaidConfiguration,
  requireInterface,
  selectLogicalDisks,
  targetLogicalDisks,
  type BmcCallEvent,
  type BmcDriver,
  type LogicalDisk,
  type RaidInterface,
} from '../../../../bmc-drivers/index.js';
import { planRaidConfiguration } from '../../../../bmc-drivers/redfish/index.js';
import type { StorageController } from '../../../../bmc-drivers/driver.js';
import { Fleet, hostSpec, SimHost, type SimDisk } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

const GIB = 1024 ** 3;
const TB = 1_000_000_000_000;
const credentials = { username: 'admin', password: 'Raid-pw-7' };
const FAST = { pollIntervalMs: 20, timeoutMs: 10_000 };
let sim: RedfishSim;
let host: SimHost;
/** Four like drives, two on controller `1` and two on `2`. */
let split: SimHost;
let events: BmcCallEvent[];
let driver: BmcDriver;
let raid: RaidInterface;

function disk(id: string, sizeBytes: number, type: SimDisk['type'], protocol: SimDisk['protocol']): SimDisk {
  return { id, model: `Sim ${type}`, sizeBytes, type, serial: `SN-${id}`, protocol };
}

beforeAll(async () => {
  const spec = hostSpec(0, 'raid-', 3, 1);
  spec.disks = [
    disk('HDD0', 2 * TB, 'HDD', 'SAS'),
    disk('HDD1', 2 * TB, 'HDD', 'SAS'),
    disk('HDD2', 2 * TB, 'HDD', 'SAS'),
    disk('SSD0', 1 * TB, 'SSD', 'SATA'),
    disk('SSD1', 1 * TB, 'SSD', 'SATA'),
  ];
  host = new SimHost(spec, { volumeBuildMs: 150 });
  split = new SimHost(hostSpec(0, 'split-', 3, 1, { disks: 4, controllers: 2 }), { volumeBuildMs: 150 });
  sim = await startRedfishSim({ fleet: new Fleet([host, split]), credentials });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  events = [];
  const registry = new BmcDriverRegistry({
    policy: { timeoutMs: 2000, attempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
    onCall: (event) => events.push(event),
  });
  driver = registry.fromAddress(`redfish+${sim.url}/redfish/v1/Systems/raid-0`, credentials);
  raid = requireInterface(driver, 'raid');
});

afterEach(async () => {
  await driver.close();
  for (const machine of [host, split]) for (const v of machine.storage.volumes) machine.storage.deleteVolume(v.id);
});

const operations = (): string[] => events.map((e) => e.operation);

describe('redfish RAID', () => {
  it('reads the controller, its RAID levels and drives', async () => {
    const [controller, ...others] = await raid.getStorage();
    expect(others).toEqual([]);
    expect(controller?.id).toBe('1');
    expect(controller?.raidLevels).toEqual(['0', '1', '5', '6', '1+0', '5+0', '6+0']);
    expect(controller?.drives.map((d) => [d.id, d.type, d.protocol, d.sizeBytes])).toEqual([
      ['HDD0', 'hdd', 'sas', 2 * TB],
      ['HDD1', 'hdd', 'sas', 2 * TB],
      ['HDD2', 'hdd', 'sas', 2 * TB],
      ['SSD0', 'ssd', 'sata', 1 * TB],
      ['SSD1', 'ssd', 'sata', 1 * TB],
    ]);
    expect(controller?.volumes).toEqual([]);
  });

  it('builds a RAID1 root volume on two like drives it chooses, following the task, and records it as Ironic does', async () => {
    const built = await raid.createConfiguration(
      [{ size_gb: 100, raid_level: '1', is_root_volume: true, volume_name: 'root', disk_type: 'hdd' }],
      FAST,
    );
    expect(built).toEqual([
      {
        id: 'Volume1',
        name: 'root',
        raid_level: '1',
        size_gb: 100,
        controller: '1',
        physical_disks: ['HDD0', 'HDD1'],
        is_root_volume: true,
      },
    ]);
    const [volume] = host.storage.volumes;
    expect(volume).toMatchObject({ raidType: 'RAID1', capacityBytes: 100 * GIB, driveIds: ['HDD0', 'HDD1'] });
    expect(operations()).toContain('create_raid_volume');
    // The 150 ms build outlasts the 20 ms poll: the task was looked at more than once.
    expect(operations().filter((o) => o === 'get_raid_task_status').length).toBeGreaterThan(1);
    expect((await raid.getStorage())[0]?.volumes).toEqual([
      { id: 'Volume1', controller: '1', name: 'root', raidLevel: '1', sizeBytes: 100 * GIB, drives: ['HDD0', 'HDD1'] },
    ]);
  });

  it('builds a RAID0 over named drives with size MAX: whole 64 MiB stripes of the smallest drive', async () => {
    const built = await raid.createConfiguration(
      [{ size_gb: 'MAX', raid_level: '0', controller: '1', physical_disks: ['SSD0', 'SSD1'] }],
      FAST,
    );
    const stripe = 64 * 1024 * 1024;
    const expected = Math.floor(TB / stripe) * stripe * 2;
    expect(host.storage.volumes[0]).toMatchObject({ raidType: 'RAID0', capacityBytes: expected });
    expect(built[0]).toMatchObject({
      raid_level: '0',
      controller: '1',
      physical_disks: ['SSD0', 'SSD1'],
      size_gb: Math.floor(expected / GIB),
    });
  });

  it('plans every disk but builds only what create_root_volume / create_nonroot_volumes select', async () => {
    const target: LogicalDisk[] = [
      { size_gb: 50, raid_level: '1', is_root_volume: true, disk_type: 'ssd' },
      { size_gb: 500, raid_level: '5', disk_type: 'hdd' },
    ];
    const built = await raid.createConfiguration(target, { ...FAST, createRootVolume: false });
    expect(built.map((d) => [d.raid_level, d.physical_disks])).toEqual([['5', ['HDD0', 'HDD1', 'HDD2']]]);
    expect(host.storage.volumes.map((v) => v.raidType)).toEqual(['RAID5']);
  });

  it('deletes every RAID volume, following any task', async () => {
    await raid.createConfiguration(
      [
        { size_gb: 10, raid_level: '1', disk_type: 'ssd' },
        { size_gb: 10, raid_level: '0', disk_type: 'hdd', number_of_physical_disks: 3 },
      ],
      FAST,
    );
    expect(host.storage.volumes).toHaveLength(2);
    expect(await raid.deleteConfiguration(FAST)).toBe(2);
    expect(host.storage.volumes).toEqual([]);
    expect(await raid.deleteConfiguration(FAST)).toBe(0);
  });

  it('refuses impossible targets before creating any volume', async () => {
    const jobsBefore = host.storage.jobs.length;
    const impossible: Array<[LogicalDisk[], RegExp]> = [
      [[{ size_gb: 5000, raid_level: '1', disk_type: 'hdd' }], /failed to find matching physical disks/],
      [
        [{ size_gb: 5000, raid_level: '1', controller: '1', physical_disks: ['HDD0', 'HDD1'] }],
        /physical disk space \(\d+ bytes\) is not enough/,
      ],
      [[{ size_gb: 10, raid_level: '5', disk_type: 'ssd' }], /failed to find matching physical disks/],
      [[{ size_gb: 10, raid_level: '1', controller: '1', physical_disks: ['HDD0'] }], /needs 2 physical disks, not 1/],
      [[{ size_gb: 10, raid_level: '0', controller: 'RAID.Integrated.1-1' }], /controller RAID.Integrated.1-1 is not/],
      [[{ size_gb: 10, raid_level: '0', controller: '1', physical_disks: ['NVMe9'] }], /NVMe9 is not a drive/],
      [[{ size_gb: 'MAX', raid_level: '0' }], /'physical_disks' is missing/],
      [[{ size_gb: 10, raid_level: '2' }], /RAID level 2 is not supported/],
      [[{ size_gb: 10, raid_level: '0', interface_type: 'scsi' }], /scsi/],
      // Both fit alone; together the second finds the SSDs taken.
      [
        [
          { size_gb: 10, raid_level: '1', disk_type: 'ssd' },
          { size_gb: 10, raid_level: '0', disk_type: 'ssd', number_of_physical_disks: 2 },
        ],
        /failed to find matching physical disks/,
      ],
    ];
    for (const [target, message] of impossible) {
      await expect(raid.createConfiguration(target, FAST), JSON.stringify(target)).rejects.toThrow(message);
      await expect(raid.createConfiguration(target, FAST)).rejects.toBeInstanceOf(InvalidRaidConfiguration);
    }
    expect(operations()).not.toContain('create_raid_volume');
    expect(host.storage.jobs).toHaveLength(jobsBefore);
  });

  it('lets a MAX volume share drives with a sized one, as share_physical_disks allows', async () => {
    const built = await raid.createConfiguration(
      [
        {
          size_gb: 100,
          raid_level: '1',
          controller: '1',
          physical_disks: ['HDD0', 'HDD1'],
          share_physical_disks: true,
        },
        {
          size_gb: 'MAX',
          raid_level: '0',
          controller: '1',
          physical_disks: ['HDD0', 'HDD1'],
          share_physical_disks: true,
        },
      ],
      FAST,
    );
    expect(built.map((d) => [d.raid_level, d.size_gb])).toEqual([
      ['1', 100],
      ['0', Math.floor((2 * (Math.floor((2 * TB - 100 * GIB) / (64 * 1024 ** 2)) * 64 * 1024 ** 2)) / GIB)],
    ]);
  });
});

describe('the RAID clean steps’ inputs', () => {
  const target = {
    logical_disks: [
      { size_gb: 50, raid_level: '1', is_root_volume: true },
      { size_gb: 'MAX', raid_level: '0', controller: '1', physical_disks: ['SSD0'] },
    ],
  };

  it('reads a node’s target and selects root and non-root disks as Ironic does', () => {
    const disks = targetLogicalDisks(target);
    expect(selectLogicalDisks(disks)).toHaveLength(2);
    expect(selectLogicalDisks(disks, { createRootVolume: false })).toEqual([target.logical_disks[1]]);
    expect(selectLogicalDisks(disks, { createNonrootVolumes: false })).toEqual([target.logical_disks[0]]);
    expect(() => selectLogicalDisks(disks, { createRootVolume: false, createNonrootVolumes: false })).toThrow(
      'the target RAID configuration is empty after skipping root volume and skipping non-root volumes',
    );
  });

  it('refuses an empty target and disks described rather than named', () => {
    expect(() => targetLogicalDisks({})).toThrow(InvalidRaidConfiguration);
    expect(() =>
      targetLogicalDisks({
        logical_disks: [{ size_gb: 10, raid_level: '1', controller: '1', physical_disks: [{ size: '> 100' }, {}] }],
      }),
    ).toThrow(/by drive id/);
  });
});

describe('redfish RAID over two controllers', () => {
  let splitRaid: RaidInterface;
  let splitDriver: BmcDriver;

  beforeEach(() => {
    const registry = new BmcDriverRegistry({
      policy: { timeoutMs: 2000, attempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
      onCall: (event) => events.push(event),
    });
    splitDriver = registry.fromAddress(`redfish+${sim.url}/redfish/v1/Systems/split-0`, credentials);
    splitRaid = requireInterface(splitDriver, 'raid');
  });

  afterEach(async () => {
    await splitDriver.close();
  });

  it('reads each controller with its own drives', async () => {
    const controllers = await splitRaid.getStorage();
    expect(controllers.map((c) => [c.id, c.drives.map((d) => d.id)])).toEqual([
      ['1', ['Disk0', 'Disk1']],
      ['2', ['Disk2', 'Disk3']],
    ]);
  });

  it('never spreads one volume over two controllers, though their drives are alike', async () => {
    const target: LogicalDisk[][] = [
      [{ size_gb: 10, raid_level: '5' }],
      [{ size_gb: 10, raid_level: '1+0' }],
      [{ size_gb: 10, raid_level: '0', number_of_physical_disks: 3 }],
      // Two like drives are left on `2`, but the disk asks for `1`, whose drives the first takes.
      [
        { size_gb: 10, raid_level: '1', controller: '1' },
        { size_gb: 10, raid_level: '1', controller: '1' },
      ],
    ];
    for (const disks of target) {
      await expect(splitRaid.createConfiguration(disks, FAST), JSON.stringify(disks)).rejects.toThrow(
        /failed to find matching physical disks/,
      );
    }
    expect(operations()).not.toContain('create_raid_volume');
    expect(split.storage.jobs).toEqual([]);
  });

  it('refuses named drives on two controllers, or on another controller than the one named', async () => {
    await expect(
      splitRaid.createConfiguration([{ size_gb: 10, raid_level: '1', physical_disks: ['Disk1', 'Disk2'] }], FAST),
    ).rejects.toThrow('physical disks Disk1, Disk2 are on different controllers (1, 2)');
    await expect(
      splitRaid.createConfiguration(
        [{ size_gb: 10, raid_level: '1', controller: '1', physical_disks: ['Disk1', 'Disk2'] }],
        FAST,
      ),
    ).rejects.toThrow('physical disk Disk2 is not on controller 1');
    expect(split.storage.jobs).toEqual([]);
  });

  it('refuses the whole target, before any volume, when one of its controllers cannot take volumes at once', async () => {
    // A BMC whose second controller applies volume changes only at the next
    // reset: the sim behind a proxy that says so of Storage/2's Volumes.
    const proxy = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        void (async () => {
          const answer = await fetch(`${sim.url}${req.url}`, {
            method: req.method,
            headers: { Authorization: req.headers.authorization ?? '', 'Content-Type': 'application/json' },
            ...(raw === '' ? {} : { body: raw }),
          });
          let text = await answer.text();
          if (req.method === 'GET' && req.url === '/redfish/v1/Systems/split-0/Storage/2/Volumes') {
            const body = JSON.parse(text) as Record<string, unknown>;
            body['@Redfish.OperationApplyTimeSupport'] = { SupportedValues: ['OnReset'] };
            text = JSON.stringify(body);
          }
          res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(text);
        })();
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const registry = new BmcDriverRegistry({
      policy: { timeoutMs: 2000, attempts: 1, baseDelayMs: 5, maxDelayMs: 20 },
    });
    const port = (proxy.address() as AddressInfo).port;
    const quirky = registry.fromAddress(`redfish+http://127.0.0.1:${port}/redfish/v1/Systems/split-0`, credentials);
    try {
      await expect(
        requireInterface(quirky, 'raid').createConfiguration(
          [
            { size_gb: 10, raid_level: '1', controller: '1' },
            { size_gb: 10, raid_level: '1', controller: '2' },
          ],
          FAST,
        ),
      ).rejects.toThrow(/applies volume changes only at OnReset/);
      expect(split.storage.jobs).toEqual([]);
    } finally {
      await quirky.close();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('builds each volume on the controller whose drives it uses, and on the controller named', async () => {
    const built = await splitRaid.createConfiguration(
      [
        { size_gb: 10, raid_level: '1', controller: '2', is_root_volume: true },
        { size_gb: 20, raid_level: '1' },
      ],
      FAST,
    );
    expect(built.map((d) => [d.controller, d.physical_disks])).toEqual([
      ['2', ['Disk2', 'Disk3']],
      ['1', ['Disk0', 'Disk1']],
    ]);
    expect(split.storage.volumes.map((v) => [v.controller, v.raidType, v.driveIds])).toEqual([
      ['2', 'RAID1', ['Disk2', 'Disk3']],
      ['1', 'RAID1', ['Disk0', 'Disk1']],
    ]);
    expect(await splitRaid.deleteConfiguration(FAST)).toBe(2);
    expect(split.storage.volumes).toEqual([]);
  });
});

describe('planning against what each controller builds', () => {
  const drives = (controller: string, ...ids: string[]) =>
    ids.map((id) => ({ id, controller, sizeBytes: 2 * TB, type: 'hdd' as const, protocol: 'sas', serial: null }));
  // A mirroring-only controller with five drives, and a full one with three.
  const controllers: StorageController[] = [
    {
      id: 'RAID.Mirror.1',
      raidLevels: ['0', '1'],
      drives: drives('RAID.Mirror.1', 'M0', 'M1', 'M2', 'M3', 'M4'),
      volumes: [],
    },
    {
      id: 'RAID.Full.1',
      raidLevels: ['0', '1', '5', '6'],
      drives: drives('RAID.Full.1', 'F0', 'F1', 'F2'),
      volumes: [],
    },
  ];

  it('searches only the controllers that build the level', () => {
    const [plan] = planRaidConfiguration([{ size_gb: 10, raid_level: '5' }], controllers);
    expect(plan).toMatchObject({ controller: 'RAID.Full.1', physicalDisks: ['F0', 'F1', 'F2'] });
    expect(() => planRaidConfiguration([{ size_gb: 10, raid_level: '6' }], controllers)).toThrow(
      'failed to find matching physical disks',
    );
  });

  it('refuses a level the named controller does not build, and tells drives of the same id apart by controller', () => {
    expect(() =>
      planRaidConfiguration(
        [{ size_gb: 10, raid_level: '5', controller: 'RAID.Mirror.1', physical_disks: ['M0', 'M1', 'M2'] }],
        controllers,
      ),
    ).toThrow('controller RAID.Mirror.1 does not build RAID 5 (it builds 0, 1)');
    const twins: StorageController[] = [
      { id: 'A', raidLevels: ['1'], drives: drives('A', '0', '1'), volumes: [] },
      { id: 'B', raidLevels: ['1'], drives: drives('B', '0', '1'), volumes: [] },
    ];
    expect(() => planRaidConfiguration([{ size_gb: 10, raid_level: '1', physical_disks: ['0', '1'] }], twins)).toThrow(
      'physical disk 0 is on several controllers (A, B): name the controller',
    );
    const plans = planRaidConfiguration(
      [
        { size_gb: 'MAX', raid_level: '1', controller: 'B', physical_disks: ['0', '1'] },
        { size_gb: 10, raid_level: '1' },
      ],
      twins,
    );
    expect(plans.map((p) => [p.controller, p.physicalDisks])).toEqual([
      ['B', ['0', '1']],
      ['A', ['0', '1']],
    ]);
  });
});
