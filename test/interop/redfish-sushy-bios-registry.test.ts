import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, hostSpec, SimHost } from '../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../sim/redfish/index.js';
import { requirePythonModule } from './tools.js';

// python3-sushy finding a system's BIOS attribute registry from its Bios
// resource through the Registries collection, as Ironic's cache_bios_settings
// does; a system that names none gives none.

const run = promisify(execFile);
const hasSushy = requirePythonModule('sushy');
const script = fileURLToPath(new URL('./sushy/drive_sim_bios_registry.py', import.meta.url));
const credentials = { username: 'admin', password: 'interop-pw' };
let sim: RedfishSim;

type Seen = Record<string, Record<string, Record<string, unknown>> | null>;

describe.skipIf(!hasSushy)('python3-sushy reads the Redfish sim BIOS attribute registry', () => {
  beforeAll(async () => {
    const bare = hostSpec(1, 'reg-', 4, 1);
    delete bare.biosRegistry;
    sim = await startRedfishSim({
      fleet: new Fleet([new SimHost(hostSpec(0, 'reg-', 4, 1)), new SimHost(bare)]),
      credentials,
    });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('finds the registry the Bios resource names, and none where it names none', async () => {
    const config = { base_url: sim.url, ...credentials, systems: ['reg-0', 'reg-1'] };
    const { stdout } = await run('/usr/bin/python3', [script, JSON.stringify(config)], {
      timeout: 120_000,
      maxBuffer: 1 << 20,
    });
    const seen = JSON.parse(stdout) as Seen;
    expect(seen['reg-1']).toBeNull();
    const registry = seen['reg-0']!;
    expect(Object.keys(registry).sort()).toEqual(Object.keys(sim.fleet.get('reg-0')!.bios).sort());
    expect(registry.ProcTurboMode).toMatchObject({
      type: 'Enumeration',
      allowable_values: ['Enabled', 'Disabled'],
      read_only: false,
      reset_required: true,
    });
    expect(registry.ProcCoreCount).toMatchObject({ type: 'Integer', read_only: true });
    expect(registry.PxeRetryCount).toMatchObject({ lower_bound: 0, upper_bound: 10 });
    expect(registry.AssetTag).toMatchObject({ type: 'String', max_length: 16 });
  });
});
