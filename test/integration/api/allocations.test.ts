import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../services/db/index.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

const V = '1.60';

/** An available, powered fake-hardware node of `resourceClass` with `traits`. */
async function availableNode(svc: TestService, name: string, resourceClass: string, traits: string[] = []) {
  const uuid = (
    await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', name, resource_class: resourceClass }, V)
  ).body.uuid as string;
  if (traits.length > 0) await svc.request('PUT', `/v1/nodes/${uuid}/traits`, { traits }, V);
  for (const [target, state] of [
    ['manage', 'manageable'],
    ['provide', 'available'],
  ] as const) {
    await moveTo(svc, uuid, target, state);
  }
  return uuid;
}

async function moveTo(svc: TestService, node: string, target: string, state: string) {
  const res = await svc.request('PUT', `/v1/nodes/${node}/states/provision`, { target }, V);
  expect(res.status, res.text).toBe(202);
  await eventually(
    () => svc.request('GET', `/v1/nodes/${node}`, undefined, V),
    (r) => r.body.provision_state === state && r.body.reservation === null,
  );
}

async function deployedNode(svc: TestService, name: string, resourceClass: string) {
  const uuid = await availableNode(svc, name, resourceClass);
  await moveTo(svc, uuid, 'active', 'active');
  return uuid;
}

/** The allocation once a conductor has dealt with it. */
async function settled(svc: TestService, ident: string, ms = 5000) {
  return (
    await eventually(
      () => svc.request('GET', `/v1/allocations/${ident}`, undefined, V),
      (r) => r.status !== 200 || r.body.state !== 'allocating',
      ms,
    )
  ).body;
}

async function allocate(svc: TestService, body: Record<string, unknown>) {
  const res = await svc.request('POST', '/v1/allocations', body, V);
  expect(res.status, res.text).toBe(201);
  return res.body;
}

describeOnEngines('allocations', (svc) => {
  /** The service's own database, to play a conductor that died or a lock held for a moment. */
  let db: Database;
  beforeAll(() => {
    db = openDatabase(svc().db.url);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('answers 201 allocating at once; a conductor then picks a node by resource class and traits, linked both ways', async () => {
    await availableNode(svc(), 'al-plain', 'alloc-a');
    const gpu = await availableNode(svc(), 'al-gpu', 'alloc-a', ['CUSTOM_GPU', 'CUSTOM_RACK_1']);
    const res = await svc().request(
      'POST',
      '/v1/allocations',
      { resource_class: 'alloc-a', traits: ['CUSTOM_GPU'], name: 'a-1' },
      V,
    );
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toMatch(new RegExp(`/v1/allocations/${res.body.uuid}$`));
    expect(res.body).toMatchObject({ state: 'allocating', node_uuid: null, last_error: null, name: 'a-1' });
    const done = await settled(svc(), 'a-1');
    expect(done).toMatchObject({ state: 'active', node_uuid: gpu, last_error: null, traits: ['CUSTOM_GPU'] });
    const node = (await svc().request('GET', `/v1/nodes/${gpu}`, undefined, V)).body;
    expect(node.allocation_uuid).toBe(res.body.uuid);
    expect(node.instance_uuid).toBe(res.body.uuid);
    expect((await svc().request('GET', `/v1/nodes/${gpu}/allocation`, undefined, V)).body).toEqual(done);
  });

  it("ends in error with Ironic's reason when nothing fits", async () => {
    await availableNode(svc(), 'al-err', 'alloc-e');
    const cases: [Record<string, unknown>, string][] = [
      [{ resource_class: 'no-such-class' }, 'no available nodes match the resource class no-such-class'],
      [{ resource_class: 'alloc-e', traits: ['CUSTOM_X'] }, 'no suitable nodes have the requested traits CUSTOM_X'],
      [
        { resource_class: 'alloc-x', candidate_nodes: ['al-err'] },
        'none of the requested nodes are available and match the resource class alloc-x',
      ],
    ];
    for (const [body, reason] of cases) {
      const a = await allocate(svc(), body);
      expect(await settled(svc(), a.uuid)).toMatchObject({
        state: 'error',
        node_uuid: null,
        last_error: `Failed to process allocation ${a.uuid}: ${reason}.`,
      });
    }
  });

  it('chooses only among candidate nodes, which must exist', async () => {
    await availableNode(svc(), 'al-c1', 'alloc-c');
    const c2 = await availableNode(svc(), 'al-c2', 'alloc-c');
    const a = await allocate(svc(), { resource_class: 'alloc-c', candidate_nodes: ['al-c2'] });
    expect(a.candidate_nodes).toEqual([c2]);
    expect(await settled(svc(), a.uuid)).toMatchObject({ state: 'active', node_uuid: c2 });
    const bad = await svc().request(
      'POST',
      '/v1/allocations',
      { resource_class: 'alloc-c', candidate_nodes: ['ghost'] },
      V,
    );
    expect(bad.status).toBe(400);
    expect(faultOf(bad)).toBe('Node ghost could not be found.');
  });

  it('never gives one node to two allocations racing for it', async () => {
    const nodes = await Promise.all([0, 1, 2].map((i) => availableNode(svc(), `al-race-${i}`, 'alloc-race')));
    const created = await Promise.all(
      Array.from({ length: 8 }, () => allocate(svc(), { resource_class: 'alloc-race' })),
    );
    const results = await Promise.all(created.map((a) => settled(svc(), a.uuid)));
    const active = results.filter((r) => r.state === 'active');
    expect(active).toHaveLength(3);
    expect(new Set(active.map((r) => r.node_uuid))).toEqual(new Set(nodes));
    expect(results.filter((r) => r.state === 'error')).toHaveLength(5);
  });

  it('waits out a node locked for a moment rather than failing', async () => {
    const node = await availableNode(svc(), 'al-busy', 'alloc-busy');
    await db.knex('nodes').where({ uuid: node }).update({ reservation: 'someone-else' });
    const a = await allocate(svc(), { resource_class: 'alloc-busy' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await svc().request('GET', `/v1/allocations/${a.uuid}`, undefined, V)).body.state).toBe('allocating');
    await db.knex('nodes').where({ uuid: node }).update({ reservation: null });
    expect(await settled(svc(), a.uuid)).toMatchObject({ state: 'active', node_uuid: node });
  });

  it('fails, naming the locked nodes, when they stay locked', async () => {
    const node = await availableNode(svc(), 'al-stuck', 'alloc-stuck');
    await db.knex('nodes').where({ uuid: node }).update({ reservation: 'someone-else' });
    const a = await allocate(svc(), { resource_class: 'alloc-stuck' });
    expect(await settled(svc(), a.uuid, 8000)).toMatchObject({
      state: 'error',
      last_error: `Failed to process allocation ${a.uuid}: could not reserve any of 1 suitable nodes.`,
    });
    await db.knex('nodes').where({ uuid: node }).update({ reservation: null });
  });

  it('finishes an allocation that a conductor left allocating when it died', async () => {
    const node = await availableNode(svc(), 'al-orphan', 'alloc-orphan');
    const uuid = '5b0d3a84-6f3c-4f43-9d2b-0c1d7f1e0a11';
    await db.knex('allocations').insert({
      uuid,
      name: 'orphan',
      state: 'allocating',
      resource_class: 'alloc-orphan',
      traits: '[]',
      candidate_nodes: '[]',
      extra: '{}',
      created_at: new Date().toISOString(),
    });
    expect(await settled(svc(), uuid)).toMatchObject({ state: 'active', node_uuid: node });
  });

  it('backfills an allocation for a deployed node at once, copying its resource class and instance uuid', async () => {
    const node = await deployedNode(svc(), 'al-back', 'alloc-b');
    const res = await svc().request('POST', '/v1/allocations', { node: 'al-back' }, V);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ state: 'active', node_uuid: node, resource_class: 'alloc-b', last_error: null });
    const after = (await svc().request('GET', `/v1/nodes/${node}`, undefined, V)).body;
    expect(after).toMatchObject({ allocation_uuid: res.body.uuid, instance_uuid: res.body.uuid });
    const again = await svc().request('POST', '/v1/allocations', { node: 'al-back', resource_class: 'alloc-b' }, V);
    expect(again.status).toBe(409);
    expect(faultOf(again)).toBe(`Node ${node} is associated with instance ${res.body.uuid}.`);

    const instance = 'c6d7c1a4-2a43-4c4e-8f3c-6c1c1e7d9b20';
    const other = await deployedNode(svc(), 'al-back-2', 'alloc-b');
    await svc().request('PATCH', `/v1/nodes/${other}`, [{ op: 'add', path: '/instance_uuid', value: instance }], V);
    const copied = await svc().request('POST', '/v1/allocations', { node: other }, V);
    expect(copied.body).toMatchObject({ uuid: instance, state: 'active', node_uuid: other });
  });

  it('refuses a backfill that does not fit, with every reason, and writes nothing', async () => {
    const node = await availableNode(svc(), 'al-back-no', 'alloc-bn');
    const before = (await svc().request('GET', '/v1/allocations?limit=1000', undefined, V)).body.allocations.length;
    const res = await svc().request(
      'POST',
      '/v1/allocations',
      { node: 'al-back-no', resource_class: 'other', uuid: '0b8f4d7e-1f0e-4a55-a1c1-4e5b6f7a8b9c' },
      V,
    );
    expect(res.status).toBe(400);
    expect(faultOf(res)).toBe(
      `Failed to process allocation 0b8f4d7e-1f0e-4a55-a1c1-4e5b6f7a8b9c: Cannot backfill an allocation for node ${node}: ` +
        'Node must be in the "active" state, but the current state is "available"; ' +
        'Resource class alloc-bn does not match the requested resource class other.',
    );
    expect((await svc().request('GET', '/v1/allocations?limit=1000', undefined, V)).body.allocations).toHaveLength(
      before,
    );
    expect((await svc().request('GET', `/v1/nodes/${node}`, undefined, V)).body.allocation_uuid).toBeNull();
    const old = await svc().request('POST', '/v1/allocations', { node: 'al-back-no' }, '1.57');
    expect(old.status).toBe(400);
    expect(faultOf(old)).toBe('Cannot set node when creating an allocation in this API version');
    const ghost = await svc().request('POST', '/v1/allocations', { node: 'ghost' }, V);
    expect(ghost.status).toBe(400);
  });

  it('frees the node on delete, but not while it is deployed outside maintenance', async () => {
    const node = await availableNode(svc(), 'al-del', 'alloc-d');
    const a = await allocate(svc(), { resource_class: 'alloc-d' });
    await settled(svc(), a.uuid);
    await moveTo(svc(), node, 'active', 'active');
    const refused = await svc().request('DELETE', `/v1/allocations/${a.uuid}`, undefined, V);
    expect(refused.status).toBe(409);
    expect(faultOf(refused)).toBe(
      `Cannot remove allocation ${a.uuid} for node ${node}, because the node is active (and maintenance mode is off)`,
    );
    await moveTo(svc(), node, 'deleted', 'available');
    expect((await svc().request('DELETE', `/v1/nodes/${node}/allocation`, undefined, V)).status).toBe(204);
    const freed = (await svc().request('GET', `/v1/nodes/${node}`, undefined, V)).body;
    expect(freed).toMatchObject({ allocation_uuid: null, instance_uuid: null });
    expect((await svc().request('GET', `/v1/allocations/${a.uuid}`, undefined, V)).status).toBe(404);
    const none = await svc().request('GET', `/v1/nodes/${node}/allocation`, undefined, V);
    expect(none.status).toBe(404);
    expect(faultOf(none)).toBe(`Allocation for node ${node} was not found`);
  });

  it('deletes a failed allocation, and one by name', async () => {
    const failed = await allocate(svc(), { resource_class: 'alloc-none', name: 'del-me' });
    await settled(svc(), failed.uuid);
    expect((await svc().request('DELETE', '/v1/allocations/del-me', undefined, V)).status).toBe(204);
    expect((await svc().request('GET', '/v1/allocations/del-me', undefined, V)).status).toBe(404);
  });

  it('lists with filters, patches name and extra, and hides itself before 1.52', async () => {
    const owned = await availableNode(svc(), 'al-list', 'alloc-l');
    const unowned = await allocate(svc(), { resource_class: 'alloc-l', owner: 'team-a' });
    expect((await settled(svc(), unowned.uuid)).state).toBe('error');
    expect(
      (await svc().request('PATCH', `/v1/nodes/${owned}`, [{ op: 'add', path: '/lessee', value: 'team-a' }], '1.65'))
        .status,
    ).toBe(200);
    const a = await allocate(svc(), { resource_class: 'alloc-l', owner: 'team-a' });
    await settled(svc(), a.uuid);
    const listed = await svc().request('GET', '/v1/allocations?resource_class=alloc-l&state=active', undefined, V);
    expect(listed.body.allocations.map((x: { uuid: string }) => x.uuid)).toEqual([a.uuid]);
    const errored = await svc().request('GET', '/v1/allocations?resource_class=alloc-l&state=error', undefined, V);
    expect(errored.body.allocations.map((x: { uuid: string }) => x.uuid)).toEqual([unowned.uuid]);
    expect(
      (await svc().request('GET', `/v1/allocations?node=al-list&fields=uuid`, undefined, V)).body.allocations,
    ).toEqual([{ uuid: a.uuid, links: expect.any(Array) }]);
    expect(
      (await svc().request('GET', '/v1/allocations?owner=team-a&state=active&fields=uuid', undefined, V)).body
        .allocations,
    ).toEqual([{ uuid: a.uuid, links: expect.any(Array) }]);
    const ghost = await svc().request('GET', '/v1/allocations?node=ghost', undefined, V);
    expect(ghost.status).toBe(400);
    expect(faultOf(ghost)).toBe('Node ghost could not be found.');
    expect((await svc().request('GET', '/v1/allocations?state=flying', undefined, V)).body.allocations).toEqual([]);
    const patched = await svc().request(
      'PATCH',
      `/v1/allocations/${a.uuid}`,
      [
        { op: 'add', path: '/name', value: 'renamed' },
        { op: 'add', path: '/extra/k', value: 'v' },
      ],
      V,
    );
    expect(patched.body).toMatchObject({ name: 'renamed', extra: { k: 'v' } });
    const refused = await svc().request(
      'PATCH',
      `/v1/allocations/${a.uuid}`,
      [{ op: 'replace', path: '/resource_class', value: 'x' }],
      V,
    );
    expect(refused.status).toBe(400);
    const badName = await svc().request(
      'PATCH',
      `/v1/allocations/${a.uuid}`,
      [{ op: 'replace', path: '/name', value: 'bad name' }],
      V,
    );
    expect(badName.status).toBe(400);
    expect((await svc().request('PATCH', `/v1/allocations/${a.uuid}`, [], '1.56')).status).toBe(406);
    expect((await svc().request('GET', '/v1/allocations', undefined, '1.51')).status).toBe(404);
  });

  it('refuses bad input and writes nothing', async () => {
    const before = (await svc().request('GET', '/v1/allocations?limit=1000', undefined, V)).body.allocations.length;
    const missing = await svc().request('POST', '/v1/allocations', {}, V);
    expect(missing.status).toBe(400);
    expect(faultOf(missing)).toBe('The resource_class field is mandatory when not backfilling');
    const badName = await svc().request('POST', '/v1/allocations', { resource_class: 'x', name: 'bad name' }, V);
    expect(faultOf(badName)).toBe("Cannot create allocation with invalid name 'bad name'");
    for (const body of [
      { resource_class: 'x', traits: ['bad trait'] },
      { resource_class: 'x', colour: 1 },
      { resource_class: 'x', traits: 'CUSTOM_A' },
      { resource_class: 'x'.repeat(81) },
      { resource_class: 'x', uuid: 'not-a-uuid' },
    ]) {
      expect((await svc().request('POST', '/v1/allocations', body, V)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await svc().request('POST', '/v1/allocations', '{"resource_class":', V)).status).toBe(400);
    expect((await svc().request('POST', '/v1/allocations', { resource_class: 'x', owner: 'o' }, '1.59')).status).toBe(
      406,
    );
    expect((await svc().request('GET', '/v1/allocations?limit=1000', undefined, V)).body.allocations).toHaveLength(
      before,
    );
    const first = await allocate(svc(), { resource_class: 'x', name: 'dup' });
    const dupName = await svc().request('POST', '/v1/allocations', { resource_class: 'x', name: 'dup' }, V);
    expect(dupName.status).toBe(409);
    expect(faultOf(dupName)).toBe('An allocation with name dup already exists.');
    const dupUuid = await svc().request('POST', '/v1/allocations', { resource_class: 'x', uuid: first.uuid }, V);
    expect(dupUuid.status).toBe(409);
  });
});
