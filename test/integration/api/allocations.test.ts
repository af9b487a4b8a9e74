import { expect, it } from 'vitest';
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
    await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target }, V);
    await eventually(
      () => svc.request('GET', `/v1/nodes/${uuid}`, undefined, V),
      (r) => r.body.provision_state === state && r.body.reservation === null,
    );
  }
  return uuid;
}

describeOnEngines('allocations', (svc) => {
  it('picks an available node by resource class and traits, and links both ways', async () => {
    await availableNode(svc(), 'al-plain', 'alloc-a');
    const gpu = await availableNode(svc(), 'al-gpu', 'alloc-a', ['CUSTOM_GPU', 'CUSTOM_RACK_1']);
    const res = await svc().request(
      'POST',
      '/v1/allocations',
      { resource_class: 'alloc-a', traits: ['CUSTOM_GPU'], name: 'a-1' },
      V,
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      state: 'active',
      node_uuid: gpu,
      name: 'a-1',
      last_error: null,
      traits: ['CUSTOM_GPU'],
    });
    const node = (await svc().request('GET', `/v1/nodes/${gpu}`, undefined, V)).body;
    expect(node.allocation_uuid).toBe(res.body.uuid);
    expect(node.instance_uuid).toBe(res.body.uuid);
    expect((await svc().request('GET', `/v1/nodes/${gpu}/allocation`, undefined, V)).body.uuid).toBe(res.body.uuid);
    expect((await svc().request('GET', '/v1/allocations/a-1', undefined, V)).body.node_uuid).toBe(gpu);
  });

  it('ends in error with a reason when nothing matches', async () => {
    const res = await svc().request(
      'POST',
      '/v1/allocations',
      { resource_class: 'no-such-class', traits: ['CUSTOM_X'] },
      V,
    );
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('error');
    expect(res.body.last_error).toBe('No available nodes match the resource class no-such-class and traits CUSTOM_X.');
  });

  it('chooses only among candidate nodes', async () => {
    await availableNode(svc(), 'al-c1', 'alloc-c');
    const c2 = await availableNode(svc(), 'al-c2', 'alloc-c');
    const res = await svc().request(
      'POST',
      '/v1/allocations',
      { resource_class: 'alloc-c', candidate_nodes: ['al-c2'] },
      V,
    );
    expect(res.body).toMatchObject({ state: 'active', node_uuid: c2, candidate_nodes: [c2] });
    const bad = await svc().request(
      'POST',
      '/v1/allocations',
      { resource_class: 'alloc-c', candidate_nodes: ['ghost'] },
      V,
    );
    expect(bad.status).toBe(400);
  });

  it('never gives one node to two allocations racing for it', async () => {
    const nodes = await Promise.all([0, 1, 2].map((i) => availableNode(svc(), `al-race-${i}`, 'alloc-race')));
    const results = await Promise.all(
      Array.from({ length: 8 }, () => svc().request('POST', '/v1/allocations', { resource_class: 'alloc-race' }, V)),
    );
    const active = results.filter((r) => r.body.state === 'active');
    expect(active).toHaveLength(3);
    expect(new Set(active.map((r) => r.body.node_uuid))).toEqual(new Set(nodes));
    expect(results.filter((r) => r.body.state === 'error')).toHaveLength(5);
  });

  it('backfills an allocation for a given node', async () => {
    const node = await availableNode(svc(), 'al-back', 'alloc-b');
    const res = await svc().request('POST', '/v1/allocations', { node: 'al-back' }, V);
    expect(res.body).toMatchObject({ state: 'active', node_uuid: node });
    expect((await svc().request('POST', '/v1/allocations', { node: 'al-back' }, '1.57')).status).toBe(406);
  });

  it('frees the node on delete, but not while it is deployed outside maintenance', async () => {
    const node = await availableNode(svc(), 'al-del', 'alloc-d');
    const a = (await svc().request('POST', '/v1/allocations', { resource_class: 'alloc-d' }, V)).body;
    await svc().request('PUT', `/v1/nodes/${node}/states/provision`, { target: 'active' }, V);
    await eventually(
      () => svc().request('GET', `/v1/nodes/${node}`, undefined, V),
      (r) => r.body.provision_state === 'active' && r.body.reservation === null,
    );
    const refused = await svc().request('DELETE', `/v1/allocations/${a.uuid}`, undefined, V);
    expect(refused.status).toBe(409);
    expect(faultOf(refused)).toContain('undeploy');
    await svc().request('PUT', `/v1/nodes/${node}/states/provision`, { target: 'deleted' }, V);
    await eventually(
      () => svc().request('GET', `/v1/nodes/${node}`, undefined, V),
      (r) => r.body.provision_state === 'available' && r.body.reservation === null,
    );
    expect((await svc().request('DELETE', `/v1/nodes/${node}/allocation`, undefined, V)).status).toBe(204);
    const freed = (await svc().request('GET', `/v1/nodes/${node}`, undefined, V)).body;
    expect(freed).toMatchObject({ allocation_uuid: null, instance_uuid: null });
    expect((await svc().request('GET', `/v1/allocations/${a.uuid}`, undefined, V)).status).toBe(404);
  });

  it('lists with filters, patches name and extra, and hides itself before 1.52', async () => {
    const owned = await availableNode(svc(), 'al-list', 'alloc-l');
    const unowned = (await svc().request('POST', '/v1/allocations', { resource_class: 'alloc-l', owner: 'team-a' }, V))
      .body;
    expect(unowned.state).toBe('error');
    expect(
      (await svc().request('PATCH', `/v1/nodes/${owned}`, [{ op: 'add', path: '/lessee', value: 'team-a' }], '1.65'))
        .status,
    ).toBe(200);
    const a = (await svc().request('POST', '/v1/allocations', { resource_class: 'alloc-l', owner: 'team-a' }, V)).body;
    const listed = await svc().request('GET', '/v1/allocations?resource_class=alloc-l&state=active', undefined, V);
    expect(listed.body.allocations.map((x: { uuid: string }) => x.uuid)).toEqual([a.uuid]);
    expect(
      (await svc().request('GET', '/v1/allocations?owner=team-a&state=active&fields=uuid', undefined, V)).body
        .allocations,
    ).toEqual([{ uuid: a.uuid, links: expect.any(Array) }]);
    expect((await svc().request('GET', '/v1/allocations?node=ghost', undefined, V)).body.allocations).toEqual([]);
    expect((await svc().request('GET', '/v1/allocations?state=flying', undefined, V)).status).toBe(400);
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
    expect((await svc().request('GET', '/v1/allocations', undefined, '1.51')).status).toBe(404);
  });

  it('refuses bad input', async () => {
    expect((await svc().request('POST', '/v1/allocations', {}, V)).status).toBe(400);
    expect(
      (await svc().request('POST', '/v1/allocations', { resource_class: 'x', traits: ['bad trait'] }, V)).status,
    ).toBe(400);
    expect((await svc().request('POST', '/v1/allocations', { resource_class: 'x', name: 'bad name' }, V)).status).toBe(
      400,
    );
    expect((await svc().request('POST', '/v1/allocations', { resource_class: 'x', colour: 1 }, V)).status).toBe(400);
    expect((await svc().request('POST', '/v1/allocations', { resource_class: 'x', owner: 'o' }, '1.59')).status).toBe(
      406,
    );
  });
});
