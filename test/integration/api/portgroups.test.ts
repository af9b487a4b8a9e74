import { expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

const V = '1.34';

async function node(svc: TestService, name: string): Promise<string> {
  return (await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', name }, V)).body.uuid as string;
}

async function group(svc: TestService, nodeUuid: string, body: Record<string, unknown> = {}) {
  const res = await svc.request('POST', '/v1/portgroups', { node_uuid: nodeUuid, ...body }, V);
  expect(res.status, res.text).toBe(201);
  return res.body as { uuid: string; name: string | null; address: string | null };
}

async function port(svc: TestService, body: Record<string, unknown>) {
  return svc.request('POST', '/v1/ports', body, V);
}

/** Writes behind the API's back, for states and data the API would refuse to make. */
async function onDatabase(svc: TestService, work: (knex: ReturnType<typeof openDatabase>['knex']) => Promise<unknown>) {
  const db = openDatabase(svc.db.url);
  try {
    await work(db.knex);
  } finally {
    await db.close();
  }
}

describeOnEngines('port groups', (svc) => {
  it('creates a group with Ironic’s defaults and shows it by uuid and by name, with its ports link', async () => {
    const n = await node(svc(), 'pg-node-1');
    const res = await svc().request(
      'POST',
      '/v1/portgroups',
      { node_uuid: n, address: '52-54-00-AA-00-01', name: 'bond0' },
      '1.26',
    );
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toMatch(new RegExp(`/v1/portgroups/${res.body.uuid}$`));
    expect(res.body).toMatchObject({
      address: '52:54:00:aa:00:01',
      name: 'bond0',
      node_uuid: n,
      mode: 'active-backup',
      properties: {},
      extra: {},
      internal_info: {},
      standalone_ports_supported: true,
      updated_at: null,
    });
    expect(res.body.ports[0].href).toMatch(new RegExp(`/v1/portgroups/${res.body.uuid}/ports$`));
    const byName = await svc().request('GET', '/v1/portgroups/bond0', undefined, '1.23');
    expect(byName.body.uuid).toBe(res.body.uuid);
    // mode and properties came with 1.26, but Ironic shows them at every version with port groups.
    expect(byName.body).toMatchObject({ mode: 'active-backup', properties: {} });
  });

  it('takes /properties after another operation below 1.26, and refuses it first, as Ironic does', async () => {
    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', name: 'pg-old-patch' })).body;
    const group = await svc().request('POST', '/v1/portgroups', { node_uuid: node.uuid }, '1.23');
    expect(group.status, group.text).toBe(201);
    const first = await svc().request(
      'PATCH',
      `/v1/portgroups/${group.body.uuid}`,
      [{ op: 'add', path: '/properties/k', value: 'v' }],
      '1.23',
    );
    expect(first.status).toBe(406);
    const after = await svc().request(
      'PATCH',
      `/v1/portgroups/${group.body.uuid}`,
      [
        { op: 'add', path: '/extra/k', value: 'v' },
        { op: 'add', path: '/properties/k', value: 'v' },
      ],
      '1.23',
    );
    expect(after.status, after.text).toBe(200);
    expect(after.body).toMatchObject({ extra: { k: 'v' }, properties: { k: 'v' } });
  });

  it('makes a group without an address, as many as asked, each with a null address', async () => {
    const n = await node(svc(), 'pg-node-2');
    const a = await group(svc(), n);
    const b = await group(svc(), n);
    expect([a.address, b.address]).toEqual([null, null]);
  });

  it('hides its endpoints from versions before they existed: 404 before 1.23, and 1.24 for the nested ones', async () => {
    const n = await node(svc(), 'pg-node-3');
    const g = await group(svc(), n);
    expect((await svc().request('GET', '/v1/portgroups', undefined, '1.22')).status).toBe(404);
    expect((await svc().request('POST', '/v1/portgroups', { node_uuid: n }, '1.22')).status).toBe(404);
    expect((await svc().request('GET', `/v1/nodes/${n}/portgroups`, undefined, '1.23')).status).toBe(404);
    expect((await svc().request('GET', `/v1/portgroups/${g.uuid}/ports`, undefined, '1.23')).status).toBe(404);
    const v1 = async (version: string) => (await svc().request('GET', '/v1/', undefined, version)).body;
    expect(await v1('1.22')).not.toHaveProperty('portgroups');
    expect((await v1('1.23')).portgroups[0].href).toMatch(/\/v1\/portgroups\/$/);
  });

  it('refuses duplicates with 409 and bad input with 400 or 406, and writes nothing', async () => {
    const n = await node(svc(), 'pg-node-4');
    const g = await group(svc(), n, { address: '52:54:00:aa:00:04', name: 'pg-dup' });
    const dupMac = await svc().request('POST', '/v1/portgroups', { node_uuid: n, address: '52:54:00:AA:00:04' }, V);
    expect(dupMac.status).toBe(409);
    expect(faultOf(dupMac)).toBe('A portgroup with MAC address 52:54:00:aa:00:04 already exists.');
    const dupName = await svc().request('POST', '/v1/portgroups', { node_uuid: n, name: 'pg-dup' }, V);
    expect(dupName.status).toBe(409);
    expect(faultOf(dupName)).toBe('A portgroup with name pg-dup already exists.');
    const dupUuid = await svc().request('POST', '/v1/portgroups', { node_uuid: n, uuid: g.uuid }, V);
    expect(dupUuid.status).toBe(409);
    expect(faultOf(dupUuid)).toBe(`A portgroup with UUID ${g.uuid} already exists.`);
    const badName = await svc().request('POST', '/v1/portgroups', { node_uuid: n, name: 'a b' }, V);
    expect(badName.status).toBe(400);
    expect(faultOf(badName)).toBe("Cannot create portgroup with invalid name 'a b'");
    const missing = '00000000-0000-4000-8000-0000000000a4';
    const noNode = await svc().request('POST', '/v1/portgroups', { node_uuid: missing }, V);
    expect(noNode.status).toBe(400);
    expect(faultOf(noNode)).toBe(`Node ${missing} could not be found.`);
    const cases: [unknown, string, number][] = [
      [{ node_uuid: n, address: 'zz' }, V, 400],
      [{ address: '52:54:00:aa:00:44' }, V, 400],
      [{ node_uuid: n, colour: 'red' }, V, 400],
      [{ node_uuid: n, standalone_ports_supported: 'maybe' }, V, 400],
      [{ node_uuid: n, extra: [] }, V, 400],
      [{ node_uuid: n, mode: '802.3ad' }, '1.25', 406],
      [{ node_uuid: n, properties: { miimon: 100 } }, '1.25', 406],
    ];
    for (const [body, version, status] of cases)
      expect((await svc().request('POST', '/v1/portgroups', body, version)).status, JSON.stringify(body)).toBe(status);
    const listed = await svc().request('GET', `/v1/portgroups?node=${n}`, undefined, V);
    expect(listed.body.portgroups.map((p: { uuid: string }) => p.uuid)).toEqual([g.uuid]);
  });

  it('lists uuid, address and name by default, everything with detail, and what fields= names', async () => {
    const n = await node(svc(), 'pg-node-5');
    const g = await group(svc(), n, { address: '52:54:00:aa:00:05', name: 'pg-list' });
    const list = await svc().request('GET', `/v1/portgroups?node=${n}`, undefined, V);
    expect(Object.keys(list.body.portgroups[0]).sort()).toEqual(['address', 'links', 'name', 'uuid']);
    const detail = await svc().request('GET', `/v1/portgroups/detail?node=${n}`, undefined, '1.26');
    expect(detail.body.portgroups[0]).toMatchObject({ uuid: g.uuid, mode: 'active-backup', node_uuid: n });
    const fields = await svc().request('GET', `/v1/portgroups?node=${n}&fields=uuid,node_uuid`, undefined, V);
    expect(Object.keys(fields.body.portgroups[0]).sort()).toEqual(['links', 'node_uuid', 'uuid']);
    expect((await svc().request('GET', `/v1/portgroups?fields=mode`, undefined, '1.25')).status).toBe(406);
    expect((await svc().request('GET', `/v1/portgroups?fields=colour`, undefined, V)).status).toBe(400);
    expect((await svc().request('GET', `/v1/portgroups?detail=true&fields=uuid`, undefined, V)).status).toBe(400);
    const shown = await svc().request('GET', `/v1/portgroups/${g.uuid}?fields=address`, undefined, V);
    expect(shown.body).toEqual({ address: '52:54:00:aa:00:05', links: expect.any(Array) });
  });

  it('filters by node or address, one at a time, and a filter that matches nothing gives an empty list', async () => {
    const a = await node(svc(), 'pg-node-6a');
    const b = await node(svc(), 'pg-node-6b');
    const ga = await group(svc(), a, { address: '52:54:00:aa:00:06' });
    const gb = await group(svc(), b);
    const uuids = async (q: string) =>
      (await svc().request('GET', `/v1/portgroups?${q}`, undefined, V)).body.portgroups.map(
        (p: { uuid: string }) => p.uuid,
      );
    expect(await uuids('node=pg-node-6a')).toEqual([ga.uuid]);
    expect(await uuids(`node=${b}`)).toEqual([gb.uuid]);
    expect(await uuids('address=52:54:00:AA:00:06')).toEqual([ga.uuid]);
    expect(await uuids('address=')).toEqual([]);
    expect(await uuids('address=not-a-mac')).toEqual([]);
    expect(await uuids('node=no-such-node')).toEqual([]);
    const both = await svc().request('GET', `/v1/portgroups?node=${a}&address=52:54:00:aa:00:06`, undefined, V);
    expect(both.status).toBe(400);
    expect(faultOf(both)).toBe('Filtering by node, address, or shard simultaneously is not supported.');
    const scoped = await svc().request('GET', `/v1/nodes/pg-node-6b/portgroups`, undefined, '1.24');
    expect(scoped.body.portgroups.map((p: { uuid: string }) => p.uuid)).toEqual([gb.uuid]);
    const scopedDetail = await svc().request('GET', `/v1/nodes/${b}/portgroups/detail`, undefined, '1.24');
    expect(scopedDetail.body.portgroups[0]).toHaveProperty('standalone_ports_supported', true);
    expect((await svc().request('GET', `/v1/nodes/no-such-node/portgroups`, undefined, '1.24')).status).toBe(404);
  });

  it('pages with limit and marker, and sorts by a column but not by a document or a field too new', async () => {
    const n = await node(svc(), 'pg-node-7');
    for (let i = 0; i < 5; i++) await group(svc(), n, { name: `pg-page-${i}` });
    const first = await svc().request(
      'GET',
      `/v1/portgroups?node=${n}&limit=3&sort_key=name&sort_dir=desc`,
      undefined,
      V,
    );
    expect(first.body.portgroups.map((p: { name: string }) => p.name)).toEqual(['pg-page-4', 'pg-page-3', 'pg-page-2']);
    const next = new URL(first.body.next);
    expect(next.pathname).toBe('/v1/portgroups');
    const second = await svc().request('GET', next.pathname + next.search, undefined, V);
    expect(second.body.portgroups.map((p: { name: string }) => p.name)).toEqual(['pg-page-1', 'pg-page-0']);
    expect(second.body).not.toHaveProperty('next');
    expect((await svc().request('GET', '/v1/portgroups?sort_key=extra', undefined, V)).status).toBe(400);
    expect((await svc().request('GET', '/v1/portgroups?sort_key=mode', undefined, '1.25')).status).toBe(406);
  });

  it('patches address, extra and properties, and refuses what Ironic refuses', async () => {
    const n = await node(svc(), 'pg-node-8');
    const g = await group(svc(), n, { address: '52:54:00:aa:00:08', extra: { foo: 'bar', open: 'stack' } });
    await group(svc(), n, { address: '52:54:00:aa:00:88' });
    const res = await svc().request(
      'PATCH',
      `/v1/portgroups/${g.uuid}`,
      [
        { op: 'replace', path: '/address', value: '52:54:00:AA:00:80' },
        { op: 'remove', path: '/extra/foo' },
        { op: 'add', path: '/properties/miimon', value: 100 },
        { op: 'replace', path: '/mode', value: '802.3ad' },
        { op: 'replace', path: '/name', value: 'bond-8' },
      ],
      '1.26',
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      address: '52:54:00:aa:00:80',
      extra: { open: 'stack' },
      properties: { miimon: 100 },
      mode: '802.3ad',
      name: 'bond-8',
    });
    expect(res.body.updated_at).not.toBeNull();
    const patch = (ops: unknown, version = '1.26') => svc().request('PATCH', `/v1/portgroups/${g.uuid}`, ops, version);
    expect((await patch([{ op: 'remove', path: '/extra' }])).body.extra).toEqual({});
    expect((await patch([{ op: 'add', path: '/properties/x', value: 1 }], '1.25')).status).toBe(406);
    const badName = await patch([{ op: 'replace', path: '/name', value: 'a b' }]);
    expect(badName.status).toBe(400);
    expect(faultOf(badName)).toBe(`Portgroup ${g.uuid}: Cannot change name to invalid name 'a b'`);
    const dupMac = await patch([{ op: 'replace', path: '/address', value: '52:54:00:aa:00:88' }]);
    expect(dupMac.status).toBe(409);
    expect(faultOf(dupMac)).toBe('A portgroup with MAC address 52:54:00:aa:00:88 already exists.');
    expect((await patch([{ op: 'remove', path: '/mode' }])).status).toBe(400);
    expect((await patch([{ op: 'replace', path: '/uuid', value: n }])).status).toBe(400);
    expect((await patch([{ op: 'replace', path: '/address', value: 'zz' }])).status).toBe(400);
    const removed = await patch([{ op: 'remove', path: '/address' }]);
    expect(removed.body.address).toBeNull();
  });

  it('puts ports in a group from 1.24, lists a group’s ports, and filters ports by group', async () => {
    const n = await node(svc(), 'pg-node-9');
    const g = await group(svc(), n, { name: 'pg-members' });
    const p = await port(svc(), { node_uuid: n, address: '52:54:00:bb:00:09', portgroup_uuid: g.uuid });
    expect(p.status, p.text).toBe(201);
    expect(p.body.portgroup_uuid).toBe(g.uuid);
    await port(svc(), { node_uuid: n, address: '52:54:00:bb:00:99' });
    const old = await svc().request(
      'POST',
      '/v1/ports',
      { node_uuid: n, address: '52:54:00:bb:00:19', portgroup_uuid: g.uuid },
      '1.23',
    );
    expect(old.status).toBe(406);
    expect((await svc().request('GET', `/v1/ports/${p.body.uuid}`, undefined, '1.23')).body).not.toHaveProperty(
      'portgroup_uuid',
    );
    const members = await svc().request('GET', `/v1/portgroups/pg-members/ports`, undefined, '1.24');
    expect(members.body.ports.map((x: { uuid: string }) => x.uuid)).toEqual([p.body.uuid]);
    const detail = await svc().request('GET', `/v1/portgroups/${g.uuid}/ports/detail`, undefined, '1.24');
    expect(detail.body.ports[0]).toMatchObject({ portgroup_uuid: g.uuid, node_uuid: n });
    const filtered = await svc().request('GET', `/v1/ports?portgroup=${g.uuid}`, undefined, '1.24');
    expect(filtered.body.ports.map((x: { uuid: string }) => x.uuid)).toEqual([p.body.uuid]);
    expect((await svc().request('GET', `/v1/ports?portgroup=no-such-group`, undefined, '1.24')).body.ports).toEqual([]);
    expect((await svc().request('GET', `/v1/ports?portgroup=${g.uuid}`, undefined, '1.23')).status).toBe(406);
    expect((await svc().request('GET', `/v1/portgroups/no-such-group/ports`, undefined, '1.24')).status).toBe(404);
  });

  it('refuses a group that does not exist or is another node’s with 400, and moves ports in and out by PATCH', async () => {
    const a = await node(svc(), 'pg-node-10a');
    const b = await node(svc(), 'pg-node-10b');
    const ga = await group(svc(), a);
    const gb = await group(svc(), b);
    const missing = '00000000-0000-4000-8000-0000000000aa';
    const noGroup = await port(svc(), { node_uuid: a, address: '52:54:00:bb:00:10', portgroup_uuid: missing });
    expect(noGroup.status).toBe(400);
    expect(faultOf(noGroup)).toBe(`Portgroup ${missing} could not be found.`);
    const foreign = await port(svc(), { node_uuid: a, address: '52:54:00:bb:00:10', portgroup_uuid: gb.uuid });
    expect(foreign.status).toBe(400);
    expect(faultOf(foreign)).toBe('Port can not be added to a portgroup belonging to a different node.');
    const p = (await port(svc(), { node_uuid: a, address: '52:54:00:bb:00:10' })).body;
    const patch = (ops: unknown) => svc().request('PATCH', `/v1/ports/${p.uuid}`, ops, V);
    expect((await patch([{ op: 'replace', path: '/portgroup_uuid', value: gb.uuid }])).status).toBe(400);
    const joined = await patch([{ op: 'add', path: '/portgroup_uuid', value: ga.uuid }]);
    expect(joined.status, joined.text).toBe(200);
    expect(joined.body.portgroup_uuid).toBe(ga.uuid);
    // Moving a member to another node would leave its group behind.
    const moved = await patch([{ op: 'replace', path: '/node_uuid', value: b }]);
    expect(moved.status).toBe(400);
    expect(faultOf(moved)).toBe('Port can not be added to a portgroup belonging to a different node.');
    const left = await patch([{ op: 'remove', path: '/portgroup_uuid' }]);
    expect(left.body.portgroup_uuid).toBeNull();
    expect((await patch([{ op: 'replace', path: '/portgroup_uuid', value: missing }])).status).toBe(400);
  });

  it('keeps a group on one physical network: a port on another one is refused with 409', async () => {
    const n = await node(svc(), 'pg-node-11');
    const g = await group(svc(), n);
    const first = await port(svc(), {
      node_uuid: n,
      address: '52:54:00:bb:00:11',
      portgroup_uuid: g.uuid,
      physical_network: 'physnet1',
    });
    expect(first.status, first.text).toBe(201);
    const other = await port(svc(), {
      node_uuid: n,
      address: '52:54:00:bb:01:11',
      portgroup_uuid: g.uuid,
      physical_network: 'physnet2',
    });
    expect(other.status).toBe(409);
    expect(faultOf(other)).toBe(
      `Port with physical network physnet2 cannot become a member of port group ${g.uuid} which has ports in physical network physnet1.`,
    );
    const none = await port(svc(), { node_uuid: n, address: '52:54:00:bb:02:11', portgroup_uuid: g.uuid });
    expect(none.status).toBe(409);
    const same = await port(svc(), {
      node_uuid: n,
      address: '52:54:00:bb:03:11',
      portgroup_uuid: g.uuid,
      physical_network: 'physnet1',
    });
    expect(same.status).toBe(201);
    const loose = (await port(svc(), { node_uuid: n, address: '52:54:00:bb:04:11', physical_network: 'physnet2' }))
      .body;
    const join = await svc().request(
      'PATCH',
      `/v1/ports/${loose.uuid}`,
      [{ op: 'replace', path: '/portgroup_uuid', value: g.uuid }],
      V,
    );
    expect(join.status).toBe(409);
    const drift = await svc().request(
      'PATCH',
      `/v1/ports/${same.body.uuid}`,
      [{ op: 'replace', path: '/physical_network', value: 'physnet2' }],
      V,
    );
    expect(drift.status).toBe(409);
    const members = await svc().request('GET', `/v1/ports?portgroup=${g.uuid}&fields=physical_network`, undefined, V);
    expect(members.body.ports.map((x: { physical_network: string }) => x.physical_network)).toEqual([
      'physnet1',
      'physnet1',
    ]);
  });

  it('answers 400 PortgroupPhysnetInconsistent when the members already disagree', async () => {
    const n = await node(svc(), 'pg-node-12');
    const g = await group(svc(), n);
    for (const [i, physnet] of ['physnet1', 'physnet1'].entries())
      await port(svc(), {
        node_uuid: n,
        address: `52:54:00:bb:0${i}:12`,
        portgroup_uuid: g.uuid,
        physical_network: physnet,
      });
    await onDatabase(svc(), (knex) =>
      knex('ports').where({ address: '52:54:00:bb:01:12' }).update({ physical_network: 'physnet9' }),
    );
    const res = await port(svc(), {
      node_uuid: n,
      address: '52:54:00:bb:02:12',
      portgroup_uuid: g.uuid,
      physical_network: 'physnet1',
    });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toBe(
      `Port group ${g.uuid} has member ports with inconsistent physical networks (physnet1, physnet9). ` +
        'All ports in a port group must have the same physical network.',
    );
  });

  it('refuses to delete a group that has ports, with 400 PortgroupNotEmpty, and deletes it once empty', async () => {
    const n = await node(svc(), 'pg-node-13');
    const g = await group(svc(), n, { name: 'pg-busy' });
    const p = (await port(svc(), { node_uuid: n, address: '52:54:00:bb:00:13', portgroup_uuid: g.uuid })).body;
    const refused = await svc().request('DELETE', '/v1/portgroups/pg-busy', undefined, V);
    expect(refused.status).toBe(400);
    expect(faultOf(refused)).toBe(`Cannot complete the requested action because portgroup ${g.uuid} contains ports.`);
    expect((await svc().request('DELETE', `/v1/ports/${p.uuid}`, undefined, V)).status).toBe(204);
    expect((await svc().request('DELETE', '/v1/portgroups/pg-busy', undefined, V)).status).toBe(204);
    const gone = await svc().request('GET', `/v1/portgroups/${g.uuid}`, undefined, V);
    expect(gone.status).toBe(404);
    expect(faultOf(gone)).toBe(`Portgroup ${g.uuid} could not be found.`);
    expect((await svc().request('DELETE', `/v1/portgroups/${g.uuid}`, undefined, V)).status).toBe(404);
    expect((await svc().request('GET', '/v1/portgroups/a%20b', undefined, V)).status).toBe(400);
  });

  it('removes a node’s groups and ports with the node', async () => {
    const n = await node(svc(), 'pg-node-14');
    const g = await group(svc(), n);
    const p = (await port(svc(), { node_uuid: n, address: '52:54:00:bb:00:14', portgroup_uuid: g.uuid })).body;
    expect((await svc().request('DELETE', `/v1/nodes/${n}`, undefined, V)).status).toBe(204);
    expect((await svc().request('GET', `/v1/portgroups/${g.uuid}`, undefined, V)).status).toBe(404);
    expect((await svc().request('GET', `/v1/ports/${p.uuid}`, undefined, V)).status).toBe(404);
  });

  it('keeps ports of a group without standalone ports from PXE booting on their own', async () => {
    const n = await node(svc(), 'pg-node-15');
    const g = await group(svc(), n, { standalone_ports_supported: false });
    const pxe = await port(svc(), {
      node_uuid: n,
      address: '52:54:00:bb:00:15',
      portgroup_uuid: g.uuid,
      pxe_enabled: true,
    });
    expect(pxe.status).toBe(409);
    expect(faultOf(pxe)).toBe(
      `Port group ${g.uuid} doesn't support standalone ports. This port cannot be created as a member of that ` +
        "portgroup as the port's 'pxe_enabled' field was set to True.",
    );
    const quiet = (
      await port(svc(), { node_uuid: n, address: '52:54:00:bb:00:15', portgroup_uuid: g.uuid, pxe_enabled: false })
    ).body;
    const boot = await svc().request(
      'PATCH',
      `/v1/ports/${quiet.uuid}`,
      [{ op: 'replace', path: '/pxe_enabled', value: true }],
      V,
    );
    expect(boot.status).toBe(409);
    const open = await group(svc(), n, { standalone_ports_supported: true });
    await port(svc(), { node_uuid: n, address: '52:54:00:bb:01:15', portgroup_uuid: open.uuid });
    const close = await svc().request(
      'PATCH',
      `/v1/portgroups/${open.uuid}`,
      [{ op: 'replace', path: '/standalone_ports_supported', value: false }],
      V,
    );
    expect(close.status).toBe(409);
    expect(faultOf(close)).toBe(
      `standalone_ports_supported can not be set to False, because the port group ${open.uuid} contains port with 'pxe_enabled' is set to True`,
    );
  });

  it('moves a group to another node only while it is empty and the node is not in use', async () => {
    const a = await node(svc(), 'pg-node-16a');
    const b = await node(svc(), 'pg-node-16b');
    const g = await group(svc(), a);
    await port(svc(), { node_uuid: a, address: '52:54:00:bb:00:16', portgroup_uuid: g.uuid });
    const move = () =>
      svc().request('PATCH', `/v1/portgroups/${g.uuid}`, [{ op: 'replace', path: '/node_uuid', value: b }], V);
    const full = await move();
    expect(full.status).toBe(400);
    expect(faultOf(full)).toBe(
      `Portgroup ${g.uuid} can not be associated with node ${b} because there are ports associated with this portgroup.`,
    );
    const empty = await group(svc(), a);
    await onDatabase(svc(), (knex) => knex('nodes').where({ uuid: b }).update({ provision_state: 'available' }));
    const busy = await svc().request(
      'PATCH',
      `/v1/portgroups/${empty.uuid}`,
      [{ op: 'replace', path: '/node_uuid', value: 'pg-node-16b' }],
      V,
    );
    expect(busy.status).toBe(409);
    await onDatabase(svc(), (knex) => knex('nodes').where({ uuid: b }).update({ provision_state: 'manageable' }));
    const moved = await svc().request(
      'PATCH',
      `/v1/portgroups/${empty.uuid}`,
      [{ op: 'replace', path: '/node_uuid', value: 'pg-node-16b' }],
      V,
    );
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.node_uuid).toBe(b);
  });

  it('changes a port’s group only while its node is not in use, as Ironic’s connectivity rule says', async () => {
    const n = await node(svc(), 'pg-node-17');
    const g = await group(svc(), n);
    const p = (await port(svc(), { node_uuid: n, address: '52:54:00:bb:00:17' })).body;
    await onDatabase(svc(), (knex) => knex('nodes').where({ uuid: n }).update({ provision_state: 'available' }));
    const join = () =>
      svc().request('PATCH', `/v1/ports/${p.uuid}`, [{ op: 'replace', path: '/portgroup_uuid', value: g.uuid }], V);
    const refused = await join();
    expect(refused.status).toBe(409);
    expect(faultOf(refused)).toContain(`Port ${p.uuid} can not have any connectivity attributes`);
    await svc().request('PUT', `/v1/nodes/${n}/maintenance`, { reason: 'recabling' }, V);
    expect((await join()).status).toBe(200);
  });
});
