// The Redfish sim's Storage over real HTTP: the controller, its drives, and
// volumes created through a task and deleted, refused as a BMC refuses them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, Fleet, hostSpec, SimHost, type SimDisk } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

const TB = 1_000_000_000_000;
const BUILD_MS = 300;
let sim: RedfishSim;
let host: SimHost;
/** A fleet host laid out with four disks over two controllers. */
let split: SimHost;

function disk(id: string, sizeBytes: number, type: SimDisk['type'] = 'HDD', protocol?: SimDisk['protocol']): SimDisk {
  return { id, model: `Sim ${type}`, sizeBytes, type, serial: `SN-${id}`, ...(protocol ? { protocol } : {}) };
}

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from('admin:password').toString('base64')}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text), headers: res.headers };
}

const STORAGE = '/redfish/v1/Systems/raid-0/Storage/1';
const drive = (id: string) => ({ '@odata.id': `${STORAGE}/Drives/${id}` });

async function untilDone(monitor: string): Promise<any> {
  for (let i = 0; i < 50; i++) {
    const res = await call('GET', monitor);
    if (res.status === 200) return res.body;
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${monitor} never finished`);
}

beforeAll(async () => {
  const spec = hostSpec(0, 'raid-', 1, 1);
  spec.disks = [
    disk('Disk0', 2 * TB, 'HDD', 'SAS'),
    disk('Disk1', 2 * TB, 'HDD', 'SAS'),
    disk('Disk2', 1 * TB, 'SSD'),
    disk('Disk3', 1 * TB, 'SSD'),
  ];
  host = new SimHost(spec, { volumeBuildMs: BUILD_MS });
  const fleet = createFleet({ count: 1, prefix: 'split-', storage: { disks: 4, controllers: 2 } });
  split = fleet.get('split-0')!;
  sim = await startRedfishSim({ fleet: new Fleet([host, split]) });
});

afterAll(async () => {
  await sim.close();
});

describe('Redfish sim Storage', () => {
  it('links Storage from the System and shows the controller with its RAID types and drives', async () => {
    const system = await call('GET', '/redfish/v1/Systems/raid-0');
    expect(system.body.Storage).toEqual({ '@odata.id': '/redfish/v1/Systems/raid-0/Storage' });
    const list = await call('GET', '/redfish/v1/Systems/raid-0/Storage');
    expect(list.body.Members).toEqual([{ '@odata.id': STORAGE }]);
    const storage = await call('GET', STORAGE);
    expect(storage.status).toBe(200);
    expect(storage.body.StorageControllers[0].SupportedRAIDTypes).toEqual([
      'RAID0',
      'RAID1',
      'RAID5',
      'RAID6',
      'RAID10',
      'RAID50',
      'RAID60',
    ]);
    expect(storage.body.Drives).toHaveLength(4);
    expect(storage.body.Volumes).toEqual({ '@odata.id': `${STORAGE}/Volumes` });
    const sas = await call('GET', `${STORAGE}/Drives/Disk0`);
    expect(sas.body).toMatchObject({ Id: 'Disk0', CapacityBytes: 2 * TB, MediaType: 'HDD', Protocol: 'SAS' });
    expect((await call('GET', `${STORAGE}/Drives/Disk2`)).body).toMatchObject({ MediaType: 'SSD', Protocol: 'NVMe' });
    const volumes = await call('GET', `${STORAGE}/Volumes`);
    expect(volumes.body['Members@odata.count']).toBe(0);
    expect(volumes.body['@Redfish.OperationApplyTimeSupport'].SupportedValues).toEqual(['Immediate']);
    expect((await call('GET', '/redfish/v1/Systems/raid-0/Storage/2')).status).toBe(404);
  });

  it('creates a RAID1 volume through a task: 202, running, then the volume shows; then deletes it', async () => {
    const created = await call('POST', `${STORAGE}/Volumes`, {
      RAIDType: 'RAID1',
      CapacityBytes: 500_000_000_000,
      Links: { Drives: [drive('Disk0'), drive('Disk1')] },
      Name: 'root',
      '@Redfish.OperationApplyTime': 'Immediate',
    });
    expect(created.status).toBe(202);
    const monitor = created.headers.get('location') ?? '';
    expect(monitor).toBe('/redfish/v1/TaskService/TaskMonitors/raid-0.volume1');
    expect(created.body).toBeNull();
    expect((await call('GET', monitor)).body.TaskState).toBe('Running');
    // Not there while it builds, but its drives are already taken.
    expect((await call('GET', `${STORAGE}/Volumes`)).body.Members).toEqual([]);
    expect(host.storage.freeBytes('Disk0')).toBe(2 * TB - 500_000_000_000);

    const task = await untilDone(monitor);
    expect(task).toMatchObject({ TaskState: 'Completed', TaskStatus: 'OK', PercentComplete: 100 });
    expect((await call('GET', '/redfish/v1/TaskService/Tasks/raid-0.volume1')).body.TaskState).toBe('Completed');
    const list = await call('GET', `${STORAGE}/Volumes`);
    expect(list.body.Members).toEqual([{ '@odata.id': `${STORAGE}/Volumes/Volume1` }]);
    const volume = await call('GET', `${STORAGE}/Volumes/Volume1`);
    expect(volume.body).toMatchObject({
      Id: 'Volume1',
      Name: 'root',
      RAIDType: 'RAID1',
      CapacityBytes: 500_000_000_000,
      Links: { Drives: [drive('Disk0'), drive('Disk1')] },
    });
    expect((await call('GET', `${STORAGE}/Drives/Disk0`)).body.Links.Volumes).toEqual([
      { '@odata.id': `${STORAGE}/Volumes/Volume1` },
    ]);
    expect(host.snapshot().volumes).toHaveLength(1);

    expect((await call('DELETE', `${STORAGE}/Volumes/Volume1`)).status).toBe(204);
    expect((await call('GET', `${STORAGE}/Volumes`)).body.Members).toEqual([]);
    expect((await call('DELETE', `${STORAGE}/Volumes/Volume1`)).status).toBe(404);
    expect(host.storage.freeBytes('Disk0')).toBe(2 * TB);
  });

  it('takes all the space left when no capacity is given, and lets a drive back two volumes while it has room', async () => {
    const first = await call('POST', `${STORAGE}/Volumes`, {
      RAIDType: 'RAID0',
      CapacityBytes: 400_000_000_000,
      Links: { Drives: [drive('Disk2'), drive('Disk3')] },
    });
    expect(first.status).toBe(202);
    const second = await call('POST', `${STORAGE}/Volumes`, {
      RAIDType: 'RAID1',
      Links: { Drives: [drive('Disk2'), drive('Disk3')] },
    });
    expect(second.status).toBe(202);
    await untilDone(second.headers.get('location') ?? '');
    const volumes = host.storage.volumes;
    expect(volumes.map((v) => [v.raidType, v.capacityBytes])).toEqual([
      ['RAID0', 400_000_000_000],
      ['RAID1', TB - 200_000_000_000],
    ]);
    const full = await call('POST', `${STORAGE}/Volumes`, {
      RAIDType: 'RAID0',
      Links: { Drives: [drive('Disk2')] },
    });
    expect(full.status).toBe(400);
    expect(full.body.error['@Message.ExtendedInfo'][0].Message).toMatch(/holds at most 0 bytes/);
    for (const v of volumes) expect((await call('DELETE', `${STORAGE}/Volumes/${v.id}`)).status).toBe(204);
  });

  it('refuses what a controller refuses, and creates nothing', async () => {
    const refusals: Array<[unknown, number, RegExp]> = [
      [{ RAIDType: 'RAID1', Links: { Drives: [drive('Disk0')] } }, 400, /RAID1 needs 2 drives, not 1/],
      [{ RAIDType: 'RAID5', Links: { Drives: [drive('Disk0'), drive('Disk1')] } }, 400, /RAID5 needs 3 to 32/],
      [
        { RAIDType: 'RAID10', Links: { Drives: ['Disk0', 'Disk1', 'Disk2', 'Disk3'].slice(0, 3).map(drive) } },
        400,
        /even number/,
      ],
      [
        { RAIDType: 'RAID1', CapacityBytes: 3 * TB, Links: { Drives: [drive('Disk0'), drive('Disk1')] } },
        400,
        /holds at most 2000000000000 bytes, not 3000000000000/,
      ],
      [{ RAIDType: 'RAID0', Links: { Drives: [drive('Disk9')] } }, 400, /no drive Disk9/],
      [{ RAIDType: 'RAID0', Links: { Drives: [drive('Disk0'), drive('Disk0')] } }, 400, /more than once/],
      [{ RAIDType: 'RAID7', Links: { Drives: [drive('Disk0')] } }, 400, /RAIDType is not one of/],
      [{ RAIDType: 'RAID0' }, 400, /Links\.Drives/],
      [
        { RAIDType: 'RAID0', Links: { Drives: [{ '@odata.id': '/redfish/v1/Systems/x/Storage/1/Drives/Disk0' }] } },
        400,
        /not a drive of this storage/,
      ],
      [{ RAIDType: 'RAID0', CapacityBytes: -1, Links: { Drives: [drive('Disk0')] } }, 400, /positive integer/],
      [
        { RAIDType: 'RAID0', Links: { Drives: [drive('Disk0')] }, '@Redfish.OperationApplyTime': 'OnReset' },
        400,
        /applies at once/,
      ],
    ];
    for (const [body, status, message] of refusals) {
      const res = await call('POST', `${STORAGE}/Volumes`, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error['@Message.ExtendedInfo'][0].Message).toMatch(message);
    }
    expect(host.storage.jobs.length).toBe(3);
    expect(host.storage.freeBytes('Disk0')).toBe(2 * TB);
  });

  it('accepts the older top-level Drives list', async () => {
    const res = await call('POST', `${STORAGE}/Volumes`, { RAIDType: 'RAID0', Drives: [drive('Disk1')] });
    expect(res.status).toBe(202);
    await untilDone(res.headers.get('location') ?? '');
    const [volume] = host.storage.volumes;
    expect(volume).toMatchObject({ raidType: 'RAID0', capacityBytes: 2 * TB, driveIds: ['Disk1'] });
    expect((await call('DELETE', `${STORAGE}/Volumes/${volume?.id}`)).status).toBe(204);
    expect((await call('GET', '/redfish/v1/TaskService/Tasks/raid-0.volume99')).status).toBe(404);
  });
});

describe('Redfish sim Storage over two controllers', () => {
  const SYSTEM = '/redfish/v1/Systems/split-0';

  it('gives a fleet laid out with two controllers a Storage for each, with its own drives', async () => {
    expect(() => createFleet({ count: 1, storage: { disks: 1, controllers: 2 } })).toThrow(RangeError);
    expect((await call('GET', `${SYSTEM}/Storage`)).body.Members).toEqual([
      { '@odata.id': `${SYSTEM}/Storage/1` },
      { '@odata.id': `${SYSTEM}/Storage/2` },
    ]);
    const drives = async (id: string) => (await call('GET', `${SYSTEM}/Storage/${id}`)).body.Drives;
    expect(await drives('1')).toEqual([
      { '@odata.id': `${SYSTEM}/Storage/1/Drives/Disk0` },
      { '@odata.id': `${SYSTEM}/Storage/1/Drives/Disk1` },
    ]);
    expect(await drives('2')).toEqual([
      { '@odata.id': `${SYSTEM}/Storage/2/Drives/Disk2` },
      { '@odata.id': `${SYSTEM}/Storage/2/Drives/Disk3` },
    ]);
    expect((await call('GET', `${SYSTEM}/Storage/1/Drives/Disk2`)).status).toBe(404);
    const [a, b, c, d] = split.disks;
    expect([a, b, c, d].map((x) => [x?.type, x?.sizeBytes])).toEqual(Array(4).fill([a?.type, a?.sizeBytes]));
  });

  it('builds a volume only over its own drives, and shows it under its own Storage only', async () => {
    const own = (id: string, disk: string) => ({ '@odata.id': `${SYSTEM}/Storage/${id}/Drives/${disk}` });
    const across = await call('POST', `${SYSTEM}/Storage/1/Volumes`, {
      RAIDType: 'RAID1',
      Links: { Drives: [own('1', 'Disk1'), own('2', 'Disk2')] },
    });
    expect(across.status).toBe(400);
    // Another controller's drive, even named under this controller's path, is not this controller's.
    const smuggled = await call('POST', `${SYSTEM}/Storage/1/Volumes`, {
      RAIDType: 'RAID1',
      Links: { Drives: [own('1', 'Disk1'), own('1', 'Disk2')] },
    });
    expect(smuggled.status).toBe(400);
    expect(smuggled.body.error['@Message.ExtendedInfo'][0].Message).toMatch(/no drive Disk2 on controller 1/);
    expect(split.storage.jobs).toEqual([]);

    const created = await call('POST', `${SYSTEM}/Storage/2/Volumes`, {
      RAIDType: 'RAID1',
      CapacityBytes: 10 * 1024 ** 3,
      Links: { Drives: [own('2', 'Disk2'), own('2', 'Disk3')] },
    });
    expect(created.status).toBe(202);
    const task = await untilDone(created.headers.get('location') ?? '');
    expect(task.Payload.HttpHeaders).toEqual([`Location: ${SYSTEM}/Storage/2/Volumes/Volume1`]);
    expect((await call('GET', `${SYSTEM}/Storage/1/Volumes`)).body.Members).toEqual([]);
    expect((await call('GET', `${SYSTEM}/Storage/2/Volumes`)).body.Members).toEqual([
      { '@odata.id': `${SYSTEM}/Storage/2/Volumes/Volume1` },
    ]);
    expect((await call('GET', `${SYSTEM}/Storage/2/Volumes/Volume1`)).body.Links.Drives).toEqual([
      own('2', 'Disk2'),
      own('2', 'Disk3'),
    ]);
    expect((await call('DELETE', `${SYSTEM}/Storage/1/Volumes/Volume1`)).status).toBe(404);
    expect((await call('DELETE', `${SYSTEM}/Storage/2/Volumes/Volume1`)).status).toBe(204);
  });
});
