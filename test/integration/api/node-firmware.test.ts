import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { startSimFleet, type SimFleet } from '../../../sim/fleet-runner.js';
import { createFleet } from '../../../sim/host/index.js';
import { ENGINES } from '../../support/engines.js';
import { describeOnEngines, eventually, type TestService } from '../../support/service.js';

const credentials = { username: 'admin', password: 'sim-secret' };
let sim: SimFleet;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: ENGINES.length, seed: 11 }), credentials });
});
afterAll(async () => {
  await sim?.close();
});

interface FirmwareView {
  component: string;
  initial_version: string;
  current_version: string;
  last_version_flashed: string | null;
  created_at: string;
  updated_at: string | null;
}

/** A redfish node on a sim host of its own for each engine: a firmware update changes the machine. */
async function enroll(svc: TestService): Promise<string> {
  const host = sim.manifest.hosts[ENGINES.indexOf(svc.db.engine)]!;
  const url = new URL(host.redfish.address.replace('redfish+', ''));
  const res = await svc.request('POST', '/v1/nodes', {
    driver: 'redfish',
    name: `firmware-${svc.db.engine}`,
    driver_info: {
      redfish_address: `${url.protocol}//${url.host}`,
      redfish_system_id: url.pathname,
      redfish_username: credentials.username,
      redfish_password: credentials.password,
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.uuid;
}

async function firmware(svc: TestService, uuid: string): Promise<Map<string, FirmwareView>> {
  const res = await svc.request('GET', `/v1/nodes/${uuid}/firmware`, undefined, '1.86');
  expect(res.status, res.text).toBe(200);
  return new Map((res.body.firmware as FirmwareView[]).map((c) => [c.component, c]));
}

/** Asks for a provision state change and waits until the conductor has settled it. */
async function drive(svc: TestService, uuid: string, body: object, state: string): Promise<Record<string, unknown>> {
  const res = await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, body);
  expect(res.status, res.text).toBe(202);
  const settled = await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) => r.body.reservation === null && r.body.target_provision_state === null,
    30_000,
  );
  expect(settled.body.provision_state, String(settled.body.last_error)).toBe(state);
  return settled.body;
}

describeOnEngines('GET /v1/nodes/{id}/firmware keeps the history of each component', (svc) => {
  it('records the versions first seen, a firmware update as the current and last flashed version, and forgets them with the node', async () => {
    const uuid = await enroll(svc());
    const first = await firmware(svc(), uuid);
    expect(first.get('bios')).toEqual({
      component: 'bios',
      initial_version: '1.4.2',
      current_version: '1.4.2',
      last_version_flashed: null,
      created_at: expect.any(String),
      updated_at: null,
    });
    const bmc = first.get('bmc')!;
    expect(bmc.initial_version).toBe(bmc.current_version);

    await drive(svc(), uuid, { target: 'manage' }, 'manageable');
    const cleaned = await drive(
      svc(),
      uuid,
      {
        target: 'clean',
        clean_steps: [
          {
            interface: 'firmware',
            step: 'update',
            args: { settings: [{ component: 'bios', url: 'http://127.0.0.1:9/bios-2.9.0.bin' }] },
          },
        ],
      },
      'manageable',
    );
    expect(cleaned.last_error).toBeNull();

    const after = await firmware(svc(), uuid);
    const bios = after.get('bios')!;
    expect(bios).toMatchObject({
      initial_version: '1.4.2',
      current_version: '2.9.0',
      last_version_flashed: '2.9.0',
      created_at: first.get('bios')!.created_at,
    });
    expect(Date.parse(bios.updated_at ?? '')).toBeGreaterThanOrEqual(Date.parse(bios.created_at));
    // The component not flashed keeps its record as it was.
    expect(after.get('bmc')).toEqual(bmc);

    // A BMC that stops answering (here: refusing the password) leaves the record served as it stands.
    const broken = await svc().request('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'replace', path: '/driver_info/redfish_password', value: 'not-the-password' },
    ]);
    expect(broken.status, broken.text).toBe(200);
    expect((await firmware(svc(), uuid)).get('bios')).toEqual(bios);

    expect((await svc().request('DELETE', `/v1/nodes/${uuid}`)).status).toBe(204);
    const db = openDatabase(svc().db.url);
    try {
      expect(await db.knex('firmware_components')).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
