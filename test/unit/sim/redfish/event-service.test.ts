import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { startEventReceiver, type EventReceiver } from './event-receiver.js';
import { members, redfish } from './sim-client.js';

let fleet: Fleet;
let sim: RedfishSim;
let receiver: EventReceiver;
const SUBSCRIPTIONS = '/redfish/v1/EventService/Subscriptions';
const SUBMIT_TEST_EVENT = '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent';

beforeAll(async () => {
  fleet = createFleet({ count: 2, seed: 9 });
  sim = await startRedfishSim({
    fleet,
    eventDelivery: { retryIntervalMs: 20, retryAttempts: 3, timeoutMs: 2000 },
    firmwareUpdateMs: 50,
  });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  receiver = await startEventReceiver();
});

afterEach(async () => {
  for (const uri of members(await redfish(sim, 'GET', SUBSCRIPTIONS))) await redfish(sim, 'DELETE', uri);
  await receiver.close();
});

function errorId(answer: { json: Record<string, unknown> }): string {
  return (answer.json.error as { '@Message.ExtendedInfo': Array<{ MessageId: string }> })['@Message.ExtendedInfo'][0]!
    .MessageId;
}

async function subscribe(extra: Record<string, unknown> = {}): Promise<string> {
  const created = await redfish(sim, 'POST', SUBSCRIPTIONS, {
    Destination: receiver.url,
    Context: 'metal3-node-7',
    Protocol: 'Redfish',
    ...extra,
  });
  expect(created.status).toBe(201);
  return created.headers.get('location') ?? '';
}

describe('Redfish sim EventService', () => {
  it('is linked from the service root and names its event types and SubmitTestEvent action', async () => {
    expect((await redfish(sim, 'GET', '/redfish/v1/')).json.EventService).toEqual({
      '@odata.id': '/redfish/v1/EventService',
    });
    const service = await redfish(sim, 'GET', '/redfish/v1/EventService');
    expect(service.json).toMatchObject({
      ServiceEnabled: true,
      DeliveryRetryAttempts: 3,
      Subscriptions: { '@odata.id': SUBSCRIPTIONS },
      EventTypesForSubscription: expect.arrayContaining(['Alert', 'StatusChange']),
    });
    expect(service.json.Actions).toEqual({
      '#EventService.SubmitTestEvent': { target: '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent' },
    });
  });

  it('creates, lists, reads and deletes a subscription, never showing its HttpHeaders again', async () => {
    const location = await subscribe({
      HttpHeaders: [{ Authorization: 'Bearer s3cret-token' }],
      EventTypes: ['Alert'],
    });
    expect(location).toMatch(new RegExp(`^${SUBSCRIPTIONS}/\\d+$`));
    expect(members(await redfish(sim, 'GET', SUBSCRIPTIONS))).toEqual([location]);
    const read = await redfish(sim, 'GET', location);
    expect(read.json).toMatchObject({
      Destination: receiver.url,
      Context: 'metal3-node-7',
      Protocol: 'Redfish',
      EventTypes: ['Alert'],
      HttpHeaders: [],
    });
    expect(JSON.stringify(read.json)).not.toContain('s3cret-token');
    expect((await redfish(sim, 'DELETE', location)).status).toBe(204);
    expect((await redfish(sim, 'GET', location)).status).toBe(404);
    expect((await redfish(sim, 'DELETE', location)).status).toBe(404);
  });

  it('refuses a destination that is not an http(s) URL, unknown properties and other protocols', async () => {
    const ftp = await redfish(sim, 'POST', SUBSCRIPTIONS, { Destination: 'ftp://127.0.0.1/x' });
    expect(ftp.status).toBe(400);
    expect(errorId(ftp)).toMatch(/PropertyValueFormatError$/);
    const missing = await redfish(sim, 'POST', SUBSCRIPTIONS, { Context: 'x' });
    expect(errorId(missing)).toMatch(/PropertyMissing$/);
    const snmp = await redfish(sim, 'POST', SUBSCRIPTIONS, { Destination: receiver.url, Protocol: 'SNMPv2c' });
    expect(errorId(snmp)).toMatch(/PropertyValueNotInList$/);
    const unknown = await redfish(sim, 'POST', SUBSCRIPTIONS, { Destination: receiver.url, Colour: 'red' });
    expect(errorId(unknown)).toMatch(/PropertyUnknown$/);
    const badType = await redfish(sim, 'POST', SUBSCRIPTIONS, { Destination: receiver.url, EventTypes: ['Gossip'] });
    expect(errorId(badType)).toMatch(/PropertyValueNotInList$/);
    const badHeader = await redfish(sim, 'POST', SUBSCRIPTIONS, {
      Destination: receiver.url,
      HttpHeaders: [{ 'X-Bad\r\nInjected': 'v' }],
    });
    expect(badHeader.status).toBe(400);
    expect(members(await redfish(sim, 'GET', SUBSCRIPTIONS))).toEqual([]);
  });

  it('POSTs a power change to the subscriber with its headers and context, naming the system', async () => {
    const host = fleet.get('sim-1')!;
    host.powerAction('On');
    await subscribe({ HttpHeaders: [{ 'X-Hook-Secret': 'abc123' }] });
    host.powerAction('ForceOff');
    host.powerAction('On');
    const [off, on] = await receiver.waitFor(2);
    expect(off!.headers['x-hook-secret']).toBe('abc123');
    expect(off!.headers['content-type']).toBe('application/json');
    expect(on!.body.Context).toBe('metal3-node-7');
    expect(on!.body.Events[0]).toMatchObject({
      EventType: 'StatusChange',
      MessageId: 'ResourceEvent.1.3.0.ResourcePoweredOn',
      OriginOfCondition: { '@odata.id': '/redfish/v1/Systems/sim-1' },
      Context: 'metal3-node-7',
    });
    expect(off!.body.Events[0]!.MessageId).toBe('ResourceEvent.1.3.0.ResourcePoweredOff');
  });

  it('says when a power-on applied pending BIOS settings', async () => {
    const host = fleet.get('sim-0')!;
    host.powerAction('ForceOff');
    await subscribe();
    host.setPendingBios({ NumLock: 'Off' });
    host.powerAction('On');
    const [event] = await receiver.waitFor(1);
    expect(event!.body.Events.map((e) => [e.EventType, e.MessageId, e.OriginOfCondition['@odata.id']])).toEqual([
      ['StatusChange', 'ResourceEvent.1.3.0.ResourcePoweredOn', '/redfish/v1/Systems/sim-0'],
      ['ResourceUpdated', 'ResourceEvent.1.3.0.ResourceChanged', '/redfish/v1/Systems/sim-0/Bios'],
    ]);
  });

  it('sends a test event on SubmitTestEvent and requires its MessageId', async () => {
    await subscribe();
    const missing = await redfish(sim, 'POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', {});
    expect(errorId(missing)).toMatch(/ActionParameterMissing$/);
    const sent = await redfish(sim, 'POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', {
      MessageId: 'ResourceEvent.1.3.0.TestMessage',
      Message: 'hello from the test',
    });
    expect(sent.status).toBe(204);
    const [event] = await receiver.waitFor(1);
    expect(event!.body.Events[0]).toMatchObject({
      EventType: 'Alert',
      MessageId: 'ResourceEvent.1.3.0.TestMessage',
      Message: 'hello from the test',
    });
    const badType = await redfish(sim, 'POST', SUBMIT_TEST_EVENT, {
      MessageId: 'Base.1.16.Success',
      EventType: 'Gossip',
    });
    expect(badType.status).toBe(400);
    expect(errorId(badType)).toMatch(/ActionParameterValueNotInList$/);
  });

  it('sends a subscription that names EventTypes only the records of those types', async () => {
    const host = fleet.get('sim-1')!;
    host.powerAction('ForceOff');
    // Ironic's default subscription.
    await subscribe({ EventTypes: ['Alert'] });
    const status = await startEventReceiver();
    try {
      const created = await redfish(sim, 'POST', SUBSCRIPTIONS, {
        Destination: status.url,
        EventTypes: ['StatusChange'],
      });
      expect(created.status).toBe(201);
      host.powerAction('On');
      await redfish(sim, 'POST', SUBMIT_TEST_EVENT, { MessageId: 'ResourceEvent.1.3.0.TestMessage' });
      await redfish(sim, 'POST', SUBMIT_TEST_EVENT, {
        MessageId: 'ResourceEvent.1.3.0.ResourceChanged',
        EventType: 'StatusChange',
      });
      // Each subscriber's events arrive in order, so a power event sent to the Alert one would come first.
      const [alert] = await receiver.waitFor(1);
      expect(alert!.body.Events.map((e) => [e.EventType, e.MessageId])).toEqual([
        ['Alert', 'ResourceEvent.1.3.0.TestMessage'],
      ]);
      const changes = await status.waitFor(2);
      expect(changes.map((e) => [e.body.Events[0]!.EventType, e.body.Events[0]!.MessageId])).toEqual([
        ['StatusChange', 'ResourceEvent.1.3.0.ResourcePoweredOn'],
        ['StatusChange', 'ResourceEvent.1.3.0.ResourceChanged'],
      ]);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await status.close();
    }
  });

  it('says when a firmware update ends, naming the inventory item, without anyone polling its task', async () => {
    await subscribe({ RegistryPrefixes: ['Update'] });
    const update = (body: object) =>
      redfish(sim, 'POST', '/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate', body);
    const item = '/redfish/v1/UpdateService/FirmwareInventory/sim-0.BIOS';
    const image = 'http://127.0.0.1:1/bios-1.9.0.bin';
    expect((await update({ ImageURI: image, Targets: [item] })).status).toBe(202);
    const [done] = await receiver.waitFor(1);
    expect(done!.body.Events).toEqual([
      expect.objectContaining({
        EventType: 'ResourceUpdated',
        MessageId: 'Update.1.0.UpdateSuccessful',
        MessageArgs: ['BIOS', image],
        MessageSeverity: 'OK',
        OriginOfCondition: { '@odata.id': item },
      }),
    ]);
    expect((await redfish(sim, 'GET', item)).json.Version).toBe('1.9.0');

    // No component matches this image: the job ends in Exception, an alert.
    const unknown = 'http://127.0.0.1:1/nic-2.0.bin';
    expect((await update({ ImageURI: unknown, Targets: ['/redfish/v1/Systems/sim-0'] })).status).toBe(202);
    const [, failed] = await receiver.waitFor(2);
    expect(failed!.body.Events).toEqual([
      expect.objectContaining({
        EventType: 'Alert',
        MessageId: 'Update.1.0.ApplyFailed',
        MessageSeverity: 'Critical',
        OriginOfCondition: { '@odata.id': '/redfish/v1/UpdateService/FirmwareInventory' },
      }),
    ]);
    expect(receiver.received).toHaveLength(2);
  });

  it('retries a failing subscriber a bounded number of times, without holding the host up', async () => {
    await subscribe();
    receiver.failNext(2);
    const host = fleet.get('sim-0')!;
    host.powerAction('PushPowerButton');
    const [event] = await receiver.waitFor(1);
    expect(receiver.attempts).toBe(3);
    expect(event!.body.Events).toHaveLength(1);

    // Down for good: 1 + 3 retries, then the event is dropped and the next one is sent.
    receiver.failNext(100);
    host.powerAction('PushPowerButton');
    const deadline = Date.now() + 3000;
    while (receiver.attempts < 3 + 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.attempts).toBe(3 + 4);
  });

  it('sends only events of the registries a subscription names', async () => {
    await subscribe({ RegistryPrefixes: ['ResourceEvent'] });
    const other = await startEventReceiver();
    try {
      const created = await redfish(sim, 'POST', SUBSCRIPTIONS, { Destination: other.url });
      expect(created.status).toBe(201);
      await redfish(sim, 'POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', {
        MessageId: 'Base.1.16.Success',
      });
      await redfish(sim, 'POST', '/redfish/v1/EventService/Actions/EventService.SubmitTestEvent', {
        MessageId: 'ResourceEvent.1.3.0.TestMessage',
      });
      const [first] = await receiver.waitFor(1);
      expect(first!.body.Events[0]!.MessageId).toBe('ResourceEvent.1.3.0.TestMessage');
      expect((await other.waitFor(2)).map((e) => e.body.Events[0]!.MessageId)).toEqual([
        'Base.1.16.Success',
        'ResourceEvent.1.3.0.TestMessage',
      ]);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
