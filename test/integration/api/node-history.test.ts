import { expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, eventually, type TestService } from '../../support/service.js';

async function settled(svc: TestService, uuid: string) {
  await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) => r.body.reservation === null && r.body.target_provision_state === null && r.body.target_power_state === null,
  );
}

describeOnEngines('node history', (svc) => {
  it('records each transition, power change, maintenance change and lock conflict, oldest first', async () => {
    const uuid = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' })).body.uuid;
    await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'manage' });
    await settled(svc(), uuid);
    await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'power on' });
    await settled(svc(), uuid);
    await svc().request('PUT', `/v1/nodes/${uuid}/maintenance`, { reason: 'fan' });
    const db = openDatabase(svc().db.url);
    try {
      await db.knex('nodes').where({ uuid }).update({ reservation: 'other-host' });
      expect((await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'power off' })).status).toBe(409);
      await db.knex('nodes').where({ uuid }).update({ reservation: null });
    } finally {
      await db.close();
    }

    const res = await svc().request('GET', `/v1/nodes/${uuid}/history`);
    expect(res.status).toBe(200);
    const events = res.body.history.map((h: { event: string }) => h.event);
    expect(events).toEqual([
      'Provision action "manage" requested: enroll -> verifying',
      'verifying -> manageable (done)',
      'Power "power on" done: the node is power on',
      'Maintenance set: fan',
      'Lock refused: held by other-host',
    ]);
    expect(Object.keys(res.body.history[0]).sort()).toEqual(['created_at', 'event', 'links', 'severity', 'uuid']);
    expect(res.body.history[4].severity).toBe('WARNING');

    const detail = await svc().request('GET', `/v1/nodes/${uuid}/history?detail=True`);
    expect(detail.body.history[0]).toMatchObject({ event_type: 'provisioning', user: null });
    expect(detail.body.history[0].conductor).toBeTruthy();

    const one = await svc().request('GET', `/v1/nodes/${uuid}/history/${res.body.history[1].uuid}`);
    expect(one.body.event).toBe('verifying -> manageable (done)');
    expect((await svc().request('GET', `/v1/nodes/${uuid}/history/00000000-0000-4000-8000-000000000000`)).status).toBe(
      404,
    );
  });

  it('pages with limit and marker, and hides the endpoint before 1.78', async () => {
    const uuid = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' })).body.uuid;
    for (const target of ['power on', 'power off', 'power on']) {
      await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target });
      await settled(svc(), uuid);
    }
    const first = await svc().request('GET', `/v1/nodes/${uuid}/history?limit=2`);
    expect(first.body.history).toHaveLength(2);
    const next = new URL(first.body.next);
    const second = await svc().request('GET', next.pathname + next.search);
    expect(second.body.history).toHaveLength(1);
    expect((await svc().request('GET', `/v1/nodes/${uuid}/history`, undefined, '1.77')).status).toBe(404);
    expect((await svc().request('GET', `/v1/nodes/${uuid}/history?limit=0`)).status).toBe(400);
  });

  it('records a failed step as an error with its reason', async () => {
    const uuid = (await svc().request('POST', '/v1/nodes', { driver: 'fake-hardware' })).body.uuid;
    const db = openDatabase(svc().db.url);
    try {
      await db
        .knex('nodes')
        .where({ uuid })
        .update({ provision_state: 'inspect wait', target_provision_state: 'manageable' });
    } finally {
      await db.close();
    }
    expect((await svc().request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'abort' })).status).toBe(202);
    await settled(svc(), uuid);
    const node = (await svc().request('GET', `/v1/nodes/${uuid}`)).body;
    expect(node.provision_state).toBe('inspect failed');
    expect(node.last_error).toBe('Inspection was aborted by request.');
    // The ramdisk that was inspecting is switched off with the abort.
    expect(node.power_state).toBe('power off');
  });
});
