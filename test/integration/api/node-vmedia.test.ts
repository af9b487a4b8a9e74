import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../../sim/fleet-runner.js';
import { createFleet } from '../../../sim/host/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/engines.js';
import { describeOnEngines, faultOf, type TestService } from '../../support/service.js';
import { startSplitRoles, type SplitRoles } from '../../support/split-roles.js';

const credentials = { username: 'admin', password: 'sim-secret' };
let sim: SimFleet;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: 2, seed: 9 }), credentials });
});
afterAll(async () => {
  await sim?.close();
});

async function enroll(svc: TestService, body: object): Promise<string> {
  const res = await svc.request('POST', '/v1/nodes', body);
  expect(res.status, res.text).toBe(201);
  return res.body.uuid;
}

function redfishNode(svc: TestService, i: number): Promise<string> {
  const url = new URL(sim.manifest.hosts[i]!.redfish.address.replace('redfish+', ''));
  return enroll(svc, {
    driver: 'redfish',
    name: `vmedia-${i}-${svc.db.engine}`,
    driver_info: {
      redfish_address: `${url.protocol}//${url.host}`,
      redfish_system_id: url.pathname,
      redfish_username: credentials.username,
      redfish_password: credentials.password,
    },
  });
}

describeOnEngines('GET /v1/nodes/{id}/vmedia on the Redfish sim', (svc) => {
  it("lists the BMC's virtual media as it stands: attached, then ejected", async () => {
    const uuid = await redfishNode(svc(), 0);
    const get = () => svc().request('GET', `/v1/nodes/${uuid}/vmedia`, undefined, '1.93');
    const before = await get();
    expect(before.status, before.text).toBe(200);
    expect(before.body).toEqual([{ media_types: ['CD', 'DVD'], inserted: false, image: null }]);

    const image = 'http://127.0.0.1:1/data.iso';
    const attach = await svc().request(
      'POST',
      `/v1/nodes/${uuid}/vmedia`,
      { device_type: 'cdrom', image_url: image },
      '1.93',
    );
    expect(attach.status, attach.text).toBe(204);
    expect((await get()).body).toEqual([{ media_types: ['CD', 'DVD'], inserted: true, image }]);

    expect((await svc().request('DELETE', `/v1/nodes/${uuid}/vmedia`, undefined, '1.93')).status).toBe(204);
    expect((await get()).body).toEqual([{ media_types: ['CD', 'DVD'], inserted: false, image: null }]);
  });

  it('is not there below 1.93', async () => {
    const uuid = await redfishNode(svc(), 1);
    expect((await svc().request('GET', `/v1/nodes/${uuid}/vmedia`, undefined, '1.92')).status).toBe(404);
  });

  it("refuses nodes whose driver has no virtual media in Ironic's words, before any BMC call", async () => {
    const ipmi = sim.manifest.hosts[0]!.ipmi;
    const ipmiUrl = new URL(ipmi.address);
    const uuid = await enroll(svc(), {
      driver: 'ipmi',
      driver_info: {
        ipmi_address: ipmiUrl.hostname,
        ipmi_port: Number(ipmiUrl.port),
        ipmi_username: ipmi.username,
        ipmi_password: ipmi.password,
      },
    });
    const res = await svc().request('GET', `/v1/nodes/${uuid}/vmedia`, undefined, '1.93');
    expect(res.status).toBe(400);
    expect(faultOf(res)).toBe('Driver ipmi does not support get_virtual_media (disabled or not implemented).');
    const attach = await svc().request(
      'POST',
      `/v1/nodes/${uuid}/vmedia`,
      { device_type: 'cdrom', image_url: 'http://127.0.0.1:1/x.iso' },
      '1.93',
    );
    expect(attach.status).toBe(400);
    expect(faultOf(attach)).toBe('Driver ipmi does not support attach_virtual_media (disabled or not implemented).');

    const fake = await enroll(svc(), { driver: 'fake-hardware' });
    const fakeRes = await svc().request('GET', `/v1/nodes/${fake}/vmedia`, undefined, '1.93');
    expect(fakeRes.status).toBe(400);
    expect(faultOf(fakeRes)).toBe(
      'Driver fake-hardware does not support get_virtual_media (disabled or not implemented).',
    );
  });
});

describe('GET vmedia from an API process without BMC access [sqlite]', () => {
  let db: TestDatabase;
  let split: SplitRoles;
  const call = (method: string, urlPath: string, body?: unknown) => split.call(method, urlPath, body);

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    split = await startSplitRoles(db, 'vmedia', { version: '1.93' });
  });
  afterAll(async () => {
    await split?.close();
    await db?.drop();
  });

  it('reads the devices through the conductor over the RPC', async () => {
    const url = new URL(sim.manifest.hosts[1]!.redfish.address.replace('redfish+', ''));
    const node = await call('POST', '/v1/nodes', {
      driver: 'redfish',
      name: 'vmedia-split',
      driver_info: {
        redfish_address: `${url.protocol}//${url.host}`,
        redfish_system_id: url.pathname,
        redfish_username: credentials.username,
        redfish_password: credentials.password,
      },
    });
    expect(node.status, node.text).toBe(201);
    const image = 'http://127.0.0.1:1/split.iso';
    sim.fleet.get('sim-1')!.insertMedia(image);
    const res = await call('GET', `/v1/nodes/${node.body.uuid}/vmedia`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual([{ media_types: ['CD', 'DVD'], inserted: true, image }]);
    sim.fleet.get('sim-1')!.ejectMedia();
  });
});
