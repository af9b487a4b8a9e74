import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, hostSpec, SimHost } from '../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../sim/redfish/index.js';
import { requirePythonModule } from './tools.js';

// python3-sushy reading the sim's Storage and building and deleting a volume
// the way Ironic's redfish RAID interface does; the host model shows what
// the "controller" did.

const run = promisify(execFile);
const hasSushy = requirePythonModule('sushy');
const script = fileURLToPath(new URL('./sushy/drive_sim_storage.py', import.meta.url));
const credentials = { username: 'admin', password: 'interop-pw' };
const TB = 1_000_000_000_000;
let host: SimHost;
let sim: RedfishSim;

interface SushySaw {
  storage: string[];
  raid_types: string[];
  drives: Array<{ id: string; capacity_bytes: number; media_type: string; protocol: string }>;
  apply_times: string[];
  after_create: Array<{ id: string; name: string; raid_type: string; capacity_bytes: number }>;
  after_delete: unknown[];
}

describe.skipIf(!hasSushy)('python3-sushy against the Redfish sim Storage', () => {
  beforeAll(async () => {
    const spec = hostSpec(0, 'raid-', 5, 1);
    spec.disks = ['Disk0', 'Disk1', 'Disk2'].map((id) => ({
      id,
      model: 'SimDisk SAS 2000',
      sizeBytes: 2 * TB,
      type: 'HDD' as const,
      serial: `SN-${id}`,
      protocol: 'SAS' as const,
    }));
    host = new SimHost(spec, { volumeBuildMs: 1500 });
    sim = await startRedfishSim({ fleet: new Fleet([host]), credentials });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('reads controllers and drives, creates a RAID1 volume through its task and deletes it', async () => {
    const config = { base_url: sim.url, ...credentials, system: 'raid-0' };
    const { stdout } = await run('/usr/bin/python3', [script, JSON.stringify(config)], {
      timeout: 120_000,
      maxBuffer: 1 << 20,
    });
    const saw = JSON.parse(stdout) as SushySaw;

    expect(saw.storage).toEqual(['1']);
    expect(saw.raid_types).toEqual(['RAID0', 'RAID1', 'RAID10', 'RAID5', 'RAID50', 'RAID6', 'RAID60']);
    expect(saw.drives).toEqual(
      ['Disk0', 'Disk1', 'Disk2'].map((id) => ({ id, capacity_bytes: 2 * TB, media_type: 'HDD', protocol: 'SAS' })),
    );
    expect(saw.apply_times).toEqual(['Immediate']);
    expect(saw.after_create).toEqual([
      { id: 'Volume1', name: 'Volume1', raid_type: 'RAID1', capacity_bytes: 100 * 1024 ** 3 },
    ]);
    expect(saw.after_delete).toEqual([]);
    // sushy waited for the build: one job, finished, and nothing left on the drives.
    expect(host.storage.jobs.map((j) => j.status().state)).toEqual(['Completed']);
    expect(host.storage.freeBytes('Disk0')).toBe(2 * TB);
  });
});
