import { expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

async function node(svc: TestService, body: Record<string, unknown> = {}, version = '1.78') {
  const res = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', ...body }, version);
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

async function settle(svc: TestService, uuid: string) {
  return (
    await eventually(
      () => svc.request('GET', `/v1/nodes/${uuid}`),
      (r) =>
        r.body.reservation === null && r.body.target_provision_state === null && r.body.target_power_state === null,
    )
  ).body;
}

async function provision(svc: TestService, uuid: string, body: Record<string, unknown>, version = '1.78') {
  return svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, body, version);
}

describeOnEngines('provision states through the API (fake-hardware)', (svc) => {
  it('walks the whole lifecycle: manage, inspect, provide, deploy, rebuild, undeploy, manage', async () => {
    const uuid = await node(svc());
    const steps: [Record<string, unknown>, string][] = [
      [{ target: 'manage' }, 'manageable'],
      [{ target: 'inspect' }, 'manageable'],
      [{ target: 'provide' }, 'available'],
      [{ target: 'active', configdrive: { user_data: '#cloud-config\n', meta_data: { hostname: 'h1' } } }, 'active'],
      [{ target: 'rebuild' }, 'active'],
      [{ target: 'deleted' }, 'available'],
      [{ target: 'manage' }, 'manageable'],
      [{ target: 'clean', clean_steps: [{ interface: 'deploy', step: 'erase_devices_metadata' }] }, 'manageable'],
      [{ target: 'adopt' }, 'active'],
    ];
    for (const [body, expected] of steps) {
      const res = await provision(svc(), uuid, body);
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(202);
      expect(res.headers.get('location')).toMatch(new RegExp(`/v1/nodes/${uuid}/states$`));
      const after = await settle(svc(), uuid);
      expect(after.provision_state, JSON.stringify(body)).toBe(expected);
      expect(after.last_error).toBeNull();
    }
    const final = (await svc().request('GET', `/v1/nodes/${uuid}`)).body;
    expect(final.power_state).toBe('power off');
    expect(final.inspection_finished_at).not.toBeNull();
    // The undeploy took the instance away, config drive included (Ironic's tear-down).
    expect(final.instance_info).toEqual({});
    expect(final.instance_uuid).toBeNull();
  });

  it('answers 400 InvalidStateRequested for a verb the state does not allow', async () => {
    const uuid = await node(svc());
    const res = await provision(svc(), uuid, { target: 'active' });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toBe(
      `The requested action "active" can not be performed on node "${uuid}" while it is in state "enroll".`,
    );
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.provision_state).toBe('enroll');
  });

  it('answers 409 NodeLocked while another conductor holds the node', async () => {
    const uuid = await node(svc());
    const db = openDatabase(svc().db.url);
    try {
      await db.knex('nodes').where({ uuid }).update({ reservation: 'conductor-9' });
      const res = await provision(svc(), uuid, { target: 'manage' });
      expect(res.status).toBe(409);
      expect(faultOf(res)).toBe(
        `Node ${uuid} is locked by host conductor-9, please retry after the current operation is completed.`,
      );
      const patch = await svc().request('PATCH', `/v1/nodes/${uuid}`, [{ op: 'add', path: '/extra/a', value: 1 }]);
      expect(patch.status).toBe(409);
      expect((await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'power on' })).status).toBe(409);
      // Not actionable while locked is "locked" too, so clients retry rather than give up.
      expect((await provision(svc(), uuid, { target: 'provide' })).status).toBe(409);
    } finally {
      await db.knex('nodes').where({ uuid }).update({ reservation: null });
      await db.close();
    }
    expect((await provision(svc(), uuid, { target: 'manage' })).status).toBe(202);
  });

  it('gates verbs by microversion with 406', async () => {
    const uuid = await node(svc());
    expect((await provision(svc(), uuid, { target: 'manage' }, '1.3')).status).toBe(406);
    expect((await provision(svc(), uuid, { target: 'deploy' }, '1.72')).status).toBe(406);
    expect((await provision(svc(), uuid, { target: 'unhold' }, '1.84')).status).toBe(406);
    await provision(svc(), uuid, { target: 'manage' });
    await settle(svc(), uuid);
    await provision(svc(), uuid, { target: 'provide' });
    await settle(svc(), uuid);
    expect((await provision(svc(), uuid, { target: 'active', configdrive: { user_data: 'x' } }, '1.55')).status).toBe(
      406,
    );
    expect((await provision(svc(), uuid, { target: 'deploy' }, '1.73')).status).toBe(202);
    expect((await settle(svc(), uuid)).provision_state).toBe('active');
    expect((await provision(svc(), uuid, { target: 'undeploy' }, '1.73')).status).toBe(202);
    expect((await settle(svc(), uuid)).provision_state).toBe('available');
  });

  it('checks the arguments that go with each target', async () => {
    const uuid = await node(svc());
    await provision(svc(), uuid, { target: 'manage' });
    await settle(svc(), uuid);
    const cases: [Record<string, unknown>, string][] = [
      [{ target: 'clean' }, 'clean_steps'],
      [{ target: 'clean', clean_steps: [{ step: 'x' }] }, 'interface'],
      [{ target: 'provide', clean_steps: [] }, 'clean_steps'],
      [{ target: 'manage', configdrive: 'abc' }, 'config drive'],
      [{ target: 'rescue' }, 'rescue_password'],
      [{ target: 'fly' }, 'target'],
      [{ target: 'active', configdrive: { colour: 'red' } }, 'colour'],
      [{}, 'target'],
    ];
    for (const [body, text] of cases) {
      const res = await provision(svc(), uuid, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(faultOf(res)).toContain(text);
    }
  });

  it('refuses deploy in maintenance with 400', async () => {
    const uuid = await node(svc(), { maintenance: true });
    for (const target of ['manage', 'provide']) {
      await provision(svc(), uuid, { target });
      await settle(svc(), uuid);
    }
    const res = await provision(svc(), uuid, { target: 'active' });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toContain('maintenance');
  });

  it('sends a redfish node whose credentials are missing back to enroll with the reason', async () => {
    const uuid = await node(svc(), { driver: 'redfish', driver_info: { redfish_address: 'http://127.0.0.1:1' } });
    expect((await provision(svc(), uuid, { target: 'manage' })).status).toBe(202);
    const after = await settle(svc(), uuid);
    expect(after.provision_state).toBe('enroll');
    expect(after.last_error).toBe('Cannot reach the BMC: invalid driver_info: redfish_username is required');
  });

  it('sends a node whose BMC does not answer back to enroll, naming the cause', async () => {
    const uuid = await node(svc(), {
      driver: 'ipmi',
      driver_info: { ipmi_address: '127.0.0.1', ipmi_port: 9, ipmi_username: 'admin', ipmi_password: 'pw' },
    });
    expect((await provision(svc(), uuid, { target: 'manage' })).status).toBe(202);
    const after = (
      await eventually(
        () => svc().request('GET', `/v1/nodes/${uuid}`),
        (r) => r.body.provision_state !== 'verifying' && r.body.reservation === null,
        20_000,
      )
    ).body;
    expect(after.provision_state).toBe('enroll');
    expect(after.last_error).toMatch(/^Failed to verify the BMC for node .*: /);
  });

  it('serves GET /states', async () => {
    const uuid = await node(svc());
    const res = await svc().request('GET', `/v1/nodes/${uuid}/states`);
    expect(res.body).toMatchObject({
      provision_state: 'enroll',
      power_state: null,
      target_provision_state: null,
      last_error: null,
    });
  });
});

describeOnEngines('power, maintenance, traits and validate', (svc) => {
  it('turns power on, off, reboots, and soft-offs with a timeout', async () => {
    const uuid = await node(svc());
    for (const [target, expected] of [
      ['power on', 'power on'],
      ['power off', 'power off'],
      ['rebooting', 'power on'],
      ['soft power off', 'power off'],
      ['soft rebooting', 'power on'],
    ]) {
      const res = await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target, timeout: 30 });
      expect(res.status, res.text).toBe(202);
      expect((await settle(svc(), uuid)).power_state).toBe(expected);
    }
  });

  it('refuses bad power targets and timeouts, and soft power below 1.27', async () => {
    const uuid = await node(svc());
    const put = (body: unknown, v?: string) => svc().request('PUT', `/v1/nodes/${uuid}/states/power`, body, v);
    expect((await put({ target: 'explode' })).status).toBe(400);
    expect((await put({ target: 'power on', timeout: 0 })).status).toBe(400);
    expect((await put({ target: 'power on', timeout: 'soon' })).status).toBe(400);
    expect((await put({ target: 'soft power off' }, '1.26')).status).toBe(406);
    expect((await put({ target: 'power on', timeout: 5 }, '1.26')).status).toBe(406);
  });

  it('refuses power off when disable_power_off is set', async () => {
    const uuid = await node(svc(), { disable_power_off: true }, '1.95');
    const res = await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'power off' }, '1.95');
    expect(res.status).toBe(400);
    expect(faultOf(res)).toContain('disable_power_off');
  });

  it('sets and clears maintenance with a reason, and clearing drops the fault', async () => {
    const uuid = await node(svc());
    expect((await svc().request('PUT', `/v1/nodes/${uuid}/maintenance`, { reason: 'disk swap' })).status).toBe(202);
    let n = (await svc().request('GET', `/v1/nodes/${uuid}`)).body;
    expect(n).toMatchObject({ maintenance: true, maintenance_reason: 'disk swap' });
    const db = openDatabase(svc().db.url);
    await db.knex('nodes').where({ uuid }).update({ fault: 'power failure' });
    await db.close();
    expect((await svc().request('DELETE', `/v1/nodes/${uuid}/maintenance`)).status).toBe(202);
    n = (await svc().request('GET', `/v1/nodes/${uuid}`)).body;
    expect(n).toMatchObject({ maintenance: false, maintenance_reason: null, fault: null });
  });

  it('sets maintenance on a node waiting mid-transition, where PATCH is refused', async () => {
    const uuid = await node(svc());
    const db = openDatabase(svc().db.url);
    try {
      await db
        .knex('nodes')
        .where({ uuid })
        .update({ provision_state: 'wait call-back', target_provision_state: 'active' });
    } finally {
      await db.close();
    }
    const patch = await svc().request('PATCH', `/v1/nodes/${uuid}`, [{ op: 'add', path: '/extra/a', value: 1 }]);
    expect(patch.status).toBe(409);
    expect(faultOf(patch)).toContain('state transition is in progress');
    expect((await svc().request('PUT', `/v1/nodes/${uuid}/maintenance`, { reason: 'stuck' })).status).toBe(202);
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.maintenance_reason).toBe('stuck');
  });

  it('replaces, adds, lists and removes traits', async () => {
    const uuid = await node(svc());
    expect(
      (await svc().request('PUT', `/v1/nodes/${uuid}/traits`, { traits: ['CUSTOM_GPU', 'HW_CPU_X86_AVX2'] })).status,
    ).toBe(204);
    expect((await svc().request('PUT', `/v1/nodes/${uuid}/traits/CUSTOM_RACK_12`)).status).toBe(204);
    expect((await svc().request('GET', `/v1/nodes/${uuid}/traits`)).body.traits).toEqual([
      'CUSTOM_GPU',
      'HW_CPU_X86_AVX2',
      'CUSTOM_RACK_12',
    ]);
    expect((await svc().request('DELETE', `/v1/nodes/${uuid}/traits/CUSTOM_GPU`)).status).toBe(204);
    expect((await svc().request('DELETE', `/v1/nodes/${uuid}/traits/CUSTOM_NOPE`)).status).toBe(404);
    expect((await svc().request('PUT', `/v1/nodes/${uuid}/traits`, { traits: ['lower_case'] })).status).toBe(400);
    expect((await svc().request('GET', `/v1/nodes/${uuid}`)).body.traits).toEqual([
      'HW_CPU_X86_AVX2',
      'CUSTOM_RACK_12',
    ]);
    // Before 1.37 the path is the node's, asking for its traits field: 406, as Ironic answers.
    expect((await svc().request('GET', `/v1/nodes/${uuid}/traits`, undefined, '1.36')).status).toBe(406);
    expect((await svc().request('DELETE', `/v1/nodes/${uuid}/traits`)).status).toBe(204);
    expect((await svc().request('GET', `/v1/nodes/${uuid}/traits`)).body.traits).toEqual([]);
  });

  it('validates each interface and names what is missing', async () => {
    const fake = await node(svc());
    const ok = (await svc().request('GET', `/v1/nodes/${fake}/validate`)).body;
    expect(ok.power).toEqual({ result: true });
    expect(ok.deploy).toEqual({ result: true });

    const noCreds = await node(svc(), { driver: 'redfish', driver_info: { redfish_address: 'http://127.0.0.1:8000' } });
    expect((await svc().request('GET', `/v1/nodes/${noCreds}/validate`)).body.power.reason).toContain(
      'redfish_username is required',
    );
    const rf = await node(svc(), {
      driver: 'redfish',
      driver_info: { redfish_address: 'http://127.0.0.1:8000', redfish_username: 'admin', redfish_password: 'pw' },
    });
    const v = (await svc().request('GET', `/v1/nodes/${rf}/validate`)).body;
    expect(v.power).toEqual({ result: true });
    expect(v.boot.result).toBe(false);
    expect(v.boot.reason).toContain("'deploy_kernel', 'deploy_ramdisk'");
    expect(v.deploy.reason).toContain('image_source');
    expect(v.console.result).toBe(false);

    const creds = { ipmi_username: 'admin', ipmi_password: 'pw' };
    const ipmiBad = await node(svc(), {
      driver: 'ipmi',
      driver_info: { ipmi_address: 'h', ipmi_port: 70000, ...creds },
    });
    expect((await svc().request('GET', `/v1/nodes/${ipmiBad}/validate`)).body.power.reason).toContain('ipmi_port');
    const ipmiSuite0 = await node(svc(), {
      driver: 'ipmi',
      driver_info: { ipmi_address: 'h', ipmi_cipher_suite: 0, ...creds },
    });
    expect((await svc().request('GET', `/v1/nodes/${ipmiSuite0}/validate`)).body.power.reason).toContain('3 or 17');

    const ready = await node(svc(), {
      driver: 'ipmi',
      driver_info: { ipmi_address: '127.0.0.1', deploy_kernel: 'http://k', deploy_ramdisk: 'http://r', ...creds },
      instance_info: { image_source: 'http://img', image_os_hash_algo: 'sha256', image_os_hash_value: 'ab' },
    });
    const all = (await svc().request('GET', `/v1/nodes/${ready}/validate`)).body;
    for (const iface of ['power', 'management', 'boot', 'deploy']) expect(all[iface], iface).toEqual({ result: true });
  });
});
