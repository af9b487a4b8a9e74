import { expect, it } from 'vitest';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

const V = '1.32';

async function node(svc: TestService, name: string): Promise<string> {
  const res = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', name });
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

async function power(svc: TestService, uuid: string, target: 'power on' | 'power off') {
  expect((await svc.request('PUT', `/v1/nodes/${uuid}/states/power`, { target })).status).toBe(202);
  await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) => r.body.power_state === target && r.body.reservation === null,
  );
}

async function connector(svc: TestService, body: Record<string, unknown>) {
  return svc.request('POST', '/v1/volume/connectors', body, V);
}

async function target(svc: TestService, body: Record<string, unknown>) {
  return svc.request('POST', '/v1/volume/targets', body, V);
}

describeOnEngines('volume connectors and targets', (svc) => {
  it('serves /v1/volume from 1.32 only, and lists it in the v1 document from then on', async () => {
    const n = await node(svc(), 'vol-versions');
    for (const path of ['/v1/volume', '/v1/volume/connectors', '/v1/volume/targets', `/v1/nodes/${n}/volume`]) {
      expect((await svc().request('GET', path, undefined, '1.31')).status, path).toBe(404);
      expect((await svc().request('GET', path, undefined, V)).status, path).toBe(200);
    }
    const post = await svc().request('POST', '/v1/volume/connectors', { node_uuid: n }, '1.31');
    expect(post.status).toBe(404);
    expect((await svc().request('GET', '/v1/', undefined, '1.31')).body).not.toHaveProperty('volume');
    const v1 = (await svc().request('GET', '/v1/', undefined, V)).body;
    expect(v1.volume[0].href).toMatch(/\/v1\/volume\/$/);
  });

  it('links the connectors and targets from /v1/volume and from a node', async () => {
    await node(svc(), 'vol-links');
    const doc = (await svc().request('GET', '/v1/volume', undefined, V)).body;
    expect(doc.connectors[0]).toEqual({ href: expect.stringMatching(/\/v1\/volume\/connectors$/), rel: 'self' });
    expect(doc.targets[1].rel).toBe('bookmark');
    expect(new URL(doc.targets[1].href).pathname).toBe('/volume/targets');
    const scoped = (await svc().request('GET', '/v1/nodes/vol-links/volume', undefined, V)).body;
    expect(scoped.connectors[0].href).toMatch(/\/v1\/nodes\/vol-links\/volume\/connectors$/);
    expect((await svc().request('GET', '/v1/nodes/no-such-node/volume', undefined, V)).status).toBe(404);
  });

  it('creates a connector and shows it whole; lists show the short form unless detail or fields', async () => {
    const n = await node(svc(), 'vol-c-create');
    const res = await connector(svc(), {
      node_uuid: n,
      type: 'iqn',
      connector_id: 'iqn.2017-07.org.example:c1',
      extra: { rack: 'a' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toMatch(new RegExp(`/v1/volume/connectors/${res.body.uuid}$`));
    expect(res.body).toMatchObject({
      node_uuid: n,
      type: 'iqn',
      connector_id: 'iqn.2017-07.org.example:c1',
      extra: { rack: 'a' },
      updated_at: null,
    });
    const shown = await svc().request('GET', `/v1/volume/connectors/${res.body.uuid}`, undefined, V);
    expect(shown.body).toEqual(res.body);
    const bookmark = new URL(res.body.links.find((l: { rel: string }) => l.rel === 'bookmark').href);
    expect((await svc().request('GET', bookmark.pathname, undefined, V)).body).toEqual(res.body);
    const list = (await svc().request('GET', `/v1/volume/connectors?node=${n}`, undefined, V)).body;
    expect(Object.keys(list.connectors[0]).sort()).toEqual(['connector_id', 'links', 'node_uuid', 'type', 'uuid']);
    const detail = (await svc().request('GET', `/v1/volume/connectors?node=${n}&detail=True`, undefined, V)).body;
    expect(detail.connectors[0]).toHaveProperty('extra', { rack: 'a' });
    const fields = await svc().request('GET', `/v1/volume/connectors?node=${n}&fields=uuid,extra`, undefined, V);
    expect(Object.keys(fields.body.connectors[0]).sort()).toEqual(['extra', 'links', 'uuid']);
    const one = await svc().request('GET', `/v1/volume/connectors/${res.body.uuid}?fields=type`, undefined, V);
    expect(Object.keys(one.body).sort()).toEqual(['links', 'type']);
    const both = await svc().request('GET', '/v1/volume/connectors?detail=true&fields=uuid', undefined, V);
    expect(both.status).toBe(400);
  });

  it('refuses a second connector with the same type and id with 409, on any node, and the same uuid', async () => {
    const a = await node(svc(), 'vol-c-dup-a');
    const b = await node(svc(), 'vol-c-dup-b');
    const first = await connector(svc(), { node_uuid: a, type: 'wwpn', connector_id: '50:01:43:80:00:00:00:01' });
    expect(first.status).toBe(201);
    const dup = await connector(svc(), { node_uuid: b, type: 'wwpn', connector_id: '50:01:43:80:00:00:00:01' });
    expect(dup.status).toBe(409);
    expect(faultOf(dup)).toBe(
      'A volume connector with type wwpn and connector ID 50:01:43:80:00:00:00:01 already exists.',
    );
    const otherType = await connector(svc(), { node_uuid: b, type: 'wwnn', connector_id: '50:01:43:80:00:00:00:01' });
    expect(otherType.status).toBe(201);
    const sameUuid = await connector(svc(), {
      uuid: first.body.uuid,
      node_uuid: b,
      type: 'ip',
      connector_id: '192.0.2.10',
    });
    expect(sameUuid.status).toBe(409);
    expect(faultOf(sameUuid)).toBe(`A volume connector with UUID ${first.body.uuid} already exists.`);
  });

  it('refuses bad connector input with 400 and writes nothing', async () => {
    const n = await node(svc(), 'vol-c-bad');
    const cases: Record<string, unknown>[] = [
      { node_uuid: n, type: 'floppy', connector_id: 'x' },
      { node_uuid: n, type: 'iqn' },
      { node_uuid: n, type: 'iqn', connector_id: '' },
      { node_uuid: n, type: 'iqn', connector_id: 7 },
      { node_uuid: n, type: 'iqn', connector_id: 'x'.repeat(256) },
      { node_uuid: n, type: 'iqn', connector_id: 'x', extra: [] },
      { node_uuid: n, type: 'iqn', connector_id: 'x', colour: 'red' },
      { node_uuid: n, type: 'iqn', connector_id: 'x', uuid: 'not-a-uuid' },
      { node_uuid: '00000000-0000-4000-8000-000000000000', type: 'iqn', connector_id: 'x' },
      { type: 'iqn', connector_id: 'x' },
    ];
    for (const body of cases) expect((await connector(svc(), body)).status, JSON.stringify(body)).toBe(400);
    expect((await svc().request('GET', `/v1/nodes/${n}/volume/connectors`, undefined, V)).body.connectors).toEqual([]);
    expect((await svc().request('GET', '/v1/volume/connectors/not-a-uuid', undefined, V)).status).toBe(400);
    const missing = await svc().request(
      'GET',
      '/v1/volume/connectors/00000000-0000-4000-8000-000000000000',
      undefined,
      V,
    );
    expect(missing.status).toBe(404);
    expect(faultOf(missing)).toBe('Volume connector 00000000-0000-4000-8000-000000000000 could not be found.');
  });

  it('changes or deletes a connector only while its node is powered off, with Ironic’s 400', async () => {
    const n = await node(svc(), 'vol-c-power');
    const c = (await connector(svc(), { node_uuid: n, type: 'iqn', connector_id: 'iqn.power', extra: { a: 1 } })).body;
    const patch = [{ op: 'replace', path: '/connector_id', value: 'iqn.power.2' }];
    // A new node's power state is unknown: not off.
    const unknown = await svc().request('PATCH', `/v1/volume/connectors/${c.uuid}`, patch, V);
    expect(unknown.status).toBe(400);
    await power(svc(), n, 'power on');
    const update = await svc().request('PATCH', `/v1/volume/connectors/${c.uuid}`, patch, V);
    expect(update.status).toBe(400);
    expect(faultOf(update)).toBe(
      `The requested action "volume connector update" can not be performed on node "${n}" while it is in state "power on".`,
    );
    const del = await svc().request('DELETE', `/v1/volume/connectors/${c.uuid}`, undefined, V);
    expect(del.status).toBe(400);
    expect(faultOf(del)).toContain('The requested action "volume connector deletion" can not be performed on node');
    expect((await svc().request('GET', `/v1/volume/connectors/${c.uuid}`, undefined, V)).body.connector_id).toBe(
      'iqn.power',
    );

    await power(svc(), n, 'power off');
    const ok = await svc().request(
      'PATCH',
      `/v1/volume/connectors/${c.uuid}`,
      [...patch, { op: 'add', path: '/extra/b', value: 2 }, { op: 'remove', path: '/extra/a' }],
      V,
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ connector_id: 'iqn.power.2', extra: { b: 2 } });
    expect(ok.body.updated_at).not.toBeNull();
    const removed = await svc().request(
      'PATCH',
      `/v1/volume/connectors/${c.uuid}`,
      [{ op: 'remove', path: '/extra' }],
      V,
    );
    expect(removed.body.extra).toEqual({});
    expect((await svc().request('DELETE', `/v1/volume/connectors/${c.uuid}`, undefined, V)).status).toBe(204);
    expect((await svc().request('GET', `/v1/volume/connectors/${c.uuid}`, undefined, V)).status).toBe(404);
  });

  it('refuses bad connector patches with 4xx and keeps the connector', async () => {
    const n = await node(svc(), 'vol-c-patch');
    await power(svc(), n, 'power off');
    const c = (await connector(svc(), { node_uuid: n, type: 'iqn', connector_id: 'iqn.patch' })).body;
    await connector(svc(), { node_uuid: n, type: 'iqn', connector_id: 'iqn.patch.taken' });
    const cases: [unknown[], number][] = [
      [[{ op: 'remove', path: '/connector_id' }], 400],
      [[{ op: 'replace', path: '/type', value: 'floppy' }], 400],
      [[{ op: 'replace', path: '/uuid', value: n }], 400],
      [[{ op: 'add', path: '/colour', value: 'red' }], 400],
      [[{ op: 'replace', path: '/node_uuid', value: '00000000-0000-4000-8000-000000000000' }], 400],
      [[{ op: 'replace', path: '/connector_id', value: 'iqn.patch.taken' }], 409],
    ];
    for (const [ops, status] of cases) {
      const res = await svc().request('PATCH', `/v1/volume/connectors/${c.uuid}`, ops, V);
      expect(res.status, JSON.stringify(ops)).toBe(status);
    }
    const dup = await svc().request(
      'PATCH',
      `/v1/volume/connectors/${c.uuid}`,
      [{ op: 'replace', path: '/connector_id', value: 'iqn.patch.taken' }],
      V,
    );
    expect(faultOf(dup)).toBe('A volume connector with type iqn and connector ID iqn.patch.taken already exists.');
    expect((await svc().request('GET', `/v1/volume/connectors/${c.uuid}`, undefined, V)).body).toMatchObject({
      connector_id: 'iqn.patch',
      node_uuid: n,
    });
  });

  it('moves a connector to another node only when that node is powered off too', async () => {
    const a = await node(svc(), 'vol-c-move-a');
    const b = await node(svc(), 'vol-c-move-b');
    await power(svc(), a, 'power off');
    await power(svc(), b, 'power on');
    const c = (await connector(svc(), { node_uuid: a, type: 'mac', connector_id: '52:54:00:12:34:56' })).body;
    const move = [{ op: 'replace', path: '/node_uuid', value: 'vol-c-move-b' }];
    expect((await svc().request('PATCH', `/v1/volume/connectors/${c.uuid}`, move, V)).status).toBe(400);
    await power(svc(), b, 'power off');
    const moved = await svc().request('PATCH', `/v1/volume/connectors/${c.uuid}`, move, V);
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.node_uuid).toBe(b);
  });

  it('creates targets with a boot index unique within a node', async () => {
    const a = await node(svc(), 'vol-t-a');
    const b = await node(svc(), 'vol-t-b');
    const t = await target(svc(), {
      node_uuid: a,
      volume_type: 'iscsi',
      volume_id: 'vol-1',
      boot_index: 0,
      properties: { target_lun: 0 },
    });
    expect(t.status, t.text).toBe(201);
    expect(t.body).toMatchObject({ volume_type: 'iscsi', boot_index: 0, properties: { target_lun: 0 }, extra: {} });
    expect(t.headers.get('location')).toMatch(new RegExp(`/v1/volume/targets/${t.body.uuid}$`));
    const dup = await target(svc(), { node_uuid: a, volume_type: 'iscsi', volume_id: 'vol-2', boot_index: 0 });
    expect(dup.status).toBe(409);
    expect(faultOf(dup)).toBe("A volume target with boot index '0' for the same node already exists.");
    // The same volume and boot index on another node is fine, as in Ironic.
    expect(
      (await target(svc(), { node_uuid: b, volume_type: 'iscsi', volume_id: 'vol-1', boot_index: 0 })).status,
    ).toBe(201);
    const list = (await svc().request('GET', `/v1/nodes/vol-t-a/volume/targets`, undefined, V)).body;
    expect(list.targets).toHaveLength(1);
    expect(Object.keys(list.targets[0]).sort()).toEqual([
      'boot_index',
      'links',
      'node_uuid',
      'uuid',
      'volume_id',
      'volume_type',
    ]);
  });

  it('refuses bad target input with 400', async () => {
    const n = await node(svc(), 'vol-t-bad');
    const ok = { node_uuid: n, volume_type: 'iscsi', volume_id: 'v', boot_index: 1 };
    const cases: Record<string, unknown>[] = [
      { ...ok, boot_index: -1 },
      { ...ok, boot_index: 1.5 },
      { ...ok, boot_index: '1' },
      { ...ok, boot_index: undefined },
      { ...ok, volume_id: 'v'.repeat(37) },
      { ...ok, volume_type: '' },
      { ...ok, properties: 'iscsi' },
      { ...ok, size: 10 },
    ];
    for (const body of cases) expect((await target(svc(), body)).status, JSON.stringify(body)).toBe(400);
    expect((await svc().request('GET', `/v1/volume/targets?node=${n}`, undefined, V)).body.targets).toEqual([]);
  });

  it('changes a target only while its node is off, and keeps the boot index unique', async () => {
    const n = await node(svc(), 'vol-t-patch');
    const t0 = (await target(svc(), { node_uuid: n, volume_type: 'iscsi', volume_id: 'a', boot_index: 0 })).body;
    const t1 = (await target(svc(), { node_uuid: n, volume_type: 'iscsi', volume_id: 'b', boot_index: 1 })).body;
    await power(svc(), n, 'power on');
    const refused = await svc().request(
      'PATCH',
      `/v1/volume/targets/${t1.uuid}`,
      [{ op: 'replace', path: '/volume_id', value: 'c' }],
      V,
    );
    expect(refused.status).toBe(400);
    expect(faultOf(refused)).toContain('The requested action "volume target update" can not be performed');
    const del = await svc().request('DELETE', `/v1/volume/targets/${t1.uuid}`, undefined, V);
    expect(faultOf(del)).toContain('The requested action "volume target deletion" can not be performed');
    await power(svc(), n, 'power off');
    const clash = await svc().request(
      'PATCH',
      `/v1/volume/targets/${t1.uuid}`,
      [{ op: 'replace', path: '/boot_index', value: 0 }],
      V,
    );
    expect(clash.status).toBe(409);
    const ok = await svc().request(
      'PATCH',
      `/v1/volume/targets/${t1.uuid}`,
      [
        { op: 'replace', path: '/boot_index', value: 2 },
        { op: 'add', path: '/properties/target_iqn', value: 'iqn.t' },
        { op: 'remove', path: '/extra' },
      ],
      V,
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({ boot_index: 2, properties: { target_iqn: 'iqn.t' }, extra: {} });
    expect((await svc().request('DELETE', `/v1/volume/targets/${t0.uuid}`, undefined, V)).status).toBe(204);
  });

  it('filters by node, pages with limit and marker, and sorts by a column but not a document', async () => {
    const n = await node(svc(), 'vol-page');
    for (let i = 0; i < 5; i++) await connector(svc(), { node_uuid: n, type: 'iqn', connector_id: `iqn.page.${i}` });
    const first = (await svc().request('GET', `/v1/volume/connectors?node=vol-page&limit=3`, undefined, V)).body;
    expect(first.connectors).toHaveLength(3);
    expect(first.next).toContain(`marker=${first.connectors[2].uuid}`);
    expect(first.next).toContain('node=vol-page');
    const next = new URL(first.next);
    const second = (await svc().request('GET', next.pathname + next.search, undefined, V)).body;
    expect(second.connectors.map((c: { connector_id: string }) => c.connector_id)).toEqual([
      'iqn.page.3',
      'iqn.page.4',
    ]);
    expect(second).not.toHaveProperty('next');
    const scoped = (await svc().request('GET', `/v1/nodes/${n}/volume/connectors?limit=2`, undefined, V)).body;
    expect(scoped.next).toContain(`/v1/nodes/${n}/volume/connectors?`);
    const desc = (
      await svc().request('GET', `/v1/volume/connectors?node=${n}&sort_key=connector_id&sort_dir=desc`, undefined, V)
    ).body;
    expect(desc.connectors[0].connector_id).toBe('iqn.page.4');
    expect((await svc().request('GET', '/v1/volume/connectors?sort_key=extra', undefined, V)).status).toBe(400);
    expect((await svc().request('GET', '/v1/volume/targets?sort_key=properties', undefined, V)).status).toBe(400);
    expect((await svc().request('GET', '/v1/volume/connectors?node=no-such-node', undefined, V)).status).toBe(404);
    const badMarker = '/v1/volume/connectors?marker=00000000-0000-4000-8000-000000000000';
    expect((await svc().request('GET', badMarker, undefined, V)).status).toBe(404);
  });

  it('removes a node’s connectors and targets with the node', async () => {
    const n = await node(svc(), 'vol-node-delete');
    const c = (await connector(svc(), { node_uuid: n, type: 'iqn', connector_id: 'iqn.gone' })).body;
    const t = (await target(svc(), { node_uuid: n, volume_type: 'iscsi', volume_id: 'gone', boot_index: 0 })).body;
    expect((await svc().request('DELETE', `/v1/nodes/${n}`)).status).toBe(204);
    expect((await svc().request('GET', `/v1/volume/connectors/${c.uuid}`, undefined, V)).status).toBe(404);
    expect((await svc().request('GET', `/v1/volume/targets/${t.uuid}`, undefined, V)).status).toBe(404);
    // The connector id is free again.
    const again = await node(svc(), 'vol-node-delete-2');
    expect((await connector(svc(), { node_uuid: again, type: 'iqn', connector_id: 'iqn.gone' })).status).toBe(201);
  });
});
