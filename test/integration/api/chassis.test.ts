import { expect, it } from 'vitest';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';

async function chassis(svc: TestService, body: Record<string, unknown> = {}) {
  const res = await svc.request('POST', '/v1/chassis', body);
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

async function count(svc: TestService, path: string, key: string): Promise<number> {
  return ((await svc.request('GET', path)).body[key] as unknown[]).length;
}

const MISSING = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123';

describeOnEngines('chassis', (svc) => {
  it('creates a chassis and shows every field, with links to itself and to its nodes', async () => {
    const res = await svc().request('POST', '/v1/chassis', { description: 'rack 1', extra: { row: 'a' } });
    expect(res.status, res.text).toBe(201);
    const uuid = res.body.uuid as string;
    expect(res.headers.get('location')).toMatch(new RegExp(`/v1/chassis/${uuid}$`));
    expect(res.body).toMatchObject({ description: 'rack 1', extra: { row: 'a' }, updated_at: null });
    expect(Object.keys(res.body).sort()).toEqual([
      'created_at',
      'description',
      'extra',
      'links',
      'nodes',
      'updated_at',
      'uuid',
    ]);
    expect(res.body.links[0].href).toMatch(new RegExp(`/v1/chassis/${uuid}$`));
    expect(res.body.links[1]).toMatchObject({ rel: 'bookmark' });
    expect(res.body.nodes.map((l: { href: string }) => l.href)[0]).toMatch(new RegExp(`/v1/chassis/${uuid}/nodes$`));
    const shown = await svc().request('GET', `/v1/chassis/${uuid}`);
    expect(shown.body).toEqual(res.body);
  });

  it('keeps the uuid a client gives, in canonical form, and refuses it twice with 409', async () => {
    const uuid = 'A1B2C3D4-0000-4000-8000-000000000001';
    expect(await chassis(svc(), { uuid })).toBe(uuid.toLowerCase());
    const dup = await svc().request('POST', '/v1/chassis', { uuid: uuid.toLowerCase() });
    expect(dup.status).toBe(409);
    expect(faultOf(dup)).toBe(`A chassis with UUID ${uuid.toLowerCase()} already exists.`);
  });

  it('refuses bad input with 400 and writes nothing', async () => {
    const before = await count(svc(), '/v1/chassis', 'chassis');
    const cases: [unknown, RegExp][] = [
      [{ name: 'rack' }, /Unknown attribute\(s\) for chassis: name/],
      [{ description: 'x'.repeat(256) }, /description/],
      [{ description: 7 }, /description/],
      [{ extra: [] }, /extra/],
      [{ uuid: 'not-a-uuid' }, /uuid/],
      ['{"description": ', /not valid JSON/],
    ];
    for (const [body, message] of cases) {
      const res = await svc().request('POST', '/v1/chassis', body);
      expect(res.status, res.text).toBe(400);
      expect(faultOf(res)).toMatch(message);
    }
    expect(await count(svc(), '/v1/chassis', 'chassis')).toBe(before);
  });

  it('takes a unicode description of up to 255 characters, and null for none', async () => {
    const description = 'В Україні ♡ OpenStack!'.padEnd(255, '♡');
    const uuid = await chassis(svc(), { description });
    expect((await svc().request('GET', `/v1/chassis/${uuid}`)).body.description).toBe(description);
    const none = await chassis(svc(), { description: null, extra: null });
    expect((await svc().request('GET', `/v1/chassis/${none}`)).body).toMatchObject({ description: null, extra: {} });
  });

  it('finds a chassis by uuid only: 400 for anything else, 404 for one that does not exist', async () => {
    const bad = await svc().request('GET', '/v1/chassis/rack-1');
    expect(bad.status).toBe(400);
    expect(faultOf(bad)).toBe('Expected UUID for chassis_uuid: rack-1');
    const missing = await svc().request('GET', `/v1/chassis/${MISSING}`);
    expect(missing.status).toBe(404);
    expect(faultOf(missing)).toBe(`Chassis ${MISSING} could not be found.`);
    expect((await svc().request('DELETE', `/v1/chassis/${MISSING}`)).status).toBe(404);
    expect((await svc().request('PATCH', `/v1/chassis/${MISSING}`, [])).status).toBe(400);
  });

  it('lists uuid and description, all fields in detail, and the fields asked for', async () => {
    const uuid = await chassis(svc(), { description: 'listed', extra: { k: 'v' } });
    const list = await svc().request('GET', '/v1/chassis');
    const item = list.body.chassis.find((c: { uuid: string }) => c.uuid === uuid);
    expect(Object.keys(item).sort()).toEqual(['description', 'links', 'uuid']);
    const detail = await svc().request('GET', '/v1/chassis/detail');
    const full = detail.body.chassis.find((c: { uuid: string }) => c.uuid === uuid);
    expect(full).toMatchObject({ extra: { k: 'v' }, nodes: expect.any(Array) });
    const asked = await svc().request('GET', '/v1/chassis?detail=true', undefined, '1.43');
    expect(asked.body.chassis.find((c: { uuid: string }) => c.uuid === uuid)).toHaveProperty('created_at');
    const fields = await svc().request('GET', '/v1/chassis?fields=uuid,extra');
    expect(Object.keys(fields.body.chassis[0]).sort()).toEqual(['extra', 'links', 'uuid']);
    const one = await svc().request('GET', `/v1/chassis/${uuid}?fields=nodes`);
    expect(Object.keys(one.body).sort()).toEqual(['links', 'nodes']);
  });

  it('answers the version rules of fields and detail, and refuses unknown fields', async () => {
    expect((await svc().request('GET', '/v1/chassis?fields=uuid', undefined, '1.7')).status).toBe(406);
    const early = await svc().request('GET', '/v1/chassis?detail=true', undefined, '1.42');
    expect(early.status).toBe(400);
    expect(faultOf(early)).toBe('Invalid query parameter ?detail=true received.');
    const unknown = await svc().request('GET', '/v1/chassis?fields=uuid,name');
    expect(unknown.status).toBe(400);
    expect(faultOf(unknown)).toBe('Field(s) "name" are not valid');
    const both = await svc().request('GET', '/v1/chassis?detail=true&fields=uuid', undefined, '1.43');
    expect(both.status).toBe(400);
    expect((await svc().request('GET', '/v1/chassis/detail?fields=uuid')).status).toBe(400);
  });

  it('pages with limit, marker and a next link, and sorts by description but not by extra', async () => {
    for (const d of ['page-c', 'page-a', 'page-b']) await chassis(svc(), { description: d });
    const sorted = await svc().request('GET', '/v1/chassis?sort_key=description&sort_dir=desc&limit=1000');
    const descriptions = sorted.body.chassis.map((c: { description: string | null }) => c.description);
    const pages = descriptions.filter((d: string | null) => d?.startsWith('page-'));
    expect(pages).toEqual(['page-c', 'page-b', 'page-a']);
    const first = await svc().request('GET', '/v1/chassis?limit=2');
    expect(first.body.chassis).toHaveLength(2);
    const next = new URL(first.body.next as string);
    expect(next.pathname).toBe('/v1/chassis');
    expect(next.searchParams.get('marker')).toBe(first.body.chassis[1].uuid);
    const second = await svc().request('GET', `${next.pathname}${next.search}`);
    expect(second.body.chassis[0].uuid).not.toBe(first.body.chassis[1].uuid);
    const detailNext = await svc().request('GET', '/v1/chassis/detail?limit=1');
    expect(new URL(detailNext.body.next as string).pathname).toBe('/v1/chassis/detail');
    const byExtra = await svc().request('GET', '/v1/chassis?sort_key=extra');
    expect(byExtra.status).toBe(400);
    expect(faultOf(byExtra)).toMatch(/sort_key value "extra" is an invalid field for sorting/);
    expect((await svc().request('GET', `/v1/chassis?marker=${MISSING}`)).status).toBe(404);
  });

  it('patches description and extra, and refuses the rest', async () => {
    const uuid = await chassis(svc(), { description: 'before' });
    const patched = await svc().request('PATCH', `/v1/chassis/${uuid}`, [
      { op: 'replace', path: '/description', value: 'after' },
      { op: 'add', path: '/extra/slot', value: 4 },
    ]);
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ description: 'after', extra: { slot: 4 } });
    expect(patched.body.updated_at).not.toBeNull();
    const removed = await svc().request('PATCH', `/v1/chassis/${uuid}`, [
      { op: 'remove', path: '/description' },
      { op: 'remove', path: '/extra' },
    ]);
    expect(removed.body).toMatchObject({ description: null, extra: {} });
    for (const [ops, message] of [
      [[{ op: 'replace', path: '/uuid', value: MISSING }], /'\/uuid' is an internal attribute/],
      [[{ op: 'add', path: '/name', value: 'x' }], /Adding a new attribute \(\/name\)/],
      [[{ op: 'replace', path: '/description', value: 'y'.repeat(256) }], /description/],
      [[{ op: 'replace', path: '/extra', value: 'text' }], /extra/],
    ] as const) {
      const res = await svc().request('PATCH', `/v1/chassis/${uuid}`, ops);
      expect(res.status, res.text).toBe(400);
      expect(faultOf(res)).toMatch(message);
    }
    expect((await svc().request('GET', `/v1/chassis/${uuid}`)).body.description).toBeNull();
  });

  it('deletes an empty chassis, and refuses with 400 one that still holds nodes', async () => {
    const empty = await chassis(svc());
    expect((await svc().request('DELETE', `/v1/chassis/${empty}`)).status).toBe(204);
    expect((await svc().request('GET', `/v1/chassis/${empty}`)).status).toBe(404);

    const full = await chassis(svc());
    const node = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', chassis_uuid: full });
    expect(node.status, node.text).toBe(201);
    const refused = await svc().request('DELETE', `/v1/chassis/${full}`);
    expect(refused.status).toBe(400);
    expect(faultOf(refused)).toBe(`Cannot complete the requested action because chassis ${full} contains nodes.`);
    expect((await svc().request('GET', `/v1/chassis/${full}`)).status).toBe(200);
    await svc().request('DELETE', `/v1/nodes/${node.body.uuid}`);
    expect((await svc().request('DELETE', `/v1/chassis/${full}`)).status).toBe(204);
  });

  it('refuses with 400 a node naming a chassis that does not exist, on create and on PATCH', async () => {
    const before = await count(svc(), '/v1/nodes', 'nodes');
    const created = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', chassis_uuid: MISSING });
    expect(created.status).toBe(400);
    expect(faultOf(created)).toBe(`Chassis ${MISSING} could not be found.`);
    expect(await count(svc(), '/v1/nodes', 'nodes')).toBe(before);

    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' })).body.uuid as string;
    const patched = await svc().request('PATCH', `/v1/nodes/${node}`, [
      { op: 'add', path: '/chassis_uuid', value: MISSING },
    ]);
    expect(patched.status).toBe(400);
    expect(faultOf(patched)).toBe(`Chassis ${MISSING} could not be found.`);
    expect((await svc().request('GET', `/v1/nodes/${node}`)).body.chassis_uuid).toBeNull();
  });

  it('moves a node into a chassis by PATCH, and out of it only from 1.25', async () => {
    const uuid = await chassis(svc());
    const node = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' })).body.uuid as string;
    const into = await svc().request('PATCH', `/v1/nodes/${node}`, [
      { op: 'add', path: '/chassis_uuid', value: uuid.toUpperCase() },
    ]);
    expect(into.status, into.text).toBe(200);
    expect(into.body.chassis_uuid).toBe(uuid);
    const remove = [{ op: 'remove', path: '/chassis_uuid' }];
    expect((await svc().request('PATCH', `/v1/nodes/${node}`, remove, '1.24')).status).toBe(406);
    const out = await svc().request('PATCH', `/v1/nodes/${node}`, remove, '1.25');
    expect(out.status, out.text).toBe(200);
    expect(out.body.chassis_uuid).toBeNull();
  });

  it("lists a chassis's nodes, under the chassis and by the chassis_uuid filter", async () => {
    const a = await chassis(svc());
    const b = await chassis(svc());
    const inA = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', chassis_uuid: a })).body
      .uuid as string;
    await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', chassis_uuid: b });
    await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' });
    const uuids = async (path: string) =>
      (await svc().request('GET', path)).body.nodes.map((n: { uuid: string }) => n.uuid) as string[];
    expect(await uuids(`/v1/chassis/${a}/nodes`)).toEqual([inA]);
    expect(await uuids(`/v1/nodes?chassis_uuid=${a.toUpperCase()}`)).toEqual([inA]);
    const detail = await svc().request('GET', `/v1/chassis/${a}/nodes/detail`);
    expect(detail.body.nodes[0]).toMatchObject({ uuid: inA, chassis_uuid: a, driver: 'fake-hardware' });
    const paged = await svc().request('GET', `/v1/chassis/${b}/nodes?limit=1`);
    expect(new URL(paged.body.next as string).pathname).toBe(`/v1/chassis/${b}/nodes`);

    for (const path of [`/v1/chassis/${MISSING}/nodes`, `/v1/nodes?chassis_uuid=${MISSING}`]) {
      const res = await svc().request('GET', path);
      expect(res.status).toBe(404);
      expect(faultOf(res)).toBe(`Chassis ${MISSING} could not be found.`);
    }
    for (const path of ['/v1/chassis/nope/nodes', '/v1/nodes?chassis_uuid=', '/v1/nodes?chassis_uuid=nope']) {
      expect((await svc().request('GET', path)).status, path).toBe(400);
    }
  });

  it('is linked from the v1 document and served without the version prefix too', async () => {
    const v1 = await svc().request('GET', '/v1/');
    expect(v1.body.chassis[0].href).toMatch(/\/v1\/chassis\/$/);
    const uuid = await chassis(svc());
    expect((await svc().request('GET', `/chassis/${uuid}`)).status).toBe(200);
  });
});
