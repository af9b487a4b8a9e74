import { expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

async function create(svc: TestService, body: Record<string, unknown> = {}) {
  const res = await svc.request('POST', '/v1/nodes', { driver: 'fake-hardware', ...body });
  expect(res.status, res.text).toBe(201);
  return res.body.uuid as string;
}

function setConsole(svc: TestService, uuid: string, body: unknown) {
  return svc.request('PUT', `/v1/nodes/${uuid}/states/console`, body);
}

async function consoleOf(svc: TestService, uuid: string, enabled: boolean) {
  const node = await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) => r.body.console_enabled === enabled && r.body.reservation === null,
  );
  return node.body;
}

describeOnEngines('node console (fake-hardware)', (svc) => {
  it('starts disabled: console_enabled false and no console_info', async () => {
    const uuid = await create(svc());
    const res = await svc().request('GET', `/v1/nodes/${uuid}/states/console`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ console_enabled: false, console_info: null });
  });

  it('enables the console through the conductor (202), then shows the fake console info', async () => {
    const uuid = await create(svc());
    const res = await setConsole(svc(), uuid, { enabled: true });
    expect(res.status, res.text).toBe(202);
    expect(res.headers.get('location')).toMatch(new RegExp(`/v1/nodes/${uuid}/states/console$`));
    const node = await consoleOf(svc(), uuid, true);
    expect(node.last_error).toBeNull();
    for (const path of [`/v1/nodes/${uuid}/states/console`, `/v1/nodes/states/console/${uuid}`]) {
      const shown = await svc().request('GET', path);
      expect(shown.body, path).toEqual({ console_enabled: true, console_info: {} });
    }
    const history = await svc().request('GET', `/v1/nodes/${uuid}/history`);
    expect(history.body.history.map((h: { event: string }) => h.event)).toContain('Console enabled');
    expect((await setConsole(svc(), uuid, { enabled: 'false' })).status).toBe(202);
    await consoleOf(svc(), uuid, false);
  });

  it('carries out a console change left pending and unlocked, as by a conductor that died before doing it', async () => {
    const uuid = await create(svc());
    const db = openDatabase(svc().db.url);
    try {
      const row = await db.knex<{ uuid: string; driver_internal_info: string }>('nodes').where({ uuid }).first();
      const info = { ...(JSON.parse(row!.driver_internal_info) as object), console_target: true };
      await db
        .knex('nodes')
        .where({ uuid })
        .update({ driver_internal_info: JSON.stringify(info), reservation: null });
    } finally {
      await db.close();
    }
    // The next sweep finds it, as the takeover's would.
    const node = await consoleOf(svc(), uuid, true);
    expect(node.driver_internal_info).not.toHaveProperty('console_target');
  });

  it('accepts the state the console is already in and changes nothing', async () => {
    const uuid = await create(svc());
    const res = await setConsole(svc(), uuid, { enabled: false });
    expect(res.status).toBe(202);
    const node = await consoleOf(svc(), uuid, false);
    expect(node.updated_at).toBeNull();
  });

  it('refuses a node whose console interface is no-console, with Ironic wording', async () => {
    const uuid = await create(svc(), { console_interface: 'no-console' });
    const res = await setConsole(svc(), uuid, { enabled: true });
    expect(res.status).toBe(400);
    expect(faultOf(res)).toBe('Driver fake-hardware does not support console (disabled or not implemented).');
    const node = (await svc().request('GET', `/v1/nodes/${uuid}`)).body;
    expect(node).toMatchObject({ console_enabled: false, reservation: null });
  });

  it('refuses bad bodies and unknown nodes', async () => {
    const uuid = await create(svc());
    for (const body of [{}, { enabled: 'maybe' }, { enabled: true, extra: 1 }]) {
      expect((await setConsole(svc(), uuid, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await setConsole(svc(), 'ghost', { enabled: true })).status).toBe(404);
    expect((await svc().request('GET', '/v1/nodes/ghost/states/console')).status).toBe(404);
  });

  it('will not change the driver while the console is enabled (409)', async () => {
    const uuid = await create(svc());
    await setConsole(svc(), uuid, { enabled: true });
    await consoleOf(svc(), uuid, true);
    const res = await svc().request('PATCH', `/v1/nodes/${uuid}?reset_interfaces=true`, [
      { op: 'replace', path: '/driver', value: 'ipmi' },
    ]);
    expect(res.status).toBe(409);
    expect(faultOf(res)).toContain('Please stop the console first');
  });
});
