// The sim's hardware health: set on a host through the control API, as a
// failing part would change it, and reported on its Redfish System as
// Status.Health and Status.HealthRollup.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet, type SimHost } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { redfish } from './sim-client.js';

let fleet: Fleet;
let sim: RedfishSim;

beforeAll(async () => {
  fleet = createFleet({ count: 2, seed: 23 });
  sim = await startRedfishSim({ fleet, credentials: { username: 'admin', password: 'password' } });
});

afterEach(() => {
  for (const host of fleet.hosts) {
    host.setHealth('OK');
    host.powerAction('ForceOff');
  }
});

afterAll(async () => {
  await sim.close();
});

function host(index: number): SimHost {
  const found = fleet.hosts[index];
  if (found === undefined) throw new Error(`no host ${index}`);
  return found;
}

async function setHealth(name: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${sim.url}/sim/v1/hosts/${name}/health`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function status(h: SimHost): Promise<unknown> {
  const system = await redfish(sim, 'GET', `/redfish/v1/Systems/${h.name}`);
  expect(system.status).toBe(200);
  return system.json.Status;
}

describe('Redfish sim hardware health', () => {
  it('reports OK until the control API sets another verdict, on that host only', async () => {
    expect(await status(host(0))).toEqual({ State: 'Enabled', Health: 'OK', HealthRollup: 'OK' });
    const set = await setHealth(host(0).name, { health: 'Critical' });
    expect(set).toEqual({ status: 200, json: { health: 'Critical' } });
    expect(await status(host(0))).toEqual({ State: 'Enabled', Health: 'Critical', HealthRollup: 'Critical' });
    expect(await status(host(1))).toEqual({ State: 'Enabled', Health: 'OK', HealthRollup: 'OK' });
    await setHealth(host(0).name, { health: 'Warning' });
    expect(await status(host(0))).toMatchObject({ Health: 'Warning', HealthRollup: 'Warning' });
  });

  it('shows the verdict on the host console', async () => {
    await setHealth(host(1).name, { health: 'Warning' });
    const console = await fetch(`${sim.url}/sim/v1/hosts/${host(1).name}`);
    expect(((await console.json()) as { health: string }).health).toBe('Warning');
  });

  it('refuses a verdict Redfish does not define, and leaves the host as it was', async () => {
    for (const body of [{ health: 'Degraded' }, { health: null }, {}, ['Critical']]) {
      const refused = await setHealth(host(0).name, body);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.json)).toContain('is not one of OK, Warning, Critical');
    }
    expect(host(0).health).toBe('OK');
  });

  it('answers 404 for a host it does not have', async () => {
    expect((await setHealth('no-such-host', { health: 'OK' })).status).toBe(404);
  });

  it('is Critical while the machine runs after a failed boot, whatever the hardware verdict', async () => {
    host(0).setHealth('Warning');
    host(0).powerAction('On', { bootFails: true });
    expect(await status(host(0))).toMatchObject({ Health: 'Critical', HealthRollup: 'Critical' });
    host(0).powerAction('ForceOff');
    expect(await status(host(0))).toMatchObject({ Health: 'Warning', HealthRollup: 'Warning' });
  });
});
