// GET /v1/nodes/{id}/bios serves Ironic's cache: what the conductor last read
// from the BMC (at verify, after cleaning, after a BIOS step), never the BMC
// itself, so a locked node or a silent BMC still answers.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../../services/db/index.js';
import { startSimFleet, type SimFleet } from '../../../sim/fleet-runner.js';
import { Fleet, hostSpec, SimHost } from '../../../sim/host/index.js';
import { ENGINES } from '../../support/engines.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

const credentials = { username: 'admin', password: 'sim-secret' };
let sim: SimFleet;

beforeAll(async () => {
  const hosts = ENGINES.map((_, i) => new SimHost(hostSpec(i, 'sim-', 21, 1)));
  // A BMC whose Bios resource does not parse (an attribute that is an object): its power still reads.
  for (const i of ENGINES.keys()) {
    const odd = hostSpec(ENGINES.length + i, 'sim-', 21, 1);
    odd.bios = { ...odd.bios, Odd: { nested: 1 } as unknown as string };
    hosts.push(new SimHost(odd));
  }
  sim = await startSimFleet({ fleet: new Fleet(hosts), credentials });
});
afterAll(async () => {
  await sim?.close();
});

async function enroll(svc: TestService, index: number, name: string): Promise<string> {
  const url = new URL(sim.manifest.hosts[index]!.redfish.address.replace('redfish+', ''));
  const res = await svc.request('POST', '/v1/nodes', {
    driver: 'redfish',
    name,
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

async function manage(svc: TestService, uuid: string): Promise<void> {
  const res = await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'manage' });
  expect(res.status, res.text).toBe(202);
  const node = await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) => r.body.reservation === null && r.body.target_provision_state === null,
    20_000,
  );
  expect(node.body.provision_state, String(node.body.last_error)).toBe('manageable');
}

const engineIndex = (svc: TestService) => ENGINES.indexOf(svc.db.engine);
type Setting = Record<string, unknown> & { name: string };

describeOnEngines('the BIOS settings cache behind GET /v1/nodes/{id}/bios', (svc) => {
  it('answers an empty list for a node whose BIOS was never read, and 404 for any one setting', async () => {
    const uuid = await enroll(svc(), engineIndex(svc()), 'bios-unread');
    const list = await svc().request('GET', `/v1/nodes/${uuid}/bios`, undefined, '1.74');
    expect(list.status, list.text).toBe(200);
    expect(list.body).toEqual({ bios: [] });
    const one = await svc().request('GET', `/v1/nodes/${uuid}/bios/ProcTurboMode`, undefined, '1.74');
    expect(one.status).toBe(404);
    expect(faultOf(one)).toBe(`Node ${uuid} doesn't have a BIOS setting 'ProcTurboMode'`);
  });

  it('serves what verify read, each setting with created_at, updated_at and links, as Ironic shows its rows', async () => {
    const uuid = await enroll(svc(), engineIndex(svc()), 'bios-verified');
    await manage(svc(), uuid);
    const list = await svc().request('GET', `/v1/nodes/bios-verified/bios`, undefined, '1.40');
    expect(list.status, list.text).toBe(200);
    const settings = list.body.bios as Setting[];
    expect(settings.map((s) => s.name)).toEqual(Object.keys(sim.fleet.get(`sim-${engineIndex(svc())}`)!.bios).sort());
    const turbo = settings.find((s) => s.name === 'ProcTurboMode')!;
    expect(Object.keys(turbo).sort()).toEqual(['created_at', 'links', 'name', 'updated_at', 'value']);
    expect(turbo).toMatchObject({ value: 'Enabled', updated_at: null });
    expect(Date.parse(String(turbo.created_at))).not.toBeNaN();
    // Ironic links the list's settings under the node as the request named it.
    expect(turbo.links).toEqual([
      { href: `${svc().url}/v1/nodes/bios-verified/bios/ProcTurboMode`, rel: 'self' },
      { href: `${svc().url}/nodes/bios-verified/bios/ProcTurboMode`, rel: 'bookmark' },
    ]);
    expect(settings.find((s) => s.name === 'SerialConsoleEnabled')!.value).toBe('true');

    const one = await svc().request('GET', `/v1/nodes/bios-verified/bios/ProcTurboMode`, undefined, '1.74');
    expect(one.status, one.text).toBe(200);
    expect(one.body.ProcTurboMode).toMatchObject({
      name: 'ProcTurboMode',
      value: 'Enabled',
      attribute_type: 'Enumeration',
      created_at: turbo.created_at,
      updated_at: null,
    });
    expect(one.body.ProcTurboMode.links[0].href).toBe(`${svc().url}/v1/nodes/${uuid}/bios/ProcTurboMode`);

    const some = await svc().request(
      'GET',
      `/v1/nodes/${uuid}/bios?fields=name,updated_at,links,node_uuid`,
      undefined,
      '1.74',
    );
    expect(some.status, some.text).toBe(200);
    expect(Object.keys(some.body.bios[0]).sort()).toEqual(['created_at', 'links', 'name', 'updated_at']);
  });

  it('answers 200 from the cache while a conductor holds the node, and while its BMC refuses the password', async () => {
    const uuid = await enroll(svc(), engineIndex(svc()), 'bios-busy');
    await manage(svc(), uuid);
    const before = await svc().request('GET', `/v1/nodes/${uuid}/bios?detail=true`, undefined, '1.74');
    expect(before.body.bios.length).toBeGreaterThan(0);

    const db = openDatabase(svc().db.url);
    try {
      await db.knex('nodes').where({ uuid }).update({ reservation: 'another-conductor' });
      // A call the BMC must answer is refused while the node is locked; the cache is not.
      expect((await svc().request('GET', `/v1/nodes/${uuid}/management/boot_device`)).status).toBe(409);
      const locked = await svc().request('GET', `/v1/nodes/${uuid}/bios?detail=true`, undefined, '1.74');
      expect(locked.status, locked.text).toBe(200);
      expect(locked.body).toEqual(before.body);
      const one = await svc().request('GET', `/v1/nodes/${uuid}/bios/NumLock`, undefined, '1.74');
      expect(one.status, one.text).toBe(200);
    } finally {
      await db.knex('nodes').where({ uuid }).update({ reservation: null });
      await db.close();
    }

    const broken = await svc().request('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'replace', path: '/driver_info/redfish_password', value: 'not-the-password' },
    ]);
    expect(broken.status, broken.text).toBe(200);
    const silent = await svc().request('GET', `/v1/nodes/${uuid}/bios?detail=true`, undefined, '1.74');
    expect(silent.status, silent.text).toBe(200);
    expect(silent.body).toEqual(before.body);
  });

  it('verifies a node whose BIOS cannot be read, noting a warning in its history and caching nothing', async () => {
    const uuid = await enroll(svc(), ENGINES.length + engineIndex(svc()), 'bios-odd');
    await manage(svc(), uuid);
    expect((await svc().request('GET', `/v1/nodes/${uuid}/bios`)).body).toEqual({ bios: [] });
    const history = await svc().request('GET', `/v1/nodes/${uuid}/history`, undefined, '1.78');
    expect(history.status, history.text).toBe(200);
    expect(history.body.history).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          severity: 'WARNING',
          event: expect.stringContaining('BIOS settings were not refreshed'),
        }),
      ]),
    );
  });

  it('forgets the settings with the node', async () => {
    const uuid = await enroll(svc(), engineIndex(svc()), 'bios-deleted');
    await manage(svc(), uuid);
    const db = openDatabase(svc().db.url);
    try {
      const { id } = await db.knex('nodes').where({ uuid }).first('id');
      expect((await db.knex('bios_settings').where({ node_id: id })).length).toBeGreaterThan(0);
      expect((await svc().request('DELETE', `/v1/nodes/${uuid}`)).status).toBe(204);
      expect(await db.knex('bios_settings').where({ node_id: id })).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
