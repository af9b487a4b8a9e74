import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRedfish,
  getPowerState,
  RedfishAuthError,
  RedfishClient,
  RedfishHttpError,
  RedfishTimeoutError,
  type RedfishSystem,
} from '../../../../bmc-drivers/redfish/index.js';
import { seededRandom } from '../../../../sim/faults/index.js';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

const credentials = { username: 'admin', password: 'password' };
let fleet: Fleet;
let sim: RedfishSim;
let system: RedfishSystem;

async function putFaults(path: string, body: unknown): Promise<Response> {
  return fetch(`${sim.url}/sim/v1/${path}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  fleet = createFleet({ count: 2 });
  sim = await startRedfishSim({ fleet, credentials, random: seededRandom(42) });
  system = await connectRedfish(`redfish+${sim.url}/redfish/v1/Systems/sim-0`, credentials, { timeoutMs: 400 });
});

afterEach(async () => {
  await putFaults('hosts/sim-0/faults', {});
  await putFaults('faults', {});
});

afterAll(async () => {
  await system.client.close();
  await sim.close();
});

describe('Redfish client under injected faults', () => {
  it('waits out latency and still answers', async () => {
    expect((await putFaults('hosts/sim-0/faults', { latencyMs: 120 })).status).toBe(200);
    const started = Date.now();
    expect(await getPowerState(system)).toBe('power off');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('reports injected 503s as RedfishHttpError with the status', async () => {
    await putFaults('hosts/sim-0/faults', { errorRate: 1, errorStatus: 503 });
    const err = await getPowerState(system).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedfishHttpError);
    expect(err).toMatchObject({ status: 503 });
  });

  it('answers a fraction of requests with 500 at errorRate 0.5', async () => {
    await putFaults('hosts/sim-0/faults', { errorRate: 0.5, errorStatus: 500 });
    const outcomes = [];
    for (let i = 0; i < 20; i++)
      outcomes.push(
        await getPowerState(system).then(
          () => 'ok',
          (e: unknown) => (e instanceof RedfishHttpError ? e.status : 'other'),
        ),
      );
    expect(outcomes).toContain('ok');
    expect(outcomes).toContain(500);
    expect(outcomes).not.toContain('other');
  });

  it('times out on a hung BMC with RedfishTimeoutError', async () => {
    await putFaults('hosts/sim-0/faults', { hang: true });
    const err = await getPowerState(system).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedfishTimeoutError);
    expect((err as RedfishTimeoutError).timeoutMs).toBe(400);
    // Faults are per host: its neighbour still answers.
    const other = await connectRedfish(`redfish+${sim.url}/redfish/v1/Systems/sim-1`, credentials, { timeoutMs: 400 });
    expect(await getPowerState(other)).toBe('power off');
    await other.client.close();
  });

  it('reports refused auth as RedfishAuthError after one re-login', async () => {
    await putFaults('faults', { refuseAuth: true });
    const err = await getPowerState(system).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedfishAuthError);
  });

  it('lets power drift by itself when told to', async () => {
    await putFaults('hosts/sim-1/faults', { powerDriftRate: 1 });
    const before = fleet.get('sim-1')?.power;
    // Exactly one request to the host: one flip.
    const client = new RedfishClient({ baseUrl: sim.url, credentials });
    const seen = await client.get('/redfish/v1/Systems/sim-1');
    await client.close();
    expect(seen.body).toMatchObject({ PowerState: before === 'On' ? 'Off' : 'On' });
    await putFaults('hosts/sim-1/faults', {});
    expect(fleet.get('sim-1')?.power).not.toBe(before);
  });

  it('refuses malformed fault specifications with a Redfish error', async () => {
    const res = await putFaults('faults', { errorRate: 2 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'Base.1.16.PropertyValueTypeError' } });
  });
});
