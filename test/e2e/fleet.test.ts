// A fleet through the REST API at once: 100 simulated hosts, half driven
// over Redfish and half over IPMI, each taken enroll → manage → provide →
// deploy (to wait call-back) → deleted → available by a client that keeps
// 20 nodes in flight, on one SQLite conductor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { drive, enrollWithPorts, inParallel, setFleetFaults, simHost } from './sim-nodes.js';

const HOSTS = 100;
const CLIENT_CONCURRENCY = 20;
/** Per step, per node: a bound on a hang, not a measure of speed (bench/ measures that). */
const STEP_MS = 60_000;

let sim: SimFleet;
let svc: TestService;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: HOSTS, seed: 12 }), redfishPort: 0, ipmiBasePort: 0 });
  // Every command takes a few milliseconds, as on a real BMC, so that two
  // commands sent to one BMC at once would overlap and be counted.
  await setFleetFaults(sim, { latencyMs: 5, latencyJitterMs: 10 });
  svc = await startTestService('sqlite', { ANVIL_LOG_LEVEL: 'warn' });
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
});

describe('a fleet of 100 Redfish and IPMI hosts', () => {
  it('goes manage → provide → deploy → deleted → available in parallel, every node available, no BMC ever sent two commands at once', async () => {
    const uuids = await inParallel(sim.manifest.hosts, CLIENT_CONCURRENCY, async (host, i) => {
      const uuid = await enrollWithPorts(svc, host, i % 2 === 0 ? 'redfish' : 'ipmi');
      await drive(svc, uuid, { target: 'manage' }, 'manageable', STEP_MS);
      await drive(svc, uuid, { target: 'provide' }, 'available', STEP_MS);
      await drive(svc, uuid, { target: 'active' }, 'wait call-back', STEP_MS);
      await drive(svc, uuid, { target: 'deleted' }, 'available', STEP_MS);
      return uuid;
    });

    const list = await svc.request(
      'GET',
      '/v1/nodes?fields=uuid,name,driver,provision_state,target_provision_state,power_state,last_error&limit=1000',
    );
    expect(list.status, list.text).toBe(200);
    const nodes = list.body.nodes as Record<string, unknown>[];
    expect(nodes.map((n) => n.uuid).sort()).toEqual([...uuids].sort());
    expect(nodes.filter((n) => n.driver === 'redfish')).toHaveLength(HOSTS / 2);
    for (const node of nodes) {
      expect(node, String(node.name)).toMatchObject({
        provision_state: 'available',
        target_provision_state: null,
        power_state: 'power off',
        last_error: null,
      });
    }

    for (const host of sim.manifest.hosts) {
      const machine = await simHost(sim, host.name);
      expect(machine.maxInFlight, host.name).toBeLessThanOrEqual(1);
      expect(machine.inFlight, host.name).toBe(0);
      // Deployed over PXE once, then switched off by the teardown.
      expect(machine.bootCount, host.name).toBe(1);
      expect(machine.lastBoot, host.name).toMatchObject({ device: 'pxe', outcome: 'booted' });
      expect(machine.power, host.name).toBe('Off');
    }
  });
});
