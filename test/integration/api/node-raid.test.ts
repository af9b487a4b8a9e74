import { expect, it } from 'vitest';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

async function create(svc: TestService, body: Record<string, unknown> = {}) {
  const res = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', ...body });
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

function setRaid(svc: TestService, uuid: string, body: unknown, version = '1.12') {
  return svc.request('PUT', `/v1/nodes/${uuid}/states/raid`, body, version);
}

const CONFIG = {
  logical_disks: [
    { size_gb: 100, raid_level: '1', is_root_volume: true },
    { size_gb: 'MAX', raid_level: '5', disk_type: 'ssd', controller: 'RAID.1', physical_disks: ['d1', 'd2', 'd3'] },
  ],
};

describeOnEngines('node target RAID configuration', (svc) => {
  it('stores a valid configuration (204), shown on the node and its states from 1.12', async () => {
    const uuid = await create(svc());
    const res = await setRaid(svc(), uuid, CONFIG);
    expect(res.status, res.text).toBe(204);
    expect((await svc().request('GET', `/v1/nodes/${uuid}`, undefined, '1.12')).body.target_raid_config).toEqual(
      CONFIG,
    );
    const states = await svc().request('GET', `/v1/nodes/${uuid}/states`, undefined, '1.12');
    expect(states.body).toMatchObject({ target_raid_config: CONFIG, raid_config: {} });
    expect((await setRaid(svc(), uuid, {})).status).toBe(204);
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.target_raid_config).toEqual({});
  });

  it("refuses configurations outside Ironic's RAID schema, in its words, and keeps the old one", async () => {
    const uuid = await create(svc());
    await setRaid(svc(), uuid, CONFIG);
    const disk = { size_gb: 10, raid_level: '1' };
    const cases: [unknown, string][] = [
      [{ logical_disks: [] }, 'RAID config validation error: [] should be non-empty'],
      [{ disks: [] }, "RAID config validation error: 'logical_disks' is a required property"],
      [
        { logical_disks: [disk], x: 1 },
        "RAID config validation error: Additional properties are not allowed ('x' was unexpected)",
      ],
      [{ logical_disks: [{ size_gb: 10 }] }, "RAID config validation error: 'raid_level' is a required property"],
      [
        { logical_disks: [{ ...disk, raid_level: '7' }] },
        "RAID config validation error: '7' is not one of ['JBOD', '0', '1', '2', '5', '6', '1+0', '5+0', '6+0']",
      ],
      [{ logical_disks: [{ ...disk, size_gb: 'big' }] }, "RAID config validation error: 'big' is not one of ['MAX']"],
      [{ logical_disks: [{ ...disk, size_gb: -1 }] }, 'RAID config validation error: -1 is less than the minimum of 0'],
      [
        { logical_disks: [{ ...disk, is_root_volume: 'yes' }] },
        "RAID config validation error: 'yes' is not of type 'boolean'",
      ],
      [
        { logical_disks: [{ ...disk, number_of_physical_disks: 0 }] },
        'RAID config validation error: 0 is less than or equal to the minimum of 0',
      ],
      [
        { logical_disks: [{ ...disk, physical_disks: ['a'] }] },
        "RAID config validation error: 'controller' is a dependency of 'physical_disks'",
      ],
      [
        { logical_disks: [{ ...disk, colour: 'red' }] },
        "RAID config validation error: Additional properties are not allowed ('colour' was unexpected)",
      ],
      [
        {
          logical_disks: [
            { ...disk, is_root_volume: true },
            { ...disk, is_root_volume: true },
          ],
        },
        'Raid config cannot have more than one root volume. 2 root volumes were specified',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await setRaid(svc(), uuid, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(faultOf(res)).toBe(message);
    }
    expect((await setRaid(svc(), uuid, [disk])).status).toBe(400);
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.target_raid_config).toEqual(CONFIG);
  });

  it('answers 406 before 1.12, 404 for a node without a RAID interface, 404 for an unknown node', async () => {
    const uuid = await create(svc());
    expect((await setRaid(svc(), uuid, CONFIG, '1.11')).status).toBe(406);
    const noRaid = await create(svc(), { raid_interface: 'no-raid' });
    const res = await setRaid(svc(), noRaid, CONFIG);
    expect(res.status).toBe(404);
    expect(faultOf(res)).toBe('Driver fake-hardware does not support raid (disabled or not implemented).');
    expect((await setRaid(svc(), 'ghost', CONFIG)).status).toBe(404);
  });

  it('refuses the agent RAID interface at enrollment: the agent carries no RAID steps here', async () => {
    const res = await svc().request('POST', '/v1/nodes', {
      driver: 'redfish',
      raid_interface: 'agent',
      driver_info: { redfish_address: 'http://127.0.0.1:9', redfish_system_id: '/redfish/v1/Systems/1' },
    });
    expect(res.status, res.text).toBe(400);
    expect(faultOf(res)).toContain('agent');
  });

  it('keeps a target for the redfish RAID interface, refusing the scsi interface type Redfish cannot select', async () => {
    const res = await svc().request('POST', '/v1/nodes', {
      driver: 'redfish',
      raid_interface: 'redfish',
      driver_info: { redfish_address: 'http://127.0.0.1:9', redfish_system_id: '/redfish/v1/Systems/1' },
    });
    expect(res.status, res.text).toBe(201);
    const scsi = { logical_disks: [{ size_gb: 10, raid_level: '1', interface_type: 'scsi' }] };
    const refused = await setRaid(svc(), res.body.uuid, scsi);
    expect(refused.status).toBe(400);
    expect(faultOf(refused)).toBe('interface type `scsi` not supported by Redfish RAID');
    expect((await setRaid(svc(), res.body.uuid, CONFIG)).status).toBe(204);
    expect((await svc().request('GET', `/v1/nodes/${res.body.uuid}`)).body.target_raid_config).toEqual(CONFIG);
  });

  it("lists a driver's logical disk properties from 1.12 with Ironic's descriptions", async () => {
    const res = await svc().request('GET', '/v1/drivers/fake-hardware/raid/logical_disk_properties', undefined, '1.12');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'controller',
        'disk_type',
        'interface_type',
        'is_root_volume',
        'number_of_physical_disks',
        'physical_disks',
        'raid_level',
        'share_physical_disks',
        'size_gb',
        'volume_name',
      ].sort(),
    );
    expect(res.body.raid_level).toContain("Valid values are 'JBOD', '0', '1'");
    expect(
      (await svc().request('GET', '/v1/drivers/fake-hardware/raid/logical_disk_properties', undefined, '1.11')).status,
    ).toBe(406);
    expect(
      (await svc().request('GET', '/v1/drivers/nope/raid/logical_disk_properties', undefined, '1.12')).status,
    ).toBe(404);
  });
});
