import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BmcDriverRegistry, type BmcDriver } from '../../../../bmc-drivers/index.js';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

// The hardware health (Ironic's get_node_health) read with the power state:
// the System's Status.Health, against the Redfish sim and against BMCs that
// report it oddly or not at all.

const credentials = { username: 'admin', password: 's3cret-pw' };
const policy = { timeoutMs: 2000, attempts: 1, baseDelayMs: 5, maxDelayMs: 20 };
let fleet: Fleet;
let sim: RedfishSim;
const registry = new BmcDriverRegistry({ policy });
const servers: http.Server[] = [];
const drivers: BmcDriver[] = [];

beforeAll(async () => {
  fleet = createFleet({ count: 1, seed: 7 });
  sim = await startRedfishSim({ fleet, credentials });
});

afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

afterAll(async () => {
  await sim.close();
});

function driverAt(address: string, creds = credentials): BmcDriver {
  const driver = registry.fromAddress(address, creds);
  drivers.push(driver);
  return driver;
}

async function readHealth(driver: BmcDriver) {
  if (driver.power.getPowerAndHealth === undefined) throw new Error(`${driver.name} has no health reading`);
  return (await driver.power.getPowerAndHealth()).health;
}

/** The GETs each fake BMC was sent, by its address. */
const gets = new Map<string, string[]>();

/** A BMC serving one System with the given `Status` (left out when undefined). */
async function bmcWithStatus(status: unknown): Promise<string> {
  const sent: string[] = [];
  const system: Record<string, unknown> = { '@odata.id': '/redfish/v1/Systems/1', Id: '1', PowerState: 'On' };
  if (status !== undefined) system.Status = status;
  const resources = new Map<string, object>([
    ['/redfish/v1', { '@odata.id': '/redfish/v1', Systems: { '@odata.id': '/redfish/v1/Systems' } }],
    ['/redfish/v1/Systems/1', system],
  ]);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
      if (req.method === 'POST' && path.toLowerCase().endsWith('/sessions')) {
        res.writeHead(201, { 'X-Auth-Token': 'tok', Location: '/redfish/v1/SessionService/Sessions/1' });
        res.end('{}');
        return;
      }
      if (req.method === 'GET') sent.push(path);
      const body = req.method === 'GET' ? resources.get(path) : undefined;
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(body ? JSON.stringify(body) : '');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `redfish+http://127.0.0.1:${(server.address() as AddressInfo).port}/redfish/v1/Systems/1`;
  gets.set(address, sent);
  return address;
}

describe('Redfish hardware health', () => {
  it('reads the health the sim machine reports, as it changes', async () => {
    const host = fleet.hosts[0]!;
    const driver = driverAt(`redfish+${sim.url}/redfish/v1/Systems/${host.name}`);
    expect(await readHealth(driver)).toBe('OK');
    host.setHealth('Critical');
    expect(await readHealth(driver)).toBe('Critical');
    host.setHealth('Warning');
    expect(await readHealth(driver)).toBe('Warning');
    host.setHealth('OK');
    expect(await readHealth(driver)).toBe('OK');
  });

  it.each([
    ['no Status', undefined],
    ['a null Status', null],
    ['a Status without Health', { State: 'Enabled' }],
    ['a null Health', { State: 'Enabled', Health: null }],
    ['a Health Redfish does not define', { State: 'Enabled', Health: 'Degraded' }],
    ['a Health named like an object property', { State: 'Enabled', Health: 'constructor' }],
    ['a Health that is not a string', { State: 'Enabled', Health: 5 }],
    ['a Status that is not an object', 'Enabled'],
  ])('answers null for a system with %s, whose power still reads', async (_what, status) => {
    const driver = driverAt(await bmcWithStatus(status));
    expect(await driver.power.getPowerAndHealth!()).toEqual({ power: 'power on', health: null });
  });

  it('reads both from one GET of the System', async () => {
    const address = await bmcWithStatus({ State: 'Enabled', Health: 'Warning' });
    const driver = driverAt(address);
    await driver.power.getPowerState();
    const before = gets.get(address)!.filter((p) => p === '/redfish/v1/Systems/1').length;
    expect(await driver.power.getPowerAndHealth!()).toEqual({ power: 'power on', health: 'Warning' });
    expect(gets.get(address)!.filter((p) => p === '/redfish/v1/Systems/1').length).toBe(before + 1);
  });

  it("reads Health, not HealthRollup, as Ironic does: the system's own verdict", async () => {
    const driver = driverAt(await bmcWithStatus({ State: 'Enabled', Health: 'OK', HealthRollup: 'Critical' }));
    expect(await readHealth(driver)).toBe('OK');
  });

  it('offers no health reading over IPMI, so callers skip it without a BMC call', () => {
    const driver = driverAt('ipmi://127.0.0.1:9', { username: 'admin', password: 'pw' });
    expect(driver.name).toBe('ipmi');
    expect(driver.power).not.toHaveProperty('getPowerAndHealth');
  });
});
