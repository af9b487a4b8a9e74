import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { startSimFleet, type SimFleet } from '../../../sim/fleet-runner.js';
import { createFleet } from '../../../sim/host/index.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

const credentials = { username: 'admin', password: 'sim-secret' };
let sim: SimFleet;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: 4, seed: 5 }), credentials });
});
afterAll(async () => {
  await sim?.close();
});

/** A redfish node for sim host `i`, enrolled as a user would from the manifest. */
async function redfishNode(svc: TestService, i: number): Promise<string> {
  const host = sim.manifest.hosts[i]!;
  const url = new URL(host.redfish.address.replace('redfish+', ''));
  const res = await svc.request('POST', '/v1/nodes', {
    driver: 'redfish',
    name: `hw-${i}-${svc.db.engine}`,
    driver_info: {
      redfish_address: `${url.protocol}//${url.host}`,
      redfish_system_id: url.pathname,
      redfish_username: credentials.username,
      redfish_password: credentials.password,
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.uuid;
}

describeOnEngines('node hardware endpoints on the Redfish sim', (svc) => {
  it('sets and reads the boot device, and lists the supported ones', async () => {
    const uuid = await redfishNode(svc(), 0);
    const set = await svc().request('PUT', `/v1/nodes/${uuid}/management/boot_device`, {
      boot_device: 'pxe',
      persistent: true,
    });
    expect(set.status, set.text).toBe(204);
    expect(sim.fleet.get('sim-0')!.boot).toMatchObject({ target: 'pxe', enabled: 'continuous' });
    expect((await svc().request('GET', `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({
      boot_device: 'pxe',
      persistent: true,
    });
    const supported = (await svc().request('GET', `/v1/nodes/${uuid}/management/boot_device/supported`)).body;
    expect(supported.supported_boot_devices).toEqual(expect.arrayContaining(['pxe', 'disk', 'cdrom', 'bios']));
    const bad = await svc().request('PUT', `/v1/nodes/${uuid}/management/boot_device`, { boot_device: 'floppy' });
    expect(bad.status).toBe(400);
    expect(faultOf(bad)).toContain('floppy');
  });

  it('lists BIOS settings verify read from the BMC, and firmware components', async () => {
    const uuid = await redfishNode(svc(), 1);
    expect((await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'manage' })).status).toBe(202);
    await eventually(
      () => svc().request('GET', `/v1/nodes/${uuid}`),
      (r) => r.body.provision_state === 'manageable' && r.body.reservation === null,
    );
    const bios = (await svc().request('GET', `/v1/nodes/${uuid}/bios?detail=True`, undefined, '1.78')).body.bios;
    expect(bios).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'ProcVirtualization', value: 'Enabled', attribute_type: 'Enumeration' }),
      ]),
    );
    const firmware = (await svc().request('GET', `/v1/nodes/${uuid}/firmware`, undefined, '1.86')).body.firmware;
    // Ironic's component names, each once, this machine's only (the sim's UpdateService serves the fleet).
    expect(firmware.map((c: { component: string }) => c.component)).toEqual(['bios', 'bmc']);
    expect(firmware[0]).toMatchObject({ component: 'bios', current_version: '1.4.2' });
    expect((await svc().request('GET', `/v1/nodes/${uuid}/firmware`, undefined, '1.85')).status).toBe(404);
  });

  it('attaches and detaches virtual media', async () => {
    const uuid = await redfishNode(svc(), 2);
    const image = 'http://127.0.0.1:1/data.iso';
    const attach = await svc().request(
      'POST',
      `/v1/nodes/${uuid}/vmedia`,
      { device_type: 'cdrom', image_url: image },
      '1.89',
    );
    expect(attach.status, attach.text).toBe(204);
    expect(sim.fleet.get('sim-2')!.media).toMatchObject({ image, inserted: true });
    expect((await svc().request('DELETE', `/v1/nodes/${uuid}/vmedia`, undefined, '1.89')).status).toBe(204);
    expect(sim.fleet.get('sim-2')!.media.inserted).toBe(false);
    const bad = await svc().request(
      'POST',
      `/v1/nodes/${uuid}/vmedia`,
      { device_type: 'floppy', image_url: image },
      '1.89',
    );
    expect(bad.status).toBe(400);
  });

  it('injects an NMI into the running machine (1.29+, an empty body)', async () => {
    // sim-0's node, enrolled by the first test.
    const uuid = (await svc().request('GET', `/v1/nodes/hw-0-${svc().db.engine}`)).body.uuid as string;
    const host = sim.fleet.get('sim-0')!;
    if (host.power !== 'On') host.powerAction('On', { bootFails: false });
    const before = host.nmiCount;
    const nmi = (body: unknown, version = '1.29') =>
      svc().request('PUT', `/v1/nodes/${uuid}/management/inject_nmi`, body, version);
    expect((await nmi({}, '1.28')).status).toBe(404);
    const bad = await nmi({ now: true });
    expect(bad.status).toBe(400);
    expect(host.nmiCount).toBe(before);
    const done = await nmi({});
    expect(done.status, done.text).toBe(204);
    expect(host.nmiCount).toBe(before + 1);
  });

  it('serves the inventory after out-of-band inspection, and 404 before it', async () => {
    const uuid = await redfishNode(svc(), 3);
    expect((await svc().request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.81')).status).toBe(404);
    await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'manage' });
    await eventually(
      () => svc().request('GET', `/v1/nodes/${uuid}`),
      (r) => r.body.provision_state === 'manageable',
      10_000,
    );
    await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'inspect' });
    const node = (
      await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r) => r.body.provision_state === 'manageable' && r.body.inspection_finished_at !== null,
        10_000,
      )
    ).body;
    expect(node.properties).toMatchObject({
      cpus: expect.any(Number),
      memory_mb: expect.any(Number),
      cpu_arch: 'x86_64',
    });
    const inv = (await svc().request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.81')).body;
    const host = sim.fleet.get('sim-3')!;
    expect(inv.inventory.interfaces.map((i: { mac_address: string }) => i.mac_address).sort()).toEqual(
      host.nics.map((n) => n.mac).sort(),
    );
    const ports = (await svc().request('GET', `/v1/ports?node_uuid=${uuid}`)).body.ports.map(
      (p: { address: string }) => p.address,
    );
    expect(ports.sort()).toEqual(host.nics.map((n) => n.mac).sort());
    // Out of band, the PXE NICs are the ports that may boot: inspection made them all so.
    const all = inv.plugin_data.all_interfaces as Record<string, { mac_address: string; pxe_enabled: boolean }>;
    expect(
      Object.values(all)
        .filter((n) => n.pxe_enabled)
        .map((n) => n.mac_address)
        .sort(),
    ).toEqual(host.nics.map((n) => n.mac).sort());
  });

  it('answers 409 while the node is locked, and keeps a fake-hardware boot device', async () => {
    const fake = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' })).body.uuid;
    expect(
      (await svc().request('PUT', `/v1/nodes/${fake}/management/boot_device`, { boot_device: 'disk' })).status,
    ).toBe(204);
    expect((await svc().request('GET', `/v1/nodes/${fake}/management/boot_device`)).body).toEqual({
      boot_device: 'disk',
      persistent: false,
    });
    const db = openDatabase(svc().db.url);
    try {
      await db.knex('nodes').where({ uuid: fake }).update({ reservation: 'busy-conductor' });
      expect(
        (await svc().request('PUT', `/v1/nodes/${fake}/management/boot_device`, { boot_device: 'pxe' })).status,
      ).toBe(409);
    } finally {
      await db.knex('nodes').where({ uuid: fake }).update({ reservation: null });
      await db.close();
    }
  });
});
