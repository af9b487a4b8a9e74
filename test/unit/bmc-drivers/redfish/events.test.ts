// The Redfish driver's event subscriptions against the Redfish sim over loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BmcDriverRegistry,
  BmcRefused,
  requireInterface,
  type BmcCallEvent,
  type BmcDriver,
} from '../../../../bmc-drivers/index.js';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { startEventReceiver, type EventReceiver } from '../../sim/redfish/event-receiver.js';

const credentials = { username: 'admin', password: 'Events-pw-7' };
let fleet: Fleet;
let sim: RedfishSim;
let receiver: EventReceiver;
let calls: BmcCallEvent[] = [];
const opened: BmcDriver[] = [];

function driverFor(host: string): BmcDriver {
  const registry = new BmcDriverRegistry({
    policy: { timeoutMs: 2000, attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    onCall: (event) => calls.push(event),
  });
  const driver = registry.fromAddress(`redfish+${sim.url}/redfish/v1/Systems/${host}`, credentials);
  opened.push(driver);
  return driver;
}

beforeAll(async () => {
  fleet = createFleet({ count: 2, seed: 4 });
  sim = await startRedfishSim({ fleet, credentials });
  receiver = await startEventReceiver();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
  calls = [];
});

afterAll(async () => {
  await sim.close();
  await receiver.close();
});

describe('Redfish driver events', () => {
  it('creates a subscription the BMC then delivers to, lists and reads it, and deletes it', async () => {
    const events = requireInterface(driverFor('sim-0'), 'events');
    const created = await events.createSubscription({
      destination: receiver.url,
      context: 'node-0',
      httpHeaders: [{ 'X-Listener-Token': 'tok-123' }],
      eventTypes: ['StatusChange'],
    });
    expect(created.id).toMatch(/^\d+$/);
    expect(created.body).toMatchObject({
      Id: created.id,
      Destination: receiver.url,
      Context: 'node-0',
      Protocol: 'Redfish',
      EventTypes: ['StatusChange'],
    });

    const listed = await events.listSubscriptions();
    expect(listed.Members).toEqual([{ '@odata.id': `/redfish/v1/EventService/Subscriptions/${created.id}` }]);
    expect(await events.getSubscription(created.id)).toMatchObject({ Id: created.id, Context: 'node-0' });

    fleet.get('sim-0')!.powerAction('On');
    const [event] = await receiver.waitFor(1);
    expect(event!.headers['x-listener-token']).toBe('tok-123');
    expect(event!.body.Context).toBe('node-0');

    expect(await events.deleteSubscription(created.id)).toBe(true);
    expect(await events.getSubscription(created.id)).toBeNull();
    expect(await events.deleteSubscription(created.id)).toBe(false);
  });

  it('sends the create once when the BMC refuses it: a retried POST could subscribe twice', async () => {
    const events = requireInterface(driverFor('sim-1'), 'events');
    const failure = await events
      .createSubscription({
        destination: 'ftp://127.0.0.1/events',
      })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(BmcRefused);
    expect(String((failure as Error).message)).toContain('Destination');
    expect(calls.filter((c) => c.operation === 'create_subscription')).toHaveLength(1);
  });

  it('escapes a subscription id instead of letting it walk the BMC tree', async () => {
    const events = requireInterface(driverFor('sim-1'), 'events');
    expect(await events.getSubscription('../../Systems/sim-1')).toBeNull();
    expect(await events.deleteSubscription('../../SessionService')).toBe(false);
  });
});
