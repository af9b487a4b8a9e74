import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { members, redfish } from './sim-client.js';

let fleet: Fleet;
let sim: RedfishSim;

beforeAll(async () => {
  fleet = createFleet({ count: 8, seed: 11 });
  sim = await startRedfishSim({ fleet });
});

afterAll(async () => {
  await sim.close();
});

describe('Redfish sim memory', () => {
  it('lists DIMMs under each system that sum to the memory the system reports', async () => {
    const sizes = new Set<number>();
    for (const host of fleet.hosts) {
      const system = await redfish(sim, 'GET', `/redfish/v1/Systems/${host.name}`);
      expect(system.json.Memory).toEqual({ '@odata.id': `/redfish/v1/Systems/${host.name}/Memory` });
      const list = await redfish(sim, 'GET', `/redfish/v1/Systems/${host.name}/Memory`);
      let totalMiB = 0;
      const sockets = new Set<number>();
      for (const uri of members(list)) {
        const dimm = await redfish(sim, 'GET', uri);
        expect(dimm.status).toBe(200);
        totalMiB += dimm.json.CapacityMiB as number;
        sockets.add((dimm.json.MemoryLocation as { Socket: number }).Socket);
      }
      const summary = system.json.MemorySummary as { TotalSystemMemoryGiB: number };
      expect(totalMiB).toBe(host.memoryMiB);
      expect(totalMiB / 1024).toBe(summary.TotalSystemMemoryGiB);
      expect(sockets.size).toBe(host.cpu.count);
      sizes.add(host.memoryMiB);
    }
    // The fleet's seed gives machines of different sizes, so more than one layout is proved.
    expect(sizes.size).toBeGreaterThan(1);
  });

  it('answers 404 for a DIMM that does not exist', async () => {
    expect((await redfish(sim, 'GET', '/redfish/v1/Systems/sim-0/Memory/DIMM999')).status).toBe(404);
  });
});
