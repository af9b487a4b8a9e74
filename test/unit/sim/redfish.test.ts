import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../sim/redfish/index.js';

const auth = `Basic ${Buffer.from('admin:password').toString('base64')}`;
let fleet: Fleet;
let sim: RedfishSim;

async function call(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { Authorization: auth, 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : (JSON.parse(text) as unknown), headers: res.headers };
}

beforeAll(async () => {
  fleet = createFleet({ count: 2 });
  sim = await startRedfishSim({ fleet, firmwareUpdateMs: 50 });
});

afterAll(async () => {
  await sim.close();
});

describe('Redfish sim', () => {
  it('serves the service root without credentials and everything else only with them', async () => {
    expect((await fetch(`${sim.url}/redfish/v1/`)).status).toBe(200);
    const denied = await fetch(`${sim.url}/redfish/v1/Systems`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toContain('Basic');
  });

  it('logs in with a session (X-Auth-Token + Location) and logs out with DELETE', async () => {
    const login = await fetch(`${sim.url}/redfish/v1/SessionService/Sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ UserName: 'admin', Password: 'password' }),
    });
    expect(login.status).toBe(201);
    const token = login.headers.get('x-auth-token') ?? '';
    const location = login.headers.get('location') ?? '';
    expect(location).toMatch(/^\/redfish\/v1\/SessionService\/Sessions\/.+/);
    expect((await fetch(`${sim.url}/redfish/v1/Systems`, { headers: { 'X-Auth-Token': token } })).status).toBe(200);
    expect(
      (await fetch(`${sim.url}${location}`, { method: 'DELETE', headers: { 'X-Auth-Token': token } })).status,
    ).toBe(204);
    expect((await fetch(`${sim.url}/redfish/v1/Systems`, { headers: { 'X-Auth-Token': token } })).status).toBe(401);
  });

  it('answers malformed JSON with a Redfish MalformedJSON error', async () => {
    const res = await call('PATCH', '/redfish/v1/Systems/sim-0', '{"Boot": ');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      error: { code: 'Base.1.16.MalformedJSON', '@Message.ExtendedInfo': [{ MessageId: 'Base.1.16.MalformedJSON' }] },
    });
  });

  it('lists every ResetType and boot target as allowable values', async () => {
    const res = await call('GET', '/redfish/v1/Systems/sim-0');
    expect(res.json).toMatchObject({
      Boot: {
        'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd', 'Cd', 'BiosSetup', 'UefiHttp'],
      },
      Actions: {
        '#ComputerSystem.Reset': {
          'ResetType@Redfish.AllowableValues': expect.arrayContaining([
            'On',
            'ForceOff',
            'GracefulShutdown',
            'GracefulRestart',
            'ForceRestart',
            'Nmi',
            'PushPowerButton',
            'PowerCycle',
          ]),
        },
      },
    });
  });

  it('honours If-Match on Boot PATCH: the current ETag passes, a stale one gets 412', async () => {
    const current = (await call('GET', '/redfish/v1/Systems/sim-1')).headers.get('etag') ?? '';
    const ok = await call(
      'PATCH',
      '/redfish/v1/Systems/sim-1',
      JSON.stringify({ Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Continuous' } }),
      { 'If-Match': current },
    );
    expect(ok.status).toBe(200);
    const stale = await call(
      'PATCH',
      '/redfish/v1/Systems/sim-1',
      JSON.stringify({ Boot: { BootSourceOverrideTarget: 'Hdd' } }),
      { 'If-Match': current },
    );
    expect(stale.status).toBe(412);
    expect(fleet.get('sim-1')?.boot).toMatchObject({ target: 'pxe', enabled: 'continuous' });
  });

  it('refuses writes to read-only and unknown properties and values not in the list', async () => {
    expect((await call('PATCH', '/redfish/v1/Systems/sim-0', JSON.stringify({ PowerState: 'On' }))).json).toMatchObject(
      { error: { code: 'Base.1.16.PropertyNotWritable' } },
    );
    expect(
      (
        await call(
          'PATCH',
          '/redfish/v1/Systems/sim-0',
          JSON.stringify({ Boot: { BootSourceOverrideTarget: 'Floppy' } }),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await call(
          'POST',
          '/redfish/v1/Systems/sim-0/Actions/ComputerSystem.Reset',
          JSON.stringify({ ResetType: 'Explode' }),
        )
      ).json,
    ).toMatchObject({ error: { code: 'Base.1.16.ActionParameterValueNotInList' } });
  });

  it('reports a SimpleUpdate task through its monitor: 202 while running, 200 when done', async () => {
    const started = await call(
      'POST',
      '/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate',
      JSON.stringify({
        ImageURI: 'http://127.0.0.1:9/nic1-23.0.1.bin',
        Targets: ['/redfish/v1/UpdateService/FirmwareInventory/sim-0.NIC1'],
      }),
    );
    expect(started.status).toBe(202);
    const monitor = started.headers.get('location') ?? '';
    expect((await call('GET', monitor)).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await call('GET', monitor)).json).toMatchObject({ TaskState: 'Completed' });
    expect(fleet.get('sim-0')?.firmware.find((f) => f.id === 'NIC1')?.version).toBe('23.0.1');
  });

  it('shows a host on the control API and sets faults there', async () => {
    const res = await fetch(`${sim.url}/sim/v1/hosts/sim-0`);
    expect(await res.json()).toMatchObject({
      name: 'sim-0',
      power: 'Off',
      nics: [{ mac: expect.stringMatching(/^52:54:00:/) }, {}],
      faults: {},
    });
    const list = (await (await fetch(`${sim.url}/sim/v1/hosts`)).json()) as { hosts: unknown[] };
    expect(list.hosts).toHaveLength(2);
    expect((await fetch(`${sim.url}/sim/v1/hosts/nope`)).status).toBe(404);
  });

  it('never crashes on random bodies to writable resources: 2xx or 4xx only', async () => {
    const targets = [
      ['PATCH', '/redfish/v1/Systems/sim-0'],
      ['POST', '/redfish/v1/Systems/sim-0/Actions/ComputerSystem.Reset'],
      ['PATCH', '/redfish/v1/Systems/sim-0/Bios/Settings'],
      ['POST', '/redfish/v1/Managers/sim-0/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia'],
      ['POST', '/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate'],
      ['POST', '/redfish/v1/SessionService/Sessions'],
      ['PUT', '/sim/v1/faults'],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
          fc.object({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        ),
        async ([method, path], body) => {
          const res = await call(method, path, body);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400)
            expect(res.json).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
        },
      ),
      { numRuns: 150 },
    );
    await fetch(`${sim.url}/sim/v1/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect((await call('GET', '/redfish/v1/Systems/sim-0')).status).toBe(200);
  });
});
