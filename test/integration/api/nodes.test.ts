import { expect, it } from 'vitest';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

async function create(svc: TestService, body: Record<string, unknown>) {
  const res = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', ...body });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

describeOnEngines('nodes: create, show, list', (svc) => {
  it('creates a node in enroll with its hardware type default interfaces', async () => {
    const node = await create(svc(), { name: 'node-a', properties: { cpu_arch: 'x86_64' } });
    expect(node.provision_state).toBe('enroll');
    expect(node.power_state).toBeNull();
    expect(node.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(node.power_interface).toBe('fake');
    expect(node.properties).toEqual({ cpu_arch: 'x86_64' });
  });

  it('creates a redfish node with the redfish interfaces and an ipmi node with ipmitool ones', async () => {
    const rf = await create(svc(), {
      driver: 'redfish',
      name: 'rf-1',
      driver_info: { redfish_address: 'http://127.0.0.1:8000', redfish_system_id: '/redfish/v1/Systems/1' },
    });
    expect(rf).toMatchObject({
      driver: 'redfish',
      power_interface: 'redfish',
      boot_interface: 'ipxe',
      inspect_interface: 'redfish',
    });
    const ipmi = await create(svc(), { driver: 'ipmi', name: 'ipmi-1', driver_info: { ipmi_address: '127.0.0.1' } });
    expect(ipmi).toMatchObject({ driver: 'ipmi', power_interface: 'ipmitool', management_interface: 'ipmitool' });
  });

  it('keeps a uuid given by the client, lower-cased', async () => {
    const node = await create(svc(), { uuid: 'A1B2C3D4-0000-4000-8000-00000000000A' });
    expect(node.uuid).toBe('a1b2c3d4-0000-4000-8000-00000000000a');
  });

  it('finds a node by uuid and by name', async () => {
    const node = await create(svc(), { name: 'ns~bmh-1' });
    expect((await svc().request('GET', `/v1/nodes/${node.uuid}`)).body.name).toBe('ns~bmh-1');
    expect((await svc().request('GET', '/v1/nodes/ns~bmh-1')).body.uuid).toBe(node.uuid);
  });

  it('answers 404 for an unknown node and 400 for an identifier that is neither', async () => {
    const missing = await svc().request('GET', '/v1/nodes/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(faultOf(missing)).toContain('could not be found');
    const bad = await svc().request('GET', '/v1/nodes/bad%20name');
    expect(bad.status).toBe(400);
  });

  it('refuses a duplicate name and a duplicate uuid with 409', async () => {
    const a = await create(svc(), { name: 'dup' });
    const byName = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'dup' });
    expect(byName.status).toBe(409);
    expect(faultOf(byName)).toContain('dup');
    const byUuid = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', uuid: a.uuid });
    expect(byUuid.status).toBe(409);
  });

  it('lists the default columns, the detail and chosen fields', async () => {
    await create(svc(), { name: 'listed', resource_class: 'gold' });
    const plain = await svc().request('GET', '/v1/nodes');
    const one = plain.body.nodes.find((n: { name: string }) => n.name === 'listed');
    expect(Object.keys(one).sort()).toEqual(
      ['instance_uuid', 'links', 'maintenance', 'name', 'power_state', 'provision_state', 'uuid'].sort(),
    );
    const detail = await svc().request('GET', '/v1/nodes/detail');
    expect(detail.body.nodes.find((n: { name: string }) => n.name === 'listed').resource_class).toBe('gold');
    const viaParam = await svc().request('GET', '/v1/nodes?detail=True');
    expect(viaParam.body.nodes[0]).toHaveProperty('driver_info');
    const fields = await svc().request('GET', '/v1/nodes?fields=uuid,name,provision_state,boot_interface');
    expect(Object.keys(fields.body.nodes[0]).sort()).toEqual([
      'boot_interface',
      'links',
      'name',
      'provision_state',
      'uuid',
    ]);
    const both = await svc().request('GET', '/v1/nodes?detail=True&fields=uuid');
    expect(both.status).toBe(400);
    const unknownField = await svc().request('GET', '/v1/nodes?fields=uuid,nonsense');
    expect(unknownField.status).toBe(400);
    expect(faultOf(unknownField)).toContain('nonsense');
  });

  it('shows one node with fields', async () => {
    await create(svc(), { name: 'shown' });
    const res = await svc().request('GET', '/v1/nodes/shown?fields=name,driver');
    expect(Object.keys(res.body).sort()).toEqual(['driver', 'links', 'name']);
  });
});

describeOnEngines('nodes: pagination, sorting and filters', (svc) => {
  it('pages with limit and marker, and next links onwards until the last page', async () => {
    for (let i = 0; i < 7; i++) await create(svc(), { name: `page-${i}` });
    const seen: string[] = [];
    let path: string | null = '/v1/nodes?limit=3&fields=uuid,name';
    let pages = 0;
    while (path !== null && pages < 10) {
      const res = await svc().request('GET', path);
      expect(res.status).toBe(200);
      seen.push(...res.body.nodes.map((n: { name: string }) => n.name));
      if (res.body.next) {
        expect(res.body.next).toContain('fields=uuid%2Cname');
        expect(res.body.next).toContain('limit=3');
        path = new URL(res.body.next).pathname + new URL(res.body.next).search;
      } else {
        path = null;
      }
      pages++;
    }
    expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    expect(pages).toBe(3);
  });

  it('has no next link when the page is not full', async () => {
    const res = await svc().request('GET', '/v1/nodes?limit=100');
    expect(res.body.next).toBeUndefined();
  });

  it('sorts by a key in either direction, pages stable across equal and null values', async () => {
    const desc = await svc().request('GET', '/v1/nodes?sort_key=name&sort_dir=desc&fields=name');
    const names = desc.body.nodes.map((n: { name: string }) => n.name);
    expect(names).toEqual([...names].sort().reverse());
    // Paging by a column with NULLs and ties visits every node exactly once.
    for (let i = 0; i < 3; i++) await create(svc(), {});
    const all = (await svc().request('GET', '/v1/nodes?fields=uuid')).body.nodes.map((n: { uuid: string }) => n.uuid);
    for (const dir of ['asc', 'desc']) {
      const visited: string[] = [];
      let marker = '';
      for (let guard = 0; guard < 50; guard++) {
        const res = await svc().request('GET', `/v1/nodes?sort_key=name&sort_dir=${dir}&limit=2&fields=uuid${marker}`);
        visited.push(...res.body.nodes.map((n: { uuid: string }) => n.uuid));
        if (!res.body.next) break;
        marker = `&marker=${visited[visited.length - 1]}`;
      }
      expect([...visited].sort()).toEqual([...all].sort());
    }
  });

  it('refuses bad limits, sort keys, directions and markers', async () => {
    expect((await svc().request('GET', '/v1/nodes?limit=0')).status).toBe(400);
    expect((await svc().request('GET', '/v1/nodes?limit=-2')).status).toBe(400);
    expect((await svc().request('GET', '/v1/nodes?limit=ten')).status).toBe(400);
    expect((await svc().request('GET', '/v1/nodes?sort_key=driver_info')).status).toBe(400);
    expect((await svc().request('GET', '/v1/nodes?sort_dir=up')).status).toBe(400);
    expect((await svc().request('GET', '/v1/nodes?marker=not-a-uuid')).status).toBe(400);
    expect((await svc().request('GET', '/v1/nodes?marker=00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('caps limit at the maximum page size', async () => {
    const res = await svc().request('GET', '/v1/nodes?limit=5000');
    expect(res.status).toBe(200);
  });

  it('filters by driver, resource_class, maintenance, provision_state and associated', async () => {
    await create(svc(), {
      driver: 'ipmi',
      name: 'f-ipmi',
      resource_class: 'silver',
      driver_info: { ipmi_address: 'h' },
    });
    await create(svc(), { name: 'f-maint', maintenance: true, resource_class: 'silver' });
    const names = async (q: string) =>
      (await svc().request('GET', `/v1/nodes?${q}&fields=name`)).body.nodes.map((n: { name: string }) => n.name);
    expect(await names('driver=ipmi')).toEqual(['f-ipmi']);
    expect((await names('resource_class=silver')).sort()).toEqual(['f-ipmi', 'f-maint']);
    expect(await names('maintenance=true')).toEqual(['f-maint']);
    expect(await names('provision_state=available')).toEqual([]);
    expect((await names('associated=false')).length).toBeGreaterThan(2);
    expect(await names('associated=true')).toEqual([]);
    expect((await svc().request('GET', '/v1/nodes?provision_state=flying')).status).toBe(400);
    expect((await svc().request('GET', '/v1/nodes?maintenance=perhaps')).status).toBe(400);
  });

  it('never treats an empty filter value as match-all', async () => {
    const res = await svc().request('GET', '/v1/nodes?driver=');
    expect(res.status).toBe(200);
    expect(res.body.nodes).toEqual([]);
  });

  it('answers 406 for a filter newer than the requested version', async () => {
    expect((await svc().request('GET', '/v1/nodes?owner=x', undefined, '1.49')).status).toBe(406);
  });
});

describeOnEngines('nodes: PATCH', (svc) => {
  it('adds, replaces and removes nested keys as node set/unset do', async () => {
    const node = await create(svc(), { name: 'patched', driver_info: { a: 1 } });
    const res = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'add', path: '/driver_info/deploy_kernel', value: 'http://k' },
      { op: 'add', path: '/properties/cpus', value: 8 },
      { op: 'replace', path: '/driver_info/a', value: 2 },
      { op: 'add', path: '/extra/x', value: 'y' },
      { op: 'remove', path: '/extra/x' },
      { op: 'add', path: '/name', value: 'patched-2' },
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.body.driver_info).toEqual({ a: 2, deploy_kernel: 'http://k' });
    expect(res.body.properties).toEqual({ cpus: 8 });
    expect(res.body.extra).toEqual({});
    expect(res.body.name).toBe('patched-2');
    expect(res.body.updated_at).not.toBeNull();
  });

  it('removing a root attribute returns it to its default', async () => {
    const node = await create(svc(), { resource_class: 'x', extra: { k: 1 } });
    const res = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'remove', path: '/resource_class' },
      { op: 'remove', path: '/extra' },
    ]);
    expect(res.body.resource_class).toBeNull();
    expect(res.body.extra).toEqual({});
  });

  it('answers a patch that changes nothing with the node as it is, writing nothing', async () => {
    const node = await create(svc(), { name: 'unchanged', driver: 'fake-hardware' });
    const res = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'replace', path: '/power_interface', value: 'fake' },
      { op: 'replace', path: '/name', value: 'unchanged' },
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.body.power_interface).toBe('fake');
    expect(res.body.updated_at).toBe(node.updated_at);
  });

  it("removing an interface returns it to the driver's default", async () => {
    const node = await create(svc(), { driver: 'redfish', boot_interface: 'redfish-virtual-media' });
    const res = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'remove', path: '/boot_interface' },
      { op: 'remove', path: '/power_interface' },
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.body.boot_interface).toBe('ipxe');
    expect(res.body.power_interface).toBe('redfish');
  });

  it('refuses read-only, unknown and mandatory attributes and leaves the node unchanged', async () => {
    const node = await create(svc(), { name: 'guarded' });
    const cases: [unknown[], number, string][] = [
      [[{ op: 'replace', path: '/provision_state', value: 'active' }], 400, 'internal attribute'],
      [[{ op: 'replace', path: '/uuid', value: node.uuid }], 400, 'internal attribute'],
      [[{ op: 'add', path: '/traits', value: ['CUSTOM_X'] }], 400, 'internal attribute'],
      [[{ op: 'add', path: '/colour', value: 'red' }], 400, 'Adding a new attribute (/colour)'],
      [[{ op: 'remove', path: '/driver' }], 400, 'mandatory'],
      [[{ op: 'remove', path: '/extra/missing' }], 400, "Couldn't apply patch"],
      [[{ op: 'replace', path: '/driver_info/nope/deeper', value: 1 }], 400, "Couldn't apply patch"],
      [[{ op: 'replace', path: '/extra', value: 'not an object' }], 400, 'extra'],
      [[{ op: 'replace', path: '/name', value: 'has space' }], 400, 'name'],
      [[{ op: 'replace', path: '/power_interface', value: 'ipmitool' }], 400, 'power interface'],
      [[{ op: 'replace', path: '/driver', value: 'no-such-driver' }], 400, 'no-such-driver'],
      [[{ op: 'fly', path: '/name' }], 400, 'op'],
      [[], 400, 'at least one'],
      [
        [
          { op: 'add', path: '/extra/a', value: 1 },
          { op: 'remove', path: '/extra/zzz' },
        ],
        400,
        "Couldn't apply patch",
      ],
    ];
    for (const [patch, status, text] of cases) {
      const res = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, patch);
      expect(res.status, JSON.stringify(patch)).toBe(status);
      expect(faultOf(res)).toContain(text);
    }
    const after = await svc().request('GET', `/v1/nodes/${node.uuid}`);
    expect(after.body.extra).toEqual({});
    expect(after.body.name).toBe('guarded');
    expect(after.body.updated_at).toBeNull();
  });

  it("moves to another driver with that driver's default interfaces when asked to reset them", async () => {
    const node = await create(svc(), {});
    const res = await svc().request('PATCH', `/v1/nodes/${node.uuid}?reset_interfaces=true`, [
      { op: 'replace', path: '/driver', value: 'redfish' },
    ]);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ driver: 'redfish', power_interface: 'redfish', network_interface: 'noop' });
  });

  it('refuses interface changes in active unless in maintenance', async () => {
    const node = await create(svc(), {});
    for (const target of ['manage', 'provide', 'active']) {
      await svc().request('PUT', `/v1/nodes/${node.uuid}/states/provision`, { target });
      await waitState(svc(), node.uuid, { manage: 'manageable', provide: 'available', active: 'active' }[target]!);
    }
    const refused = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'replace', path: '/raid_interface', value: 'no-raid' },
    ]);
    expect(refused.status).toBe(409);
    await svc().request('PUT', `/v1/nodes/${node.uuid}/maintenance`, { reason: 'repair' });
    const allowed = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'replace', path: '/raid_interface', value: 'no-raid' },
    ]);
    expect(allowed.status, allowed.text).toBe(200);
  });

  it('sets instance_uuid once and answers 409 NodeAssociated on a second', async () => {
    const node = await create(svc(), {});
    const first = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'add', path: '/instance_uuid', value: '11111111-2222-4333-8444-555555555555' },
    ]);
    expect(first.status).toBe(200);
    const second = await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [
      { op: 'add', path: '/instance_uuid', value: '11111111-2222-4333-8444-666666666666' },
    ]);
    expect(second.status).toBe(409);
    expect(faultOf(second)).toContain('associated');
  });
});

describeOnEngines('nodes: DELETE', (svc) => {
  it('deletes a node in enroll, and its ports with it', async () => {
    const node = await create(svc(), {});
    const port = await svc().request('POST', '/v1/ports', { node_uuid: node.uuid, address: '52:54:00:00:de:01' });
    expect(port.status).toBe(201);
    expect((await svc().request('DELETE', `/v1/nodes/${node.uuid}`)).status).toBe(204);
    expect((await svc().request('GET', `/v1/nodes/${node.uuid}`)).status).toBe(404);
    expect((await svc().request('GET', `/v1/ports/${port.body.uuid}`)).status).toBe(404);
  });

  it('refuses to delete an active node unless in maintenance, and a protected one', async () => {
    const node = await create(svc(), {});
    for (const [target, state] of [
      ['manage', 'manageable'],
      ['provide', 'available'],
      ['active', 'active'],
    ]) {
      await svc().request('PUT', `/v1/nodes/${node.uuid}/states/provision`, { target });
      await waitState(svc(), node.uuid, state!);
    }
    const refused = await svc().request('DELETE', `/v1/nodes/${node.uuid}`);
    expect(refused.status).toBe(409);
    expect(faultOf(refused)).toContain('active');
    await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [{ op: 'replace', path: '/maintenance', value: true }]);
    await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [{ op: 'replace', path: '/protected', value: true }]);
    expect((await svc().request('DELETE', `/v1/nodes/${node.uuid}`)).status).toBe(403);
    await svc().request('PATCH', `/v1/nodes/${node.uuid}`, [{ op: 'replace', path: '/protected', value: false }]);
    expect((await svc().request('DELETE', `/v1/nodes/${node.uuid}`)).status).toBe(204);
  });

  it('answers 404 when deleting an unknown node', async () => {
    expect((await svc().request('DELETE', '/v1/nodes/ghost')).status).toBe(404);
  });
});

async function waitState(svc: TestService, uuid: string, state: string) {
  for (let i = 0; i < 250; i++) {
    const res = await svc.request('GET', `/v1/nodes/${uuid}`);
    if (res.body.provision_state === state && res.body.reservation === null) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`node ${uuid} never reached ${state}`);
}
