import { Router } from 'express';
import type { SimHost } from '../../host/index.js';
import {
  chassisUri,
  collection,
  hostOr404,
  link,
  managerUri,
  ROOT,
  sendResource,
  systemUri,
  type SimContext,
} from '../context.js';

// One chassis per simulated machine, with the power and thermal readings its
// BMC's sensors would give. They are the Power and Thermal resources (not the
// newer PowerSubsystem/ThermalSubsystem), which redfishtool and sushy read.

const PSU_COUNT = 2;
const PSU_CAPACITY_WATTS = 1100;
const INLET_CELSIUS = 22;
const FAN_COUNT = 4;

/**
 * What the machine draws while running: a base load, the CPUs, DIMMs and
 * disks, with a few percent of jitter as real readings have. Off is 0.
 */
function consumedWatts(ctx: SimContext, host: SimHost): number {
  if (host.power === 'Off') return 0;
  const nominal = 90 + host.cpu.count * 65 + (host.memoryMiB / 1024) * 0.4 + host.disks.length * 7;
  return Math.round(nominal * (0.97 + ctx.random() * 0.06));
}

function chassisBody(host: SimHost): object {
  const uri = chassisUri(host);
  return {
    '@odata.type': '#Chassis.v1_23_0.Chassis',
    '@odata.id': uri,
    Id: host.name,
    Name: `Chassis of ${host.name}`,
    ChassisType: 'RackMount',
    Manufacturer: host.vendor,
    Model: host.model,
    SerialNumber: host.serial,
    PowerState: host.power,
    Status: { State: 'Enabled', Health: 'OK' },
    Power: link(`${uri}/Power`),
    Thermal: link(`${uri}/Thermal`),
    Links: {
      ComputerSystems: [link(systemUri(host))],
      ManagedBy: [link(managerUri(host))],
    },
  };
}

function powerBody(ctx: SimContext, host: SimHost): object {
  const uri = `${chassisUri(host)}/Power`;
  const watts = consumedWatts(ctx, host);
  const on = host.power === 'On';
  return {
    '@odata.type': '#Power.v1_7_1.Power',
    '@odata.id': uri,
    Id: 'Power',
    Name: 'Power',
    PowerControl: [
      {
        '@odata.id': `${uri}#/PowerControl/0`,
        MemberId: '0',
        Name: 'System power control',
        PowerConsumedWatts: watts,
        PowerCapacityWatts: PSU_COUNT * PSU_CAPACITY_WATTS,
        PowerMetrics: on
          ? {
              IntervalInMin: 1,
              MinConsumedWatts: Math.round(watts * 0.95),
              MaxConsumedWatts: Math.round(watts * 1.05),
              AverageConsumedWatts: watts,
            }
          : { IntervalInMin: 1, MinConsumedWatts: 0, MaxConsumedWatts: 0, AverageConsumedWatts: 0 },
        RelatedItem: [link(systemUri(host)), link(chassisUri(host))],
        Status: { State: 'Enabled', Health: 'OK' },
      },
    ],
    PowerSupplies: Array.from({ length: PSU_COUNT }, (_, i) => ({
      '@odata.id': `${uri}#/PowerSupplies/${i}`,
      MemberId: String(i),
      Name: `PSU ${i + 1}`,
      PowerSupplyType: 'AC',
      LineInputVoltage: 230,
      PowerCapacityWatts: PSU_CAPACITY_WATTS,
      // The PSUs share the load; each still reads its own input.
      PowerInputWatts: on ? Math.round(watts / PSU_COUNT) : 0,
      LastPowerOutputWatts: on ? Math.round((watts / PSU_COUNT) * 0.94) : 0,
      Status: { State: 'Enabled', Health: 'OK' },
    })),
  };
}

function thermalBody(ctx: SimContext, host: SimHost): object {
  const uri = `${chassisUri(host)}/Thermal`;
  const on = host.power === 'On';
  const jitter = (spread: number): number => Math.round((ctx.random() - 0.5) * spread);
  const temperature = (index: number, name: string, celsius: number, context: string): object => ({
    '@odata.id': `${uri}#/Temperatures/${index}`,
    MemberId: String(index),
    Name: name,
    ReadingCelsius: celsius,
    UpperThresholdCritical: context === 'CPU' ? 95 : 45,
    PhysicalContext: context,
    Status: { State: 'Enabled', Health: 'OK' },
  });
  return {
    '@odata.type': '#Thermal.v1_7_1.Thermal',
    '@odata.id': uri,
    Id: 'Thermal',
    Name: 'Thermal',
    Temperatures: [
      temperature(0, 'Inlet Temp', INLET_CELSIUS + jitter(2), 'Intake'),
      // A machine that is off sits at the room's temperature.
      ...Array.from({ length: host.cpu.count }, (_, i) =>
        temperature(i + 1, `CPU${i + 1} Temp`, on ? 52 + jitter(8) : INLET_CELSIUS + 2, 'CPU'),
      ),
    ],
    Fans: Array.from({ length: FAN_COUNT }, (_, i) => ({
      '@odata.id': `${uri}#/Fans/${i}`,
      MemberId: String(i),
      Name: `Fan ${i + 1}`,
      Reading: on ? 7200 + jitter(600) : 0,
      ReadingUnits: 'RPM',
      PhysicalContext: 'SystemBoard',
      Status: { State: 'Enabled', Health: 'OK' },
    })),
  };
}

export function chassisRoutes(ctx: SimContext): Router {
  const router = Router();
  const base = `${ROOT}/Chassis`;

  router.get(base, (_req, res) => {
    sendResource(res, collection(base, 'Chassis Collection', 'ChassisCollection', ctx.fleet.hosts.map(chassisUri)));
  });
  router.get(`${base}/:id`, (req, res) => {
    sendResource(res, chassisBody(hostOr404(ctx, req.params.id, 'chassis')));
  });
  router.get(`${base}/:id/Power`, (req, res) => {
    sendResource(res, powerBody(ctx, hostOr404(ctx, req.params.id, 'chassis')));
  });
  router.get(`${base}/:id/Thermal`, (req, res) => {
    sendResource(res, thermalBody(ctx, hostOr404(ctx, req.params.id, 'chassis')));
  });

  return router;
}
