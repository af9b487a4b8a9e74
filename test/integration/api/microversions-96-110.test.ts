import { expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

async function node(svc: TestService, body: Record<string, unknown> = {}, version = '1.110'): Promise<string> {
  const res = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', ...body }, version);
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

let macs = 0;
function nextMac(): string {
  macs += 1;
  return `52:54:00:96:${Math.floor(macs / 256)
    .toString(16)
    .padStart(2, '0')}:${(macs % 256).toString(16).padStart(2, '0')}`;
}

/** Writes behind the API's back, for states the API would take long to reach. */
async function onDatabase(svc: TestService, work: (knex: ReturnType<typeof openDatabase>['knex']) => Promise<unknown>) {
  const db = openDatabase(svc.db.url);
  try {
    await work(db.knex);
  } finally {
    await db.close();
  }
}

/** A resource attribute, the version that brought it, and how to make a resource that has it. */
interface Case {
  field: string;
  since: number;
  value: string;
  collection: 'ports' | 'portgroups' | 'nodes';
  body: (svc: TestService) => Promise<Record<string, unknown>>;
}

const portBody = async (svc: TestService) => ({ node_uuid: await node(svc), address: nextMac() });
const groupBody = async (svc: TestService) => ({ node_uuid: await node(svc) });
const nodeBody = async () => ({ driver: 'fake-hardware' });

const CASES: Case[] = [
  { field: 'description', since: 97, value: 'uplink to tor-1', collection: 'ports', body: portBody },
  { field: 'vendor', since: 100, value: 'mellanox', collection: 'ports', body: portBody },
  { field: 'category', since: 101, value: 'storage', collection: 'ports', body: portBody },
  { field: 'physical_network', since: 102, value: 'physnet1', collection: 'portgroups', body: groupBody },
  { field: 'category', since: 103, value: 'bond', collection: 'portgroups', body: groupBody },
  { field: 'instance_name', since: 104, value: 'web-1', collection: 'nodes', body: nodeBody },
];

describeOnEngines('API microversions 1.96 to 1.110', (svc) => {
  it('advertises 1.110 and refuses 1.111', async () => {
    const latest = await svc().request('GET', '/v1/nodes', undefined, 'latest');
    expect(latest.headers.get('x-openstack-ironic-api-version')).toBe('1.110');
    expect(latest.headers.get('x-openstack-ironic-api-maximum-version')).toBe('1.110');
    expect((await svc().request('GET', '/v1/nodes', undefined, '1.111')).status).toBe(406);
  });

  it('sends the request id under both of Ironic’s names, at any version, errors included', async () => {
    for (const version of ['1.1', '1.106', '1.107', '1.110']) {
      const res = await svc().request('GET', '/v1/nodes/no-such-node', undefined, version);
      expect(res.status).toBe(404);
      const id = res.headers.get('x-openstack-request-id');
      expect(id).toMatch(/^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(res.headers.get('openstack-request-id')).toBe(id);
    }
  });

  it.each(CASES)('$collection $field: taken, shown and asked for from 1.$since, refused below', async (c) => {
    const at = `1.${c.since}`;
    const before = `1.${c.since - 1}`;
    const base = await c.body(svc());
    const refused = await svc().request('POST', `/v1/${c.collection}`, { ...base, [c.field]: c.value }, before);
    expect(refused.status, refused.text).toBe(406);
    const created = await svc().request('POST', `/v1/${c.collection}`, { ...base, [c.field]: c.value }, at);
    expect(created.status, created.text).toBe(201);
    expect(created.body[c.field]).toBe(c.value);
    const uuid = created.body.uuid as string;

    const old = await svc().request('GET', `/v1/${c.collection}/${uuid}`, undefined, before);
    expect(old.status).toBe(200);
    expect(old.body).not.toHaveProperty(c.field);
    expect(
      (await svc().request('GET', `/v1/${c.collection}/${uuid}?fields=${c.field}`, undefined, before)).status,
    ).toBe(406);
    const asked = await svc().request('GET', `/v1/${c.collection}/${uuid}?fields=uuid,${c.field}`, undefined, at);
    expect(asked.body[c.field]).toBe(c.value);

    const patch = [{ op: 'replace', path: `/${c.field}`, value: `${c.value}-2` }];
    expect((await svc().request('PATCH', `/v1/${c.collection}/${uuid}`, patch, before)).status).toBe(406);
    const patched = await svc().request('PATCH', `/v1/${c.collection}/${uuid}`, patch, at);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body[c.field]).toBe(`${c.value}-2`);
    const removed = await svc().request(
      'PATCH',
      `/v1/${c.collection}/${uuid}`,
      [{ op: 'remove', path: `/${c.field}` }],
      at,
    );
    expect(removed.body[c.field]).toBeNull();
  });

  it('refuses port and port group attributes longer than Ironic’s columns', async () => {
    const long = (n: number) => 'x'.repeat(n);
    const cases: [string, Record<string, unknown>][] = [
      ['ports', { ...(await portBody(svc())), description: long(256) }],
      ['ports', { ...(await portBody(svc())), vendor: long(33) }],
      ['ports', { ...(await portBody(svc())), category: long(81) }],
      ['portgroups', { ...(await groupBody(svc())), physical_network: long(65) }],
      ['portgroups', { ...(await groupBody(svc())), category: long(81) }],
      ['nodes', { driver: 'fake-hardware', instance_name: '' }],
      ['nodes', { driver: 'fake-hardware', instance_name: long(256) }],
    ];
    for (const [collection, body] of cases) {
      const res = await svc().request('POST', `/v1/${collection}`, body, '1.110');
      expect(res.status, `${collection} ${JSON.stringify(Object.keys(body))}`).toBe(400);
    }
  });

  it('filters ports by description_contains, case aside, wildcards taken literally', async () => {
    const n = await node(svc());
    for (const description of ['Uplink to TOR-7', 'uplink 100%', 'management']) {
      const res = await svc().request('POST', '/v1/ports', { node_uuid: n, address: nextMac(), description }, '1.97');
      expect(res.status, res.text).toBe(201);
    }
    const list = async (q: string) =>
      (await svc().request('GET', `/v1/ports?node=${n}&fields=description&${q}`, undefined, '1.97')).body.ports.map(
        (p: { description: string }) => p.description,
      );
    expect((await list('description_contains=tor-7')).sort()).toEqual(['Uplink to TOR-7']);
    expect((await list('description_contains=uplink')).sort()).toEqual(['Uplink to TOR-7', 'uplink 100%']);
    expect(await list(`description_contains=${encodeURIComponent('100%')}`)).toEqual(['uplink 100%']);
    expect(await list('description_contains=_')).toEqual([]);
  });

  it('filters ports and port groups by their node’s conductor groups (1.99), alone only', async () => {
    const east = await node(svc(), { conductor_group: 'East-1' });
    const west = await node(svc(), { conductor_group: 'west-1' });
    const other = await node(svc(), { conductor_group: 'north' });
    const ports: Record<string, string> = {};
    const groups: Record<string, string> = {};
    for (const [name, n] of Object.entries({ east, west, other })) {
      ports[name] = (await svc().request('POST', '/v1/ports', { node_uuid: n, address: nextMac() }, '1.99')).body.uuid;
      groups[name] = (await svc().request('POST', '/v1/portgroups', { node_uuid: n }, '1.99')).body.uuid;
    }
    const uuids = async (path: string) =>
      (
        (await svc().request('GET', path, undefined, '1.99')).body[
          path.includes('portgroups') ? 'portgroups' : 'ports'
        ] as { uuid: string }[]
      )
        .map((r) => r.uuid)
        .filter((u) => Object.values(ports).includes(u) || Object.values(groups).includes(u))
        .sort();
    expect(await uuids('/v1/ports?conductor_groups=EAST-1,%20west-1,east-1')).toEqual([ports.east, ports.west].sort());
    expect(await uuids('/v1/ports/detail?conductor_groups=north')).toEqual([ports.other]);
    expect(await uuids('/v1/portgroups?conductor_groups=east-1,west-1')).toEqual([groups.east, groups.west].sort());
    expect(await uuids('/v1/portgroups/detail?conductor_groups=north')).toEqual([groups.other]);

    for (const path of [
      `/v1/ports?conductor_groups=north&node=${other}`,
      `/v1/ports?conductor_groups=north&address=52:54:00:00:00:01`,
      `/v1/nodes/${other}/ports?conductor_groups=north`,
      `/v1/portgroups?conductor_groups=north&node=${other}`,
      `/v1/nodes/${other}/portgroups?conductor_groups=north`,
    ]) {
      const res = await svc().request('GET', path, undefined, '1.99');
      expect(res.status, path).toBe(400);
    }
  });

  it('filters port groups by their node’s shard from 1.106, and 406s below', async () => {
    const a = await node(svc(), { shard: 'shard-a' });
    const b = await node(svc(), { shard: 'shard-b' });
    const ga = (await svc().request('POST', '/v1/portgroups', { node_uuid: a }, '1.106')).body.uuid as string;
    await svc().request('POST', '/v1/portgroups', { node_uuid: b }, '1.106');
    const old = await svc().request('GET', '/v1/portgroups?shard=shard-a', undefined, '1.105');
    expect(old.status).toBe(406);
    expect(faultOf(old)).toBe('Request not acceptable. The minimal required API version should be 1.106');
    const res = await svc().request('GET', '/v1/portgroups?shard=shard-a', undefined, '1.106');
    expect(res.status).toBe(200);
    expect(res.body.portgroups.map((g: { uuid: string }) => g.uuid)).toEqual([ga]);
    expect((await svc().request('GET', `/v1/portgroups?shard=shard-a&node=${a}`, undefined, '1.106')).status).toBe(400);
  });

  it('keeps a group’s ports on the group’s physical network (1.102)', async () => {
    const n = await node(svc());
    const g = await svc().request('POST', '/v1/portgroups', { node_uuid: n, physical_network: 'physnet1' }, '1.102');
    expect(g.status, g.text).toBe(201);
    // An empty group with a network takes only ports on that network.
    const wrong = await svc().request(
      'POST',
      '/v1/ports',
      { node_uuid: n, address: nextMac(), portgroup_uuid: g.body.uuid, physical_network: 'physnet2' },
      '1.102',
    );
    expect(wrong.status, wrong.text).toBe(409);
    const p = await svc().request(
      'POST',
      '/v1/ports',
      { node_uuid: n, address: nextMac(), portgroup_uuid: g.body.uuid, physical_network: 'physnet1' },
      '1.102',
    );
    expect(p.status, p.text).toBe(201);

    // The port's network is changed on its group since 1.102; before, on the port (with the group's rules).
    const onPort = [{ op: 'replace', path: '/physical_network', value: 'physnet1' }];
    const refused = await svc().request('PATCH', `/v1/ports/${p.body.uuid}`, onPort, '1.102');
    expect(refused.status).toBe(400);
    expect(faultOf(refused)).toBe('physical_network cannot be changed while the port belongs to a portgroup.');
    expect((await svc().request('PATCH', `/v1/ports/${p.body.uuid}`, onPort, '1.101')).status).toBe(200);

    const moved = await svc().request(
      'PATCH',
      `/v1/portgroups/${g.body.uuid}`,
      [{ op: 'replace', path: '/physical_network', value: 'physnet3' }],
      '1.102',
    );
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.physical_network).toBe('physnet3');
    const port = await svc().request('GET', `/v1/ports/${p.body.uuid}`, undefined, '1.102');
    expect(port.body.physical_network).toBe('physnet3');
  });

  it('names the instance from instance_info display_name unless it has a name (1.104, any version)', async () => {
    const uuid = await node(svc());
    const info = (name: string) => [{ op: 'add', path: '/instance_info', value: { display_name: name } }];
    // From an older client too, as Nova's: the name follows whatever version set display_name.
    expect((await svc().request('PATCH', `/v1/nodes/${uuid}`, info('from-nova'), '1.78')).status).toBe(200);
    let shown = await svc().request('GET', `/v1/nodes/${uuid}`, undefined, '1.104');
    expect(shown.body.instance_name).toBe('from-nova');
    // Once named, display_name no longer renames it.
    await svc().request('PATCH', `/v1/nodes/${uuid}`, info('renamed'), '1.104');
    shown = await svc().request('GET', `/v1/nodes/${uuid}`, undefined, '1.104');
    expect(shown.body.instance_name).toBe('from-nova');
    // A name given in the same patch wins over display_name.
    const both = await svc().request(
      'PATCH',
      `/v1/nodes/${uuid}`,
      [
        { op: 'remove', path: '/instance_name' },
        ...info('ignored'),
        { op: 'add', path: '/instance_name', value: 'given' },
      ],
      '1.104',
    );
    expect(both.body.instance_name).toBe('given');
  });

  it('filters nodes by instance_name from 1.104, and 406s below', async () => {
    const named = await node(svc(), { instance_name: 'db-primary' });
    await node(svc(), { instance_name: 'db-replica' });
    expect((await svc().request('GET', '/v1/nodes?instance_name=db-primary', undefined, '1.103')).status).toBe(406);
    const res = await svc().request('GET', '/v1/nodes?instance_name=db-primary', undefined, '1.104');
    expect(res.body.nodes.map((n: { uuid: string }) => n.uuid)).toEqual([named]);
  });

  it('shows health from 1.109: null until the BMC answered, OK once it has, Warning on a power failure', async () => {
    const uuid = await node(svc());
    const health = async (version = '1.109') =>
      (await svc().request('GET', `/v1/nodes/${uuid}`, undefined, version)).body;
    expect(await health('1.108')).not.toHaveProperty('health');
    expect((await svc().request('GET', `/v1/nodes/${uuid}?fields=health`, undefined, '1.108')).status).toBe(406);
    expect((await health()).health).toBeNull();
    await onDatabase(svc(), (knex) => knex('nodes').where({ uuid }).update({ power_state: 'power on' }));
    expect((await health()).health).toBe('OK');
    await onDatabase(svc(), (knex) =>
      knex('nodes').where({ uuid }).update({ power_state: null, maintenance: true, fault: 'power failure' }),
    );
    expect((await health()).health).toBe('Warning');
    const patch = await svc().request(
      'PATCH',
      `/v1/nodes/${uuid}`,
      [{ op: 'replace', path: '/health', value: 'OK' }],
      '1.109',
    );
    expect(patch.status).toBe(400);
  });

  it('takes disable_ramdisk for service from 1.108 and clean from 1.70, and for no other verb', async () => {
    const uuid = await node(svc());
    const provision = (body: Record<string, unknown>, version: string) =>
      svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, body, version);
    const service = { target: 'service', service_steps: [{ interface: 'bios', step: 'apply_configuration' }] };
    const old = await provision({ ...service, disable_ramdisk: true }, '1.107');
    expect(old.status).toBe(406);
    expect(faultOf(old)).toBe('disable_ramdisk is not acceptable in this API version');
    // Past the version gate, the node's state (enroll) is what refuses it.
    expect((await provision({ ...service, disable_ramdisk: true }, '1.108')).status).not.toBe(406);
    const clean = { target: 'clean', clean_steps: [{ interface: 'deploy', step: 'erase_devices_metadata' }] };
    expect((await provision({ ...clean, disable_ramdisk: true }, '1.69')).status).toBe(406);
    const other = await provision({ target: 'manage', disable_ramdisk: true }, '1.110');
    expect(other.status).toBe(400);
    expect(faultOf(other)).toBe('disable_ramdisk is supported only with manual cleaning or servicing');
  });

  it('aborts a deployment in wait call-back from 1.110 into deploy failed, as Ironic', async () => {
    const uuid = await node(svc());
    await onDatabase(svc(), (knex) =>
      knex('nodes')
        .where({ uuid })
        .update({
          provision_state: 'wait call-back',
          target_provision_state: 'active',
          power_state: 'power on',
          deploy_step: JSON.stringify({ interface: 'deploy', step: 'write_image', priority: 80, args: {} }),
          driver_internal_info: JSON.stringify({
            agent_url: 'http://192.0.2.10:9999',
            agent_last_heartbeat: '2026-01-01T00:00:00Z',
            deploy_phase: 'writing',
            user_deploy_steps: [],
            kept: 'yes',
          }),
        }),
    );
    const old = await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'abort' }, '1.109');
    expect(old.status).toBe(406);
    const res = await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'abort' }, '1.110');
    expect(res.status, res.text).toBe(202);
    const after = (
      await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`, undefined, '1.110'),
        (r) => r.body.reservation === null,
      )
    ).body;
    expect(after.provision_state).toBe('deploy failed');
    expect(after.target_provision_state).toBeNull();
    expect(after.last_error).toBe(
      'By request, the deploy operation was aborted during or after the completion of step "deploy.write_image"',
    );
    expect(after.deploy_step).toEqual({});
    expect(after.driver_internal_info).toEqual({ kept: 'yes' });
    // Left as it is for the operator to look at: no power off, no cleaning.
    expect(after.target_power_state).toBeNull();
    expect(after.power_state).toBe('power on');
  });

  it('patches keys holding ~ and / in RFC 6901 escapes, before 1.98 as after', async () => {
    const uuid = await node(svc());
    for (const version of ['1.97', '1.98']) {
      const res = await svc().request(
        'PATCH',
        `/v1/nodes/${uuid}`,
        [{ op: 'add', path: `/extra/a~1b~0c-${version}`, value: version }],
        version,
      );
      expect(res.status, res.text).toBe(200);
      expect(res.body.extra[`a/b~c-${version}`]).toBe(version);
    }
  });
});
