import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../sim/redfish/index.js';
import { startEventReceiver, type EventReceiver } from '../unit/sim/redfish/event-receiver.js';
import { requireTool } from './tools.js';

// DMTF's redfishtool against Anvil's Redfish sim on loopback: what it finds
// by following the service's links (Systems, Chassis with power and thermal,
// Managers, AccountService, SessionService), and, through its raw
// subcommand (it has no EventService one), event subscriptions and Memory.

const run = promisify(execFile);
const hasRedfishtool = requireTool('redfishtool');
const credentials = { username: 'admin', password: 'redfishtool-pw' };
let fleet: Fleet;
let sim: RedfishSim;
let receiver: EventReceiver;

/** One redfishtool run; stdout parsed as the JSON it prints. */
async function redfishtool(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await rt(args);
  return JSON.parse(stdout) as Record<string, unknown>;
}

function rt(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const rhost = new URL(sim.url).host;
  return run(
    'redfishtool',
    ['-r', rhost, '-S', 'Never', '-u', credentials.username, '-p', credentials.password, ...args],
    { timeout: 60_000, maxBuffer: 1 << 20 },
  );
}

function ids(collection: Record<string, unknown>): string[] {
  return (collection.Members as Array<{ Id?: string; '@odata.id': string }>).map((m) => m.Id ?? m['@odata.id']);
}

describe.skipIf(!hasRedfishtool)('redfishtool against the Redfish sim', () => {
  beforeAll(async () => {
    fleet = createFleet({ count: 2, seed: 17 });
    sim = await startRedfishSim({ fleet, credentials });
    receiver = await startEventReceiver();
  });

  afterAll(async () => {
    await sim?.close();
    await receiver?.close();
  });

  it('finds every service the root links, and lists systems, chassis and managers', async () => {
    const root = await redfishtool('root');
    for (const service of ['Systems', 'Chassis', 'Managers', 'AccountService', 'SessionService', 'EventService']) {
      expect(root[service], service).toEqual({ '@odata.id': `/redfish/v1/${service}` });
    }
    expect(ids(await redfishtool('Systems', 'list'))).toEqual(['sim-0', 'sim-1']);
    expect(ids(await redfishtool('Chassis', 'list'))).toEqual(['sim-0', 'sim-1']);
    expect(ids(await redfishtool('Managers', 'list'))).toEqual(['sim-0', 'sim-1']);
    const chassis = await redfishtool('Chassis', '-I', 'sim-1');
    expect(chassis.Links).toMatchObject({ ComputerSystems: [{ '@odata.id': '/redfish/v1/Systems/sim-1' }] });
  });

  it('reads no power while off and a load after its own reset On, with the fans turning', async () => {
    fleet.get('sim-0')!.powerAction('ForceOff');
    expect(await redfishtool('Chassis', '-I', 'sim-0', 'getPowerReading', 'consumed')).toEqual({
      PowerConsumedWatts: 0,
    });
    await rt(['Systems', '-I', 'sim-0', 'reset', 'On']);
    expect(fleet.get('sim-0')!.power).toBe('On');
    const reading = await redfishtool('Chassis', '-I', 'sim-0', 'getPowerReading', 'consumed');
    expect(reading.PowerConsumedWatts as number).toBeGreaterThan(150);
    const thermal = await redfishtool('Chassis', '-I', 'sim-0', 'Thermal');
    const fans = thermal.Fans as Array<{ Reading: number }>;
    expect(fans.length).toBeGreaterThan(0);
    expect(fans.every((f) => f.Reading > 0)).toBe(true);
    const power = await redfishtool('Chassis', '-I', 'sim-0', 'Power');
    expect((power.PowerSupplies as unknown[]).length).toBe(2);
  });

  it('shows the account and roles, and is refused a password the account service does not allow', async () => {
    const accounts = await redfishtool('AccountService', 'Accounts', 'list');
    expect(accounts.Members).toEqual([
      { Id: '1', '@odata.id': '/redfish/v1/AccountService/Accounts/1', UserName: 'admin' },
    ]);
    expect(ids(await redfishtool('AccountService', 'Roles', 'list'))).toEqual([
      'Administrator',
      'Operator',
      'ReadOnly',
    ]);
    // MinPasswordLength is 8: a shorter one is refused (a valid one would rotate the password, see credential-rotation).
    const refused = await rt(['AccountService', 'setpassword', 'admin', 'short']).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect('code' in refused && refused.code).not.toBe(0);
    expect(refused.stderr).toContain('400');
  });

  it('logs in with a session and reads the system through it', async () => {
    const service = await redfishtool('SessionService');
    expect(service.ServiceEnabled).toBe(true);
    expect(await redfishtool('-A', 'Session', 'Systems', '-I', 'sim-0', '-P', 'PowerState')).toEqual({
      PowerState: 'On',
    });
  });

  it('reads DIMMs that sum to the system memory', async () => {
    const memory = await redfishtool('raw', 'GET', '/redfish/v1/Systems/sim-1/Memory');
    let totalMiB = 0;
    for (const uri of ids(memory)) totalMiB += (await redfishtool('raw', 'GET', uri)).CapacityMiB as number;
    expect(totalMiB).toBe(fleet.get('sim-1')!.memoryMiB);
  });

  it('subscribes to events, gets a power change posted to the listener, and unsubscribes', async () => {
    const created = await redfishtool(
      'raw',
      'POST',
      '/redfish/v1/EventService/Subscriptions',
      '-d',
      JSON.stringify({
        Destination: receiver.url,
        Context: 'redfishtool',
        Protocol: 'Redfish',
        HttpHeaders: [{ 'X-Token': 'rt-secret' }],
      }),
    );
    const uri = created['@odata.id'] as string;
    expect(created).toMatchObject({ Destination: receiver.url, Context: 'redfishtool', HttpHeaders: [] });
    expect(ids(await redfishtool('raw', 'GET', '/redfish/v1/EventService/Subscriptions'))).toEqual([uri]);

    await rt(['Systems', '-I', 'sim-1', 'reset', 'PushPowerButton']);
    const [event] = await receiver.waitFor(1);
    expect(event!.headers['x-token']).toBe('rt-secret');
    expect(event!.body.Context).toBe('redfishtool');
    expect(event!.body.Events[0]!.OriginOfCondition).toEqual({ '@odata.id': '/redfish/v1/Systems/sim-1' });

    await rt(['raw', 'DELETE', uri]);
    expect(ids(await redfishtool('raw', 'GET', '/redfish/v1/EventService/Subscriptions'))).toEqual([]);
  });
});
