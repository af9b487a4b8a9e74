import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../../sim/fleet-runner.js';
import { createFleet } from '../../../sim/host/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/engines.js';
import { describeOnEngines, eventually, faultOf, type TestService } from '../../support/service.js';
import { startSplitRoles, type SplitRoles } from '../../support/split-roles.js';
import { startEventReceiver, type EventReceiver } from '../../unit/sim/redfish/event-receiver.js';

// Metal3's BMC event subscriptions through Ironic's node vendor passthru:
// Anvil's API, the conductor, the Redfish driver, the sim's EventService, and
// the sim's POST of a power change to a listener on loopback.

const credentials = { username: 'admin', password: 'sim-secret' };
let sim: SimFleet;
let receiver: EventReceiver;

beforeAll(async () => {
  sim = await startSimFleet({
    fleet: createFleet({ count: 2, seed: 21 }),
    credentials,
    eventDelivery: { retryIntervalMs: 50 },
  });
  receiver = await startEventReceiver();
});
afterAll(async () => {
  await sim?.close();
  await receiver?.close();
});

async function redfishNode(svc: TestService, i: number, tag: string): Promise<string> {
  const host = sim.manifest.hosts[i]!;
  const url = new URL(host.redfish.address.replace('redfish+', ''));
  const res = await svc.request('POST', '/v1/nodes', {
    driver: 'redfish',
    name: `vp-${tag}-${i}-${svc.db.engine}`,
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

const simAuth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;

/** The subscriptions the sim holds, read from its EventService as any client would. */
async function simSubscriptions(): Promise<string[]> {
  const res = await fetch(`${sim.redfish.url}/redfish/v1/EventService/Subscriptions`, {
    headers: { Authorization: simAuth },
  });
  const body = (await res.json()) as { Members: Array<{ '@odata.id': string }> };
  return body.Members.map((m) => m['@odata.id']);
}

/**
 * A GET with a JSON body, as `baremetal node passthru call --http-method GET`
 * sends get_subscription's id; fetch() will not send one.
 */
function getWithBody(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'GET',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(payload),
          'X-OpenStack-Ironic-API-Version': '1.78',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describeOnEngines('node vendor passthru: BMC event subscriptions on the Redfish sim', (svc) => {
  afterEach(async () => {
    receiver.received.splice(0);
    for (const uri of await simSubscriptions())
      await fetch(`${sim.redfish.url}${uri}`, { method: 'DELETE', headers: { Authorization: simAuth } });
  });

  it("lists the redfish vendor interface's methods with Ironic's metadata, and none for fake-hardware", async () => {
    const uuid = await redfishNode(svc(), 0, 'methods');
    const methods = await svc().request('GET', `/v1/nodes/${uuid}/vendor_passthru/methods`);
    expect(methods.status, methods.text).toBe(200);
    expect(Object.keys(methods.body).sort()).toEqual([
      'create_subscription',
      'delete_subscription',
      'get_all_subscriptions',
      'get_subscription',
    ]);
    expect(methods.body.create_subscription).toEqual({
      http_methods: ['POST'],
      async: false,
      description: expect.stringContaining('Destination'),
      attach: false,
      require_exclusive_lock: true,
    });
    expect(methods.body.delete_subscription.http_methods).toEqual(['DELETE']);
    const fake = await svc().request('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: `vp-fake-${svc().db.engine}`,
    });
    expect((await svc().request('GET', `/v1/nodes/${fake.body.uuid}/vendor_passthru/methods`)).body).toEqual({});
  });

  it('subscribes, receives a power change made through Anvil, reads and deletes the subscription', async () => {
    // Off first, so the power-on below is a change whichever engine's run comes first.
    sim.fleet.get('sim-1')!.powerAction('ForceOff');
    const uuid = await redfishNode(svc(), 1, 'events');
    const base = `/v1/nodes/${uuid}/vendor_passthru`;
    const created = await svc().request('POST', `${base}?method=create_subscription`, {
      Destination: receiver.url,
      Context: 'bmo-event-sub',
      // A power change is a StatusChange; Ironic's default, Alert, would not carry it.
      EventTypes: ['StatusChange'],
      HttpHeaders: [{ 'X-Listener-Secret': 'hush-1234' }],
    });
    expect(created.status, created.text).toBe(200);
    // Ironic's view of a subscription: these five fields, the headers never.
    expect(created.body).toEqual({
      Id: expect.any(String),
      Context: 'bmo-event-sub',
      Protocol: 'Redfish',
      Destination: receiver.url,
      EventTypes: ['StatusChange'],
    });
    const id = created.body.Id as string;
    expect(await simSubscriptions()).toEqual([`/redfish/v1/EventService/Subscriptions/${id}`]);

    const all = await svc().request('GET', `${base}?method=get_all_subscriptions`);
    expect(all.status, all.text).toBe(200);
    expect(all.body.Members).toEqual([{ '@odata.id': `/redfish/v1/EventService/Subscriptions/${id}` }]);
    const one = await getWithBody(`${svc().url}${base}?method=get_subscription`, { id });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ Id: id, Context: 'bmo-event-sub' });
    expect(JSON.stringify(one.body)).not.toContain('hush-1234');

    const power = await svc().request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'power on' });
    expect(power.status, power.text).toBe(202);
    const [event] = await receiver.waitFor(1, 10_000);
    expect(event!.headers['x-listener-secret']).toBe('hush-1234');
    expect(event!.body.Context).toBe('bmo-event-sub');
    expect(event!.body.Events[0]).toMatchObject({
      EventType: 'StatusChange',
      MessageId: 'ResourceEvent.1.3.0.ResourcePoweredOn',
      OriginOfCondition: { '@odata.id': '/redfish/v1/Systems/sim-1' },
    });
    await eventually(
      () => svc().request('GET', `/v1/nodes/${uuid}`),
      (n) => n.body.power_state === 'power on' && n.body.target_power_state === null,
    );

    const deleted = await svc().request('DELETE', `${base}?method=delete_subscription`, { id });
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.body).toBeNull();
    expect(await simSubscriptions()).toEqual([]);
    const gone = await svc().request('DELETE', `${base}?method=delete_subscription`, { id });
    expect(gone.status, gone.text).toBe(404);
  });

  it("refuses bad calls with Ironic's wording before any BMC call", async () => {
    const uuid = await redfishNode(svc(), 0, 'refusals');
    const base = `/v1/nodes/${uuid}/vendor_passthru`;
    const refusal = async (method: string, path: string, body?: unknown): Promise<string> => {
      const res = await svc().request(method, path, body);
      expect(res.status, res.text).toBe(400);
      return faultOf(res);
    };
    expect(await refusal('POST', `${base}?method=create_subscription`, { Destination: 'ftp://127.0.0.1/x' })).toBe(
      'Destination ftp://127.0.0.1/x is not a valid URI',
    );
    expect(await refusal('POST', `${base}?method=create_subscription`, {})).toBe('Destination None is not a valid URI');
    expect(await refusal('POST', `${base}?method=create_subscription`, { Destination: receiver.url, Context: 5 })).toBe(
      'Context 5 is not a valid string',
    );
    expect(await refusal('GET', `${base}?method=create_subscription`)).toBe(
      'The method create_subscription does not support HTTP GET',
    );
    expect(await refusal('POST', base, {})).toBe('Method not specified');
    expect(await refusal('POST', `${base}?method=reset_bmc`, {})).toBe('No handler for method reset_bmc');
    expect(await refusal('DELETE', `${base}?method=delete_subscription`, {})).toBe("id can't be None");
    expect(await refusal('DELETE', `${base}?method=delete_subscription`, { id: '../1' })).toBe(
      "Invalid BMC subscription ID value: '../1'",
    );
    expect(await simSubscriptions()).toEqual([]);

    const fake = await svc().request('POST', '/v1/nodes', {
      driver: 'fake-hardware',
      name: `vp-fake2-${svc().db.engine}`,
    });
    expect(
      await refusal('POST', `/v1/nodes/${fake.body.uuid}/vendor_passthru?method=create_subscription`, {
        Destination: receiver.url,
      }),
    ).toBe('No handler for method create_subscription');
  });

  it('answers driver-level vendor passthru as Ironic does for drivers without driver methods', async () => {
    const methods = await svc().request('GET', '/v1/drivers/redfish/vendor_passthru/methods');
    expect(methods.status, methods.text).toBe(200);
    expect(methods.body).toEqual({});
    expect((await svc().request('GET', '/v1/drivers/nope/vendor_passthru/methods')).status).toBe(404);
    const call = await svc().request('POST', '/v1/drivers/redfish/vendor_passthru?method=lookup', {});
    expect(call.status).toBe(400);
    expect(faultOf(call)).toBe('No handler for method lookup');
  });
});

describe('node vendor passthru from an API process without BMC access [sqlite]', () => {
  let db: TestDatabase;
  let split: SplitRoles;
  const call = (method: string, urlPath: string, body?: unknown) => split.call(method, urlPath, body);

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    split = await startSplitRoles(db, 'vp', { version: '1.78' });
  });
  afterAll(async () => {
    await split?.close();
    await db?.drop();
  });

  it('creates and deletes the subscription through the conductor over the RPC', async () => {
    const host = sim.manifest.hosts[0]!;
    const url = new URL(host.redfish.address.replace('redfish+', ''));
    const node = await call('POST', '/v1/nodes', {
      driver: 'redfish',
      name: 'vp-split',
      driver_info: {
        redfish_address: `${url.protocol}//${url.host}`,
        redfish_system_id: url.pathname,
        redfish_username: credentials.username,
        redfish_password: credentials.password,
      },
    });
    expect(node.status, node.text).toBe(201);
    const base = `/v1/nodes/${node.body.uuid}/vendor_passthru`;
    const created = await call('POST', `${base}?method=create_subscription`, {
      Destination: receiver.url,
      Context: 'split',
    });
    expect(created.status, created.text).toBe(200);
    // None named: Ironic subscribes to Alert.
    expect(created.body.EventTypes).toEqual(['Alert']);
    expect(await simSubscriptions()).toEqual([`/redfish/v1/EventService/Subscriptions/${created.body.Id}`]);
    const deleted = await call('DELETE', `${base}?method=delete_subscription`, { id: created.body.Id });
    expect(deleted.status, deleted.text).toBe(200);
    expect(await simSubscriptions()).toEqual([]);
    const metrics = await (await fetch(`${split.api.url}/metrics`)).text();
    expect(metrics).not.toMatch(/^anvil_bmc_call_duration_seconds_count\{/m);
  });
});
