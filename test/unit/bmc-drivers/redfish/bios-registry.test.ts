import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkBiosSettings,
  connectRedfish,
  getBiosAttributes,
  getBiosRegistry,
  getPendingBiosAttributes,
  InvalidBiosSettings,
  setBiosAttributes,
  type RedfishSystem,
} from '../../../../bmc-drivers/redfish/index.js';
import type { BiosRegistry } from '../../../../bmc-drivers/index.js';
import { Fleet, hostSpec, SimHost } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';

const credentials = { username: 'admin', password: 'registry-pw' };
let sim: RedfishSim;
const opened: RedfishSystem[] = [];

async function connect(name: string): Promise<RedfishSystem> {
  const system = await connectRedfish(`redfish+${sim.url}/redfish/v1/Systems/${name}`, credentials, {
    timeoutMs: 5000,
  });
  opened.push(system);
  return system;
}

beforeAll(async () => {
  const bare = hostSpec(1, 'sim-', 3, 1);
  delete bare.biosRegistry;
  sim = await startRedfishSim({
    fleet: new Fleet([
      new SimHost(hostSpec(0, 'sim-', 3, 1)),
      new SimHost(bare),
      new SimHost(hostSpec(2, 'sim-', 3, 1)),
    ]),
    credentials,
  });
});

afterAll(async () => {
  for (const system of opened) await system.client.close();
  await sim.close();
});

describe('Redfish BIOS registry against the sim', () => {
  it('reads the registry the Bios resource names, an entry for every attribute, in Ironic terms', async () => {
    const system = await connect('sim-0');
    const registry = (await getBiosRegistry(system))!;
    expect(Object.keys(registry).sort()).toEqual(Object.keys(await getBiosAttributes(system)).sort());
    expect(registry.ProcTurboMode).toEqual({
      attributeType: 'Enumeration',
      allowableValues: ['Enabled', 'Disabled'],
      lowerBound: null,
      upperBound: null,
      minLength: null,
      maxLength: null,
      readOnly: false,
      resetRequired: true,
      unique: false,
    });
    expect(registry.PxeRetryCount).toMatchObject({ attributeType: 'Integer', lowerBound: 0, upperBound: 10 });
    expect(registry.AssetTag).toMatchObject({ attributeType: 'String', minLength: 0, maxLength: 16 });
    expect(registry.ProcCoreCount).toMatchObject({ attributeType: 'Integer', readOnly: true, allowableValues: null });
  });

  it('gives null for a BMC whose Bios resource names no registry', async () => {
    expect(await getBiosRegistry(await connect('sim-1'))).toBeNull();
  });

  it('stages string values as the types the registry declares', async () => {
    const system = await connect('sim-2');
    await setBiosAttributes(system, { PxeRetryCount: '7', SerialConsoleEnabled: 'False', NumLock: 'Off' });
    expect(await getPendingBiosAttributes(system)).toEqual({
      PxeRetryCount: 7,
      SerialConsoleEnabled: false,
      NumLock: 'Off',
    });
  });

  it('refuses what the registry forbids before any PATCH, naming every culprit', async () => {
    const system = await connect('sim-0');
    const attempt = setBiosAttributes(system, { ProcCoreCount: 4, ProcTurboMode: 'Sometimes', NumLock: 'Off' });
    await expect(attempt).rejects.toThrow(InvalidBiosSettings);
    await expect(attempt).rejects.toThrow(/ProcCoreCount \(read-only\), ProcTurboMode \(one of Enabled, Disabled\)/);
    expect(await getPendingBiosAttributes(system)).toEqual({});
  });

  it('passes values unchecked to a BMC without a registry, which judges them itself', async () => {
    const system = await connect('sim-1');
    await setBiosAttributes(system, { PxeRetryCount: 42 });
    expect(await getPendingBiosAttributes(system)).toEqual({ PxeRetryCount: 42 });
  });
});

describe('checkBiosSettings', () => {
  const entry = {
    attributeType: null,
    allowableValues: null,
    lowerBound: null,
    upperBound: null,
    minLength: null,
    maxLength: null,
    readOnly: false,
    resetRequired: true,
    unique: false,
  };
  const registry: BiosRegistry = {
    Mode: { ...entry, attributeType: 'Enumeration', allowableValues: ['A', 'B'] },
    Count: { ...entry, attributeType: 'Integer', lowerBound: 1, upperBound: 3 },
    Flag: { ...entry, attributeType: 'Boolean' },
    Tag: { ...entry, attributeType: 'String', minLength: 2, maxLength: 4 },
    Fixed: { ...entry, attributeType: 'String', readOnly: true },
  };

  it('types and keeps allowed values, and passes settings the registry does not describe', () => {
    expect(checkBiosSettings({ Mode: 'B', Count: '3', Flag: 'true', Tag: 'ab', Other: 'x' }, registry)).toEqual({
      Mode: 'B',
      Count: 3,
      Flag: true,
      Tag: 'ab',
      Other: 'x',
    });
  });

  it.each([
    [{ Mode: 'C' }, 'Mode (one of A, B)'],
    [{ Count: '0' }, 'Count (from 1 to 3)'],
    [{ Count: '2.5' }, 'Count (an integer)'],
    [{ Flag: 'yes' }, 'Flag (true or false)'],
    [{ Tag: 'abcde' }, 'Tag (2 to 4 characters)'],
    [{ Fixed: 'x' }, 'Fixed (read-only)'],
  ])('refuses %o', (settings, reason) => {
    expect(() => checkBiosSettings(settings, registry)).toThrow(`invalid value for setting(s): ${reason}`);
  });
});
