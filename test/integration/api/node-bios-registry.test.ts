import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../../sim/fleet-runner.js';
import { Fleet, hostSpec, SimHost } from '../../../sim/host/index.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';

const credentials = { username: 'admin', password: 'sim-secret' };
let sim: SimFleet;

beforeAll(async () => {
  const bare = hostSpec(1, 'sim-', 9, 1);
  delete bare.biosRegistry;
  sim = await startSimFleet({
    fleet: new Fleet([new SimHost(hostSpec(0, 'sim-', 9, 1)), new SimHost(bare)]),
    credentials,
  });
});
afterAll(async () => {
  await sim?.close();
});

let enrolled = 0;

async function redfishNode(svc: TestService, i: number): Promise<string> {
  enrolled += 1;
  const url = new URL(sim.manifest.hosts[i]!.redfish.address.replace('redfish+', ''));
  const res = await svc.request('POST', '/v1/nodes', {
    driver: 'redfish',
    name: `bios-${i}-${enrolled}-${svc.db.engine}`,
    driver_info: {
      redfish_address: `${url.protocol}//${url.host}`,
      redfish_system_id: url.pathname,
      redfish_username: credentials.username,
      redfish_password: credentials.password,
    },
  });
  expect(res.status, res.text).toBe(201);
  // Verifying reads the BIOS into the cache the API serves, as Ironic's verify does.
  const uuid = res.body.uuid as string;
  expect((await svc.request('PUT', `/v1/nodes/${uuid}/states/provision`, { target: 'manage' })).status).toBe(202);
  const node = await eventually(
    () => svc.request('GET', `/v1/nodes/${uuid}`),
    (r) => r.body.reservation === null && r.body.target_provision_state === null,
    20_000,
  );
  expect(node.body.provision_state, String(node.body.last_error)).toBe('manageable');
  return uuid;
}

type Setting = Record<string, unknown> & { name: string };
const byName = (list: Setting[]) => new Map(list.map((s) => [s.name, s]));

describeOnEngines('BIOS settings with their registry (GET /v1/nodes/{id}/bios)', (svc) => {
  it('serves the registry metadata with ?detail=true from 1.74, as baremetal-operator reads it', async () => {
    const uuid = await redfishNode(svc(), 0);
    const res = await svc().request('GET', `/v1/nodes/${uuid}/bios?detail=true`, undefined, '1.74');
    expect(res.status, res.text).toBe(200);
    const settings = byName(res.body.bios);
    expect(settings.get('ProcTurboMode')).toEqual({
      name: 'ProcTurboMode',
      value: 'Enabled',
      attribute_type: 'Enumeration',
      allowable_values: ['Enabled', 'Disabled'],
      lower_bound: null,
      upper_bound: null,
      min_length: null,
      max_length: null,
      read_only: false,
      reset_required: true,
      unique: false,
      created_at: expect.any(String),
      updated_at: null,
      links: expect.any(Array),
    });
    expect(settings.get('ProcCoreCount')).toMatchObject({ value: '8', attribute_type: 'Integer', read_only: true });
    expect(settings.get('PxeRetryCount')).toMatchObject({ lower_bound: 0, upper_bound: 10 });
    expect(settings.get('AssetTag')).toMatchObject({ attribute_type: 'String', min_length: 0, max_length: 16 });
  });

  it('serves one setting by name (GET .../bios/{name}), with the registry from 1.74, and 404 for one the BIOS lacks', async () => {
    const uuid = await redfishNode(svc(), 0);
    const one = await svc().request('GET', `/v1/nodes/${uuid}/bios/ProcTurboMode`, undefined, '1.74');
    expect(one.status, one.text).toBe(200);
    expect(one.body.ProcTurboMode).toMatchObject({
      name: 'ProcTurboMode',
      value: 'Enabled',
      attribute_type: 'Enumeration',
      allowable_values: ['Enabled', 'Disabled'],
    });
    const old = await svc().request('GET', `/v1/nodes/${uuid}/bios/ProcTurboMode`, undefined, '1.40');
    expect(Object.keys(old.body.ProcTurboMode).sort()).toEqual(['created_at', 'links', 'name', 'updated_at', 'value']);
    const missing = await svc().request('GET', `/v1/nodes/${uuid}/bios/NoSuchSetting`, undefined, '1.74');
    expect(missing.status).toBe(404);
    expect(faultOf(missing)).toBe(`Node ${uuid} doesn't have a BIOS setting 'NoSuchSetting'`);
  });

  it('gives only name and value without detail, and the fields asked for with ?fields', async () => {
    const uuid = await redfishNode(svc(), 0);
    const plain = await svc().request('GET', `/v1/nodes/${uuid}/bios`, undefined, '1.74');
    expect(Object.keys(plain.body.bios[0]).sort()).toEqual(['created_at', 'links', 'name', 'updated_at', 'value']);
    const some = await svc().request('GET', `/v1/nodes/${uuid}/bios?fields=name,read_only`, undefined, '1.74');
    expect(byName(some.body.bios).get('ProcCoreCount')).toEqual({
      name: 'ProcCoreCount',
      read_only: true,
      created_at: expect.any(String),
      updated_at: null,
      links: expect.any(Array),
    });
    const unknown = await svc().request('GET', `/v1/nodes/${uuid}/bios?fields=name,colour`, undefined, '1.74');
    expect(unknown.status).toBe(400);
    expect(faultOf(unknown)).toContain('colour');
    const both = await svc().request('GET', `/v1/nodes/${uuid}/bios?fields=name&detail=true`, undefined, '1.74');
    expect(both.status).toBe(400);
  });

  it('refuses ?detail and ?fields before 1.74, as Ironic does', async () => {
    const uuid = await redfishNode(svc(), 0);
    const detail = await svc().request('GET', `/v1/nodes/${uuid}/bios?detail=true`, undefined, '1.73');
    expect(detail.status).toBe(400);
    expect(faultOf(detail)).toContain('Invalid query parameter ?detail=true received.');
    expect((await svc().request('GET', `/v1/nodes/${uuid}/bios?fields=name`, undefined, '1.73')).status).toBe(400);
    const plain = await svc().request('GET', `/v1/nodes/${uuid}/bios`, undefined, '1.73');
    expect(byName(plain.body.bios).get('ProcTurboMode')).toEqual({
      name: 'ProcTurboMode',
      value: 'Enabled',
      created_at: expect.any(String),
      updated_at: null,
      links: expect.any(Array),
    });
  });

  it('lists the settings with null metadata for a BMC that publishes no registry', async () => {
    const uuid = await redfishNode(svc(), 1);
    const res = await svc().request('GET', `/v1/nodes/${uuid}/bios?detail=true`, undefined, '1.74');
    expect(res.status, res.text).toBe(200);
    expect(byName(res.body.bios).get('ProcTurboMode')).toMatchObject({
      value: 'Enabled',
      attribute_type: null,
      allowable_values: null,
      read_only: null,
      reset_required: null,
    });
  });
});
