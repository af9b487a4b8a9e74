import { expect, it } from 'vitest';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

async function node(svc: TestService, name: string) {
  return (await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', name })).body.uuid as string;
}

describeOnEngines('ports', (svc) => {
  it('creates a port, normalising the MAC, and shows it', async () => {
    const n = await node(svc(), 'p-node-1');
    const res = await svc().request('POST', '/v1/ports', {
      node_uuid: n,
      address: '52-54-00-AB-CD-01',
      pxe_enabled: true,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      address: '52:54:00:ab:cd:01',
      node_uuid: n,
      pxe_enabled: true,
      portgroup_uuid: null,
    });
    const shown = await svc().request('GET', `/v1/ports/${res.body.uuid}`);
    expect(shown.body.address).toBe('52:54:00:ab:cd:01');
  });

  it('reads "true"/"false" strings as booleans, as `port create --pxe-enabled false` sends them', async () => {
    const n = await node(svc(), 'p-node-bool');
    const res = await svc().request('POST', '/v1/ports', {
      node_uuid: n,
      address: '52:54:00:ab:cd:0e',
      pxe_enabled: 'False',
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.pxe_enabled).toBe(false);
  });

  it('accepts a node name for node_uuid, as `port create --node NAME` sends', async () => {
    const n = await node(svc(), 'p-node-named');
    const res = await svc().request('POST', '/v1/ports', { node_uuid: 'p-node-named', address: '52:54:00:ab:cd:0f' });
    expect(res.status).toBe(201);
    expect(res.body.node_uuid).toBe(n);
  });

  it('refuses a duplicate MAC with 409 MACAlreadyExists, whatever its spelling', async () => {
    const n = await node(svc(), 'p-node-2');
    await svc().request('POST', '/v1/ports', { node_uuid: n, address: '52:54:00:ab:cd:02' });
    const dup = await svc().request('POST', '/v1/ports', { node_uuid: n, address: '52:54:00:AB:CD:02' });
    expect(dup.status).toBe(409);
    expect(faultOf(dup)).toBe('A port with MAC address 52:54:00:ab:cd:02 already exists.');
  });

  it('filters by address, node and node_uuid, and an empty or bad filter matches nothing', async () => {
    const a = await node(svc(), 'p-node-3');
    const b = await node(svc(), 'p-node-4');
    await svc().request('POST', '/v1/ports', { node_uuid: a, address: '52:54:00:ab:cd:03' });
    await svc().request('POST', '/v1/ports', { node_uuid: b, address: '52:54:00:ab:cd:04' });
    const addrs = async (q: string) =>
      (await svc().request('GET', `/v1/ports?${q}`)).body.ports.map((p: { address: string }) => p.address);
    expect(await addrs('address=52:54:00:AB:CD:03')).toEqual(['52:54:00:ab:cd:03']);
    expect(await addrs(`node_uuid=${b}`)).toEqual(['52:54:00:ab:cd:04']);
    expect(await addrs('node=p-node-3')).toEqual(['52:54:00:ab:cd:03']);
    expect(await addrs('address=')).toEqual([]);
    expect(await addrs('node_uuid=')).toEqual([]);
    expect(await addrs('node=no-such-node')).toEqual([]);
    expect(await addrs('address=not-a-mac')).toEqual([]);
    const fields = await svc().request('GET', `/v1/ports?node_uuid=${a}&fields=node_uuid,address,uuid`);
    expect(Object.keys(fields.body.ports[0]).sort()).toEqual(['address', 'links', 'node_uuid', 'uuid']);
    const detail = await svc().request('GET', `/v1/ports/detail?node=p-node-4`);
    expect(detail.body.ports[0]).toHaveProperty('local_link_connection');
    const scoped = await svc().request('GET', '/v1/nodes/p-node-3/ports');
    expect(scoped.body.ports.map((p: { address: string }) => p.address)).toEqual(['52:54:00:ab:cd:03']);
  });

  it('pages ports with limit and marker', async () => {
    const n = await node(svc(), 'p-node-5');
    for (let i = 0; i < 5; i++)
      await svc().request('POST', '/v1/ports', { node_uuid: n, address: `52:54:00:ee:00:0${i}` });
    const first = await svc().request('GET', `/v1/ports?node_uuid=${n}&limit=3`);
    expect(first.body.ports).toHaveLength(3);
    expect(first.body.next).toContain('marker=');
    const next = new URL(first.body.next);
    const second = await svc().request('GET', next.pathname + next.search);
    expect(second.body.ports).toHaveLength(2);
  });

  it('patches a port and refuses a MAC change on an active node outside maintenance', async () => {
    const n = await node(svc(), 'p-node-6');
    const port = (await svc().request('POST', '/v1/ports', { node_uuid: n, address: '52:54:00:ab:cd:06' })).body;
    const res = await svc().request('PATCH', `/v1/ports/${port.uuid}`, [
      { op: 'replace', path: '/pxe_enabled', value: false },
      { op: 'add', path: '/extra/slot', value: 'a' },
      { op: 'replace', path: '/address', value: '52:54:00:ab:cd:66' },
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ pxe_enabled: false, extra: { slot: 'a' }, address: '52:54:00:ab:cd:66' });
    expect(
      (await svc().request('PATCH', `/v1/ports/${port.uuid}`, [{ op: 'replace', path: '/uuid', value: n }])).status,
    ).toBe(400);
    expect(
      (await svc().request('PATCH', `/v1/ports/${port.uuid}`, [{ op: 'replace', path: '/address', value: 'zz' }]))
        .status,
    ).toBe(400);
    for (const target of ['manage', 'provide', 'active']) {
      await svc().request('PUT', `/v1/nodes/${n}/states/provision`, { target });
      for (let i = 0; i < 100; i++) {
        const s = (await svc().request('GET', `/v1/nodes/${n}`)).body;
        if (s.target_provision_state === null && s.reservation === null) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const refused = await svc().request('PATCH', `/v1/ports/${port.uuid}`, [
      { op: 'replace', path: '/address', value: '52:54:00:ab:cd:67' },
    ]);
    expect(refused.status).toBe(409);
  });

  it('deletes a port, and 404s for an unknown one', async () => {
    const n = await node(svc(), 'p-node-7');
    const port = (await svc().request('POST', '/v1/ports', { node_uuid: n, address: '52:54:00:ab:cd:07' })).body;
    expect((await svc().request('DELETE', `/v1/ports/${port.uuid}`)).status).toBe(204);
    expect((await svc().request('DELETE', `/v1/ports/${port.uuid}`)).status).toBe(404);
  });

  it('refuses bad port input and writes nothing', async () => {
    const n = await node(svc(), 'p-node-8');
    const cases: [unknown, number][] = [
      [{ node_uuid: n, address: 'zz:zz' }, 400],
      [{ node_uuid: n }, 400],
      [{ address: '52:54:00:ab:cd:08' }, 400],
      [{ node_uuid: '00000000-0000-4000-8000-000000000000', address: '52:54:00:ab:cd:08' }, 400],
      [{ node_uuid: n, address: '52:54:00:ab:cd:08', pxe_enabled: 'yes' }, 400],
      [{ node_uuid: n, address: '52:54:00:ab:cd:08', colour: 'red' }, 400],
    ];
    for (const [body, status] of cases)
      expect((await svc().request('POST', '/v1/ports', body)).status, JSON.stringify(body)).toBe(status);
    expect((await svc().request('GET', `/v1/ports?node_uuid=${n}`)).body.ports).toEqual([]);
  });

  it('refuses to move a port to a node that does not exist with 400, as Ironic does, and keeps it', async () => {
    const n = await node(svc(), 'p-node-9');
    const port = (await svc().request('POST', '/v1/ports', { node_uuid: n, address: '52:54:00:ab:cd:09' })).body;
    const missing = '00000000-0000-4000-8000-000000000009';
    const res = await svc().request('PATCH', `/v1/ports/${port.uuid}`, [
      { op: 'replace', path: '/node_uuid', value: missing },
    ]);
    expect(res.status, res.text).toBe(400);
    expect(faultOf(res)).toBe(`Node ${missing} could not be found.`);
    expect((await svc().request('GET', `/v1/ports/${port.uuid}`)).body.node_uuid).toBe(n);
  });
});

describeOnEngines('drivers', (svc) => {
  it('lists the four hardware types, with this conductor hosting the one it runs', async () => {
    const res = await svc().request('GET', '/v1/drivers');
    const names = res.body.drivers.map((d: { name: string }) => d.name).sort();
    expect(names).toEqual(['fake-hardware', 'idrac', 'ipmi', 'redfish']);
    const fake = res.body.drivers.find((d: { name: string }) => d.name === 'fake-hardware');
    expect(fake.hosts).toHaveLength(1);
    expect(fake.type).toBe('dynamic');
  });

  it('shows a driver with its default and enabled interfaces', async () => {
    const res = await svc().request('GET', '/v1/drivers/redfish');
    expect(res.body).toMatchObject({
      name: 'redfish',
      default_power_interface: 'redfish',
      default_boot_interface: 'ipxe',
      enabled_boot_interfaces: ['ipxe', 'redfish-virtual-media', 'redfish-https'],
    });
    const detail = await svc().request('GET', '/v1/drivers?detail=True');
    expect(detail.body.drivers[0]).toHaveProperty('default_deploy_interface');
    const props = await svc().request('GET', '/v1/drivers/ipmi/properties');
    expect(props.body).toHaveProperty('ipmi_address');
  });

  it('answers 404 for an unknown driver and an empty list for classic drivers', async () => {
    expect((await svc().request('GET', '/v1/drivers/ilo4')).status).toBe(404);
    expect((await svc().request('GET', '/v1/drivers?type=classic')).body.drivers).toEqual([]);
    expect((await svc().request('GET', '/v1/drivers?type=odd')).status).toBe(400);
  });
});
