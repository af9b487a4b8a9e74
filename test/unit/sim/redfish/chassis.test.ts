import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { members, redfish } from './sim-client.js';

let fleet: Fleet;
let sim: RedfishSim;

beforeAll(async () => {
  fleet = createFleet({ count: 2, seed: 3 });
  sim = await startRedfishSim({ fleet });
});

afterAll(async () => {
  await sim.close();
});

interface PowerResource {
  PowerControl: Array<{ PowerConsumedWatts: number; PowerCapacityWatts: number }>;
  PowerSupplies: Array<{ PowerInputWatts: number; LineInputVoltage: number }>;
}
interface ThermalResource {
  Temperatures: Array<{ Name: string; ReadingCelsius: number; PhysicalContext: string }>;
  Fans: Array<{ Reading: number; ReadingUnits: string }>;
}

describe('Redfish sim chassis', () => {
  it('links the service root to one chassis per system, and each chassis and system to the other', async () => {
    const root = await redfish(sim, 'GET', '/redfish/v1/');
    expect(root.json.Chassis).toEqual({ '@odata.id': '/redfish/v1/Chassis' });
    const list = await redfish(sim, 'GET', '/redfish/v1/Chassis');
    expect(members(list)).toEqual(['/redfish/v1/Chassis/sim-0', '/redfish/v1/Chassis/sim-1']);
    const chassis = await redfish(sim, 'GET', '/redfish/v1/Chassis/sim-1');
    expect(chassis.json.Links).toEqual({
      ComputerSystems: [{ '@odata.id': '/redfish/v1/Systems/sim-1' }],
      ManagedBy: [{ '@odata.id': '/redfish/v1/Managers/sim-1' }],
    });
    const system = await redfish(sim, 'GET', '/redfish/v1/Systems/sim-1');
    expect((system.json.Links as Record<string, unknown>).Chassis).toEqual([
      { '@odata.id': '/redfish/v1/Chassis/sim-1' },
    ]);
    expect((await redfish(sim, 'GET', '/redfish/v1/Chassis/nope')).status).toBe(404);
  });

  it('reads no watts, still fans and room temperature while off, and a running load once on', async () => {
    const host = fleet.get('sim-0')!;
    host.powerAction('ForceOff');
    const offPower = (await redfish(sim, 'GET', '/redfish/v1/Chassis/sim-0/Power')).json as unknown as PowerResource;
    const offThermal = (await redfish(sim, 'GET', '/redfish/v1/Chassis/sim-0/Thermal'))
      .json as unknown as ThermalResource;
    expect(offPower.PowerControl[0]!.PowerConsumedWatts).toBe(0);
    expect(offPower.PowerSupplies.map((p) => p.PowerInputWatts)).toEqual([0, 0]);
    expect(offPower.PowerSupplies[0]!.LineInputVoltage).toBe(230);
    expect(offThermal.Fans.every((f) => f.Reading === 0 && f.ReadingUnits === 'RPM')).toBe(true);
    const offCpu = offThermal.Temperatures.filter((t) => t.PhysicalContext === 'CPU');
    expect(offCpu).toHaveLength(host.cpu.count);

    host.powerAction('On');
    const onPower = (await redfish(sim, 'GET', '/redfish/v1/Chassis/sim-0/Power')).json as unknown as PowerResource;
    const onThermal = (await redfish(sim, 'GET', '/redfish/v1/Chassis/sim-0/Thermal'))
      .json as unknown as ThermalResource;
    const watts = onPower.PowerControl[0]!.PowerConsumedWatts;
    expect(watts).toBeGreaterThan(150);
    expect(watts).toBeLessThan(onPower.PowerControl[0]!.PowerCapacityWatts);
    expect(onThermal.Fans.every((f) => f.Reading > 5000)).toBe(true);
    const onCpu = onThermal.Temperatures.filter((t) => t.PhysicalContext === 'CPU');
    for (const [i, t] of onCpu.entries()) expect(t.ReadingCelsius).toBeGreaterThan(offCpu[i]!.ReadingCelsius);
  });
});
