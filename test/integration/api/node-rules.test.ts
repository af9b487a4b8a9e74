import { expect, it } from 'vitest';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

async function create(svc: TestService, body: Record<string, unknown> = {}, version = '1.78') {
  const res = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', ...body }, version);
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

function patch(svc: TestService, uuid: string, ops: unknown[], version = '1.78', query = '') {
  return svc.request('PATCH', `/v1/nodes/${uuid}${query}`, ops, version);
}

async function reach(svc: TestService, uuid: string, target: string, state: string) {
  const res = await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target });
  expect(res.status, res.text).toBe(202);
  await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) => r.body.provision_state === state && r.body.reservation === null,
  );
}

async function deployed(svc: TestService) {
  const uuid = await create(svc);
  await reach(svc, uuid, 'manage', 'manageable');
  await reach(svc, uuid, 'provide', 'available');
  await reach(svc, uuid, 'active', 'active');
  return uuid;
}

describeOnEngines('node rules: driver changes and interfaces', (svc) => {
  it('refuses a new driver that cannot keep the node interfaces, and leaves the node as it was', async () => {
    const uuid = await create(svc());
    const res = await patch(svc(), uuid, [{ op: 'replace', path: '/driver', value: 'ipmi' }]);
    expect(res.status).toBe(400);
    expect(faultOf(res)).toContain('for hardware type ipmi');
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.driver).toBe('fake-hardware');
  });

  it("moves to a new driver's default interfaces with reset_interfaces=true (1.45)", async () => {
    const uuid = await create(svc(), { raid_interface: 'no-raid' });
    const res = await patch(
      svc(),
      uuid,
      [{ op: 'replace', path: '/driver', value: 'ipmi' }],
      '1.45',
      '?reset_interfaces=True',
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      driver: 'ipmi',
      power_interface: 'ipmitool',
      boot_interface: 'ipxe',
      console_interface: 'no-console',
      raid_interface: 'no-raid',
    });
  });

  it('keeps an interface given in the same patch as the reset', async () => {
    const uuid = await create(svc());
    const res = await patch(
      svc(),
      uuid,
      [
        { op: 'replace', path: '/driver', value: 'redfish' },
        { op: 'replace', path: '/boot_interface', value: 'redfish-virtual-media' },
      ],
      '1.45',
      '?reset_interfaces=true',
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      driver: 'redfish',
      boot_interface: 'redfish-virtual-media',
      power_interface: 'redfish',
    });
  });

  it('refuses reset_interfaces without a driver change (400) and before 1.45 (406)', async () => {
    const uuid = await create(svc());
    const alone = await patch(
      svc(),
      uuid,
      [{ op: 'replace', path: '/name', value: 'x1' }],
      '1.45',
      '?reset_interfaces=true',
    );
    expect(alone.status).toBe(400);
    expect(faultOf(alone)).toContain("can only be used when changing the node's driver");
    const old = await patch(
      svc(),
      uuid,
      [{ op: 'replace', path: '/driver', value: 'ipmi' }],
      '1.44',
      '?reset_interfaces=true',
    );
    expect(old.status).toBe(406);
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body).toMatchObject({
      driver: 'fake-hardware',
      name: null,
    });
  });

  it('sets an interface to its current value and resets a removed one to the default', async () => {
    const uuid = await create(svc());
    for (const iface of ['console', 'raid', 'vendor', 'inspect']) {
      const set = await patch(svc(), uuid, [{ op: 'add', path: `/${iface}_interface`, value: `no-${iface}` }]);
      expect(set.status, set.text).toBe(200);
      expect(set.body[`${iface}_interface`]).toBe(`no-${iface}`);
    }
    for (const iface of ['boot', 'deploy', 'management', 'power']) {
      const same = await patch(svc(), uuid, [{ op: 'add', path: `/${iface}_interface`, value: 'fake' }]);
      expect(same.status, same.text).toBe(200);
    }
    for (const iface of ['console', 'raid', 'vendor', 'inspect', 'power']) {
      const removed = await patch(svc(), uuid, [{ op: 'remove', path: `/${iface}_interface` }]);
      expect(removed.status, removed.text).toBe(200);
      expect(removed.body[`${iface}_interface`]).toBe('fake');
    }
  });
});

describeOnEngines('node rules: protected', (svc) => {
  it('makes only a deployed node protected (409 before), and protected_reason needs protected (400)', async () => {
    const uuid = await create(svc());
    const early = await patch(svc(), uuid, [{ op: 'replace', path: '/protected', value: true }]);
    expect(early.status).toBe(409);
    expect(faultOf(early)).toContain("can only be made protected in provision states 'active' or 'rescue'");
    await reach(svc(), uuid, 'manage', 'manageable');
    await reach(svc(), uuid, 'provide', 'available');
    await reach(svc(), uuid, 'active', 'active');
    const reason = await patch(svc(), uuid, [{ op: 'replace', path: '/protected_reason', value: 'reason!' }]);
    expect(reason.status).toBe(400);
    expect(faultOf(reason)).toBe('The protected_reason field can only be set when protected is True');
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.protected_reason).toBeNull();
  });

  it('sets protected with a reason, and clearing protected clears the reason', async () => {
    const uuid = await deployed(svc());
    const on = await patch(svc(), uuid, [
      { op: 'replace', path: '/protected', value: true },
      { op: 'replace', path: '/protected_reason', value: 'reason!' },
    ]);
    expect(on.status, on.text).toBe(200);
    expect(on.body).toMatchObject({ protected: true, protected_reason: 'reason!' });
    const off = await patch(svc(), uuid, [{ op: 'replace', path: '/protected', value: false }]);
    expect(off.body).toMatchObject({ protected: false, protected_reason: null });
  });

  it('answers 403 to undeploy, rebuild and delete of a protected node', async () => {
    const uuid = await deployed(svc());
    await patch(svc(), uuid, [{ op: 'replace', path: '/protected', value: true }]);
    for (const target of ['deleted', 'rebuild']) {
      const res = await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target });
      expect(res.status, target).toBe(403);
      expect(faultOf(res)).toBe(`Node ${uuid} is protected and cannot be undeployed, rebuilt or deleted`);
    }
    const undeploy = await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'undeploy' }, '1.73');
    expect(undeploy.status).toBe(403);
    await patch(svc(), uuid, [{ op: 'replace', path: '/maintenance', value: true }]);
    expect((await svc().request('DELETE', `/v1/nodes/${uuid}`)).status).toBe(403);
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.provision_state).toBe('active');
  });

  it('takes protected only in a PATCH from 1.48: not at creation, 406 before', async () => {
    const created = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', protected: true });
    expect(created.status).toBe(400);
    expect(faultOf(created)).toContain('protected');
    const uuid = await deployed(svc());
    const old = await patch(svc(), uuid, [{ op: 'replace', path: '/protected', value: true }], '1.47');
    expect(old.status).toBe(406);
  });
});

describeOnEngines('node rules: filters, fields and versions', (svc) => {
  it('filters by fault from 1.42: one of Ironic faults, 400 for another, 406 before', async () => {
    const uuid = await create(svc());
    const ok = await svc().request('GET', '/v1/nodes?fault=power%20failure', undefined, '1.42');
    expect(ok.status).toBe(200);
    expect(ok.body.nodes.map((n: { uuid: string }) => n.uuid)).not.toContain(uuid);
    const bad = await svc().request('GET', '/v1/nodes?fault=somefake', undefined, '1.42');
    expect(bad.status).toBe(400);
    expect(faultOf(bad)).toBe(
      `Unrecognized fault "somefake" is specified, allowed faults are ('power failure', 'clean failure', 'rescue abort failure', 'service failure')`,
    );
    expect((await svc().request('GET', '/v1/nodes?fault=power%20failure', undefined, '1.41')).status).toBe(406);
  });

  it('shows the owning conductor from 1.49 and filters by it', async () => {
    const uuid = await create(svc());
    const shown = await svc().request('GET', `/v1/nodes/${uuid}`, undefined, '1.49');
    const host = shown.body.conductor as string;
    expect(typeof host).toBe('string');
    const mine = await svc().request('GET', `/v1/nodes?conductor=${encodeURIComponent(host)}`, undefined, '1.49');
    expect(mine.body.nodes.map((n: { uuid: string }) => n.uuid)).toContain(uuid);
    const other = await svc().request('GET', '/v1/nodes/detail?conductor=nobody', undefined, '1.49');
    expect(other.body.nodes).toEqual([]);
    // A page the filter emptied still leads on: the rest of the nodes are not lost to a client that follows next.
    await create(svc());
    const thinned = await svc().request('GET', '/v1/nodes?conductor=nobody&limit=1', undefined, '1.49');
    expect(thinned.body.nodes).toEqual([]);
    expect(thinned.body.next).toMatch(/marker=/);
    expect((await svc().request('GET', `/v1/nodes?conductor=${host}`, undefined, '1.48')).status).toBe(406);
    expect('conductor' in (await svc().request('GET', `/v1/nodes/${uuid}`, undefined, '1.48')).body).toBe(false);
    const fields = await svc().request('GET', `/v1/nodes/${uuid}?fields=uuid,conductor,description`, undefined, '1.51');
    expect(Object.keys(fields.body).sort()).toEqual(['conductor', 'description', 'links', 'uuid']);
  });

  it('sets and clears a description (1.51), hidden before', async () => {
    const uuid = await create(svc(), { description: 'meow' }, '1.51');
    expect((await svc().request('GET', `/v1/nodes/${uuid}`, undefined, '1.51')).body.description).toBe('meow');
    expect('description' in (await svc().request('GET', `/v1/nodes/${uuid}`, undefined, '1.50')).body).toBe(false);
    const cleared = await patch(svc(), uuid, [{ op: 'replace', path: '/description', value: null }], '1.51');
    expect(cleared.body.description).toBeNull();
    const old = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', description: 'x' }, '1.50');
    expect(old.status).toBe(406);
  });

  it('takes a resource class of 80 characters, not 81, and none before 1.21', async () => {
    const long = await create(svc(), { resource_class: 'r'.repeat(80) }, '1.21');
    expect((await svc().request('GET', `/v1/nodes/${long}`, undefined, '1.21')).body.resource_class).toBe(
      'r'.repeat(80),
    );
    const tooLong = await svc().request(
      'POST',
      '/v1/nodes',
      { driver: 'fake-hardware', resource_class: 'r'.repeat(81) },
      '1.21',
    );
    expect(tooLong.status).toBe(400);
    const patched = await patch(
      svc(),
      long,
      [{ op: 'replace', path: '/resource_class', value: 'r'.repeat(81) }],
      '1.21',
    );
    expect(patched.status).toBe(400);
    const old = await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware', resource_class: 'x' }, '1.20');
    expect(old.status).toBe(406);
    expect((await patch(svc(), long, [{ op: 'replace', path: '/resource_class', value: 'x' }], '1.20')).status).toBe(
      406,
    );
    expect((await svc().request('GET', '/v1/nodes?resource_class=x', undefined, '1.20')).status).toBe(406);
    expect((await svc().request('GET', '/v1/nodes/detail?resource_class=x', undefined, '1.20')).status).toBe(406);
  });

  it('answers the traits endpoint before 1.37 as Ironic: GET 406, PUT 405, DELETE 404', async () => {
    const uuid = await create(svc());
    const v = '1.36';
    expect((await svc().request('GET', `/v1/nodes/${uuid}/traits`, undefined, v)).status).toBe(406);
    expect((await svc().request('PUT', `/v1/nodes/${uuid}/traits`, { traits: ['CUSTOM_A'] }, v)).status).toBe(405);
    expect((await svc().request('PUT', `/v1/nodes/${uuid}/traits/CUSTOM_A`, {}, v)).status).toBe(405);
    expect((await svc().request('DELETE', `/v1/nodes/${uuid}/traits/CUSTOM_A`, undefined, v)).status).toBe(404);
    expect((await svc().request('DELETE', `/v1/nodes/${uuid}/traits`, undefined, v)).status).toBe(404);
    expect((await svc().request('GET', `/v1/nodes/${uuid}/traits`, undefined, '1.37')).body).toEqual({ traits: [] });
  });

  it('shows the states of each version as the node itself shows them', async () => {
    const uuid = await create(svc(), {}, '1.1');
    for (const version of ['1.1', '1.11', '1.12', '1.75']) {
      const node = (await svc().request('GET', `/v1/nodes/${uuid}`, undefined, version)).body;
      const states = (await svc().request('GET', `/v1/nodes/${uuid}/states`, undefined, version)).body;
      for (const [key, value] of Object.entries(states)) expect(node[key], `${version} ${key}`).toEqual(value);
      expect('raid_config' in states, version).toBe(version !== '1.1' && version !== '1.11');
      expect('boot_mode' in states, version).toBe(version === '1.75');
    }
    const old = (await svc().request('GET', `/v1/nodes/${uuid}/states`, undefined, '1.1')).body;
    expect(old.provision_state).toBeNull();
  });

  it('lists a fake-hardware driver with properties', async () => {
    const res = await svc().request('GET', '/v1/drivers/fake-hardware/properties');
    expect(Object.keys(res.body).length).toBeGreaterThan(0);
  });
});
