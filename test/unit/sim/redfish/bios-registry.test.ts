import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFleet, Fleet, hostSpec, SIM_BIOS_REGISTRY, SimHost } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { members, redfish } from './sim-client.js';

let sim: RedfishSim;

interface RegistryAttribute {
  AttributeName: string;
  Type: string;
  ReadOnly: boolean;
  ResetRequired: boolean;
  Value?: Array<{ ValueName: string }>;
  LowerBound?: number;
  UpperBound?: number;
  MinLength?: number;
  MaxLength?: number;
}

beforeAll(async () => {
  const bare = hostSpec(2, 'sim-', 7, 1);
  delete bare.biosRegistry;
  const other = hostSpec(3, 'sim-', 7, 1);
  other.biosRegistry = SIM_BIOS_REGISTRY.map((d) => (d.name === 'PxeRetryCount' ? { ...d, upperBound: 5 } : d));
  const fleet = new Fleet([
    new SimHost(hostSpec(0, 'sim-', 7, 1)),
    new SimHost(hostSpec(1, 'sim-', 7, 1)),
    new SimHost(bare),
    new SimHost(other),
  ]);
  sim = await startRedfishSim({ fleet });
});

afterAll(async () => {
  await sim.close();
});

/** The registry a system's Bios resource names, followed as sushy does: collection, file, Location. */
async function registryOf(system: string, on: RedfishSim = sim): Promise<Record<string, unknown> | null> {
  const bios = await redfish(on, 'GET', `/redfish/v1/Systems/${system}/Bios`);
  const name = bios.json.AttributeRegistry as string | undefined;
  if (name === undefined) return null;
  const root = await redfish(on, 'GET', '/redfish/v1/');
  const collection = await redfish(on, 'GET', (root.json.Registries as { '@odata.id': string })['@odata.id']);
  for (const uri of members(collection)) {
    const file = await redfish(on, 'GET', uri);
    if (file.json.Id !== name) continue;
    const location = (file.json.Location as Array<{ Language: string; Uri: string }>)[0]!;
    expect(location.Language).toBe('en');
    return (await redfish(on, 'GET', location.Uri)).json;
  }
  throw new Error(`no registry file named ${name}`);
}

function attributes(registry: Record<string, unknown>): Map<string, RegistryAttribute> {
  const list = (registry.RegistryEntries as { Attributes: RegistryAttribute[] }).Attributes;
  return new Map(list.map((a) => [a.AttributeName, a]));
}

describe('Redfish sim BIOS attribute registry', () => {
  it('describes every attribute of the BIOS, found from the Bios resource through the Registries collection', async () => {
    const registry = (await registryOf('sim-0'))!;
    expect(registry['@odata.type']).toMatch(/^#AttributeRegistry\.v1_\d+_\d+\.AttributeRegistry$/);
    expect(registry).toMatchObject({ Language: 'en', OwningEntity: 'Anvil', RegistryVersion: '1.0.0' });
    const bios = (await redfish(sim, 'GET', '/redfish/v1/Systems/sim-0/Bios')).json.Attributes as object;
    const described = attributes(registry);
    expect([...described.keys()].sort()).toEqual(Object.keys(bios).sort());
    expect(described.get('ProcTurboMode')).toMatchObject({
      Type: 'Enumeration',
      ReadOnly: false,
      ResetRequired: true,
      Value: [{ ValueName: 'Enabled' }, { ValueName: 'Disabled' }],
    });
    expect(described.get('PxeRetryCount')).toMatchObject({ Type: 'Integer', LowerBound: 0, UpperBound: 10 });
    expect(described.get('AssetTag')).toMatchObject({ Type: 'String', MinLength: 0, MaxLength: 16 });
    expect(described.get('SerialConsoleEnabled')).toMatchObject({ Type: 'Boolean' });
    expect(described.get('ProcCoreCount')).toMatchObject({ Type: 'Integer', ReadOnly: true });
  });

  it('lists each distinct registry once: hosts alike share one, a host describing otherwise has its own', async () => {
    const collection = await redfish(sim, 'GET', '/redfish/v1/Registries');
    expect(collection.status).toBe(200);
    expect(members(collection)).toHaveLength(2);
    const names = await Promise.all(
      ['sim-0', 'sim-1', 'sim-3'].map(
        async (s) => (await redfish(sim, 'GET', `/redfish/v1/Systems/${s}/Bios`)).json.AttributeRegistry,
      ),
    );
    expect(names[0]).toBe('AnvilSimBiosAttributeRegistry.v1_0_0');
    expect(names[1]).toBe(names[0]);
    expect(names[2]).not.toBe(names[0]);
    expect(attributes((await registryOf('sim-3'))!).get('PxeRetryCount')?.UpperBound).toBe(5);
    const file = await redfish(sim, 'GET', members(collection)[0]!);
    expect(file.json).toMatchObject({
      '@odata.type': '#MessageRegistryFile.v1_1_3.MessageRegistryFile',
      Registry: 'AnvilSimBiosAttributeRegistry.1.0',
      Languages: ['en'],
    });
  });

  it('names no registry for a host that publishes none', async () => {
    expect(await registryOf('sim-2')).toBeNull();
    expect((await redfish(sim, 'GET', '/redfish/v1/Registries/NoSuchRegistry.v1_0_0')).status).toBe(404);
    expect((await redfish(sim, 'GET', '/redfish/v1/Registries/NoSuchRegistry.v1_0_0/AttributeRegistry')).status).toBe(
      404,
    );
  });
});

describe('Redfish sim BIOS attribute registry in a large fleet', () => {
  it("answers a client's registry look-ups without reading every host's registry on each request", async () => {
    // A client verifying a host reads its Bios, the collection, the file and
    // the registry; a scan of the fleet per read made verifying N hosts O(N²).
    const large = await startRedfishSim({ fleet: createFleet({ count: 2000, seed: 7 }) });
    const reads = vi.spyOn(SimHost.prototype, 'biosRegistry', 'get');
    try {
      for (const system of ['sim-0', 'sim-1999']) {
        const registry = attributes((await registryOf(system, large))!);
        expect(registry.get('PxeRetryCount')).toMatchObject({ LowerBound: 0, UpperBound: 10 });
      }
      expect(members(await redfish(large, 'GET', '/redfish/v1/Registries'))).toHaveLength(1);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      await large.close();
    }
  });
});

describe('Redfish sim BIOS settings against the registry', () => {
  const settings = (system: string) => `/redfish/v1/Systems/${system}/Bios/Settings`;
  const refusal = (answer: { json: Record<string, unknown> }) =>
    (answer.json.error as { '@Message.ExtendedInfo': Array<{ MessageId: string; RelatedProperties?: string[] }> })[
      '@Message.ExtendedInfo'
    ][0]!;

  it.each([
    ['a read-only attribute', { ProcCoreCount: 4 }, 'PropertyNotWritable', 'ProcCoreCount'],
    ['a value not in the enumeration', { ProcTurboMode: 'Sometimes' }, 'PropertyValueNotInList', 'ProcTurboMode'],
    ['an integer above its upper bound', { PxeRetryCount: 11 }, 'PropertyValueOutOfRange', 'PxeRetryCount'],
    ['a string longer than its maximum', { AssetTag: 'x'.repeat(17) }, 'PropertyValueOutOfRange', 'AssetTag'],
    ['a value of the wrong type', { SerialConsoleEnabled: 'yes' }, 'PropertyValueTypeError', 'SerialConsoleEnabled'],
  ])('refuses %s with 400 and stages nothing', async (_what, change, messageId, property) => {
    const answer = await redfish(sim, 'PATCH', settings('sim-1'), { Attributes: { NumLock: 'Off', ...change } });
    expect(answer.status).toBe(400);
    expect(refusal(answer).MessageId).toBe(`Base.1.16.${messageId}`);
    expect(refusal(answer).RelatedProperties).toEqual([`#/Attributes/${property}`]);
    expect((await redfish(sim, 'GET', settings('sim-1'))).json.Attributes).toEqual({});
  });

  it('stages values the registry allows, at its bounds', async () => {
    const change = { ProcTurboMode: 'Disabled', PxeRetryCount: 10, AssetTag: 'x'.repeat(16) };
    const answer = await redfish(sim, 'PATCH', settings('sim-0'), { Attributes: change });
    expect(answer.status).toBe(200);
    expect(answer.json.Attributes).toEqual(change);
  });

  it('checks only names and types on a host without a registry', async () => {
    const answer = await redfish(sim, 'PATCH', settings('sim-2'), {
      Attributes: { PxeRetryCount: 99, ProcCoreCount: 4 },
    });
    expect(answer.status).toBe(200);
    const host = await redfish(sim, 'PATCH', settings('sim-2'), { Attributes: { PxeRetryCount: 'many' } });
    expect(refusal(host).MessageId).toBe('Base.1.16.PropertyValueTypeError');
  });
});
