import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../sim/redfish/index.js';
import { requirePythonModule } from './tools.js';

// python3-sushy, the library Ironic drives Redfish BMCs with, against Anvil's
// Redfish sim on loopback. The driver script prints what sushy saw; the sim's
// host model shows what the "hardware" did.

const run = promisify(execFile);
const hasSushy = requirePythonModule('sushy');
const script = fileURLToPath(new URL('./sushy/drive_sim.py', import.meta.url));
const credentials = { username: 'admin', password: 'interop-pw' };
let fleet: Fleet;
let sim: RedfishSim;

interface SushySaw {
  systems: string[];
  initial_power: string;
  allowed_resets: string[];
  powers: Record<string, string>;
  boot: { target: string; enabled: string; mode: string };
  media_types: string[];
  inserted: { image: string | null; inserted: boolean };
  ejected: { image: string | null; inserted: boolean };
  bios_before: string;
  bios_pending: string;
  bios_still_current: string;
  bios_after_reset: string;
}

describe.skipIf(!hasSushy)('python3-sushy against the Redfish sim', () => {
  beforeAll(async () => {
    fleet = createFleet({ count: 3, seed: 5 });
    sim = await startRedfishSim({ fleet, credentials });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it('lists systems, drives power, boot, virtual media and BIOS like Ironic would', async () => {
    const config = { base_url: sim.url, ...credentials, system: 'sim-1', image: 'http://127.0.0.1:9/deploy.iso' };
    const { stdout } = await run('/usr/bin/python3', [script, JSON.stringify(config)], {
      timeout: 120_000,
      maxBuffer: 1 << 20,
    });
    const saw = JSON.parse(stdout) as SushySaw;

    expect(saw.systems).toEqual([
      '/redfish/v1/Systems/sim-0',
      '/redfish/v1/Systems/sim-1',
      '/redfish/v1/Systems/sim-2',
    ]);
    expect(saw.initial_power).toBe('Off');
    expect(saw.allowed_resets).toEqual(
      expect.arrayContaining([
        'On',
        'ForceOff',
        'ForceRestart',
        'GracefulShutdown',
        'GracefulRestart',
        'Nmi',
        'PushPowerButton',
        'PowerCycle',
      ]),
    );
    expect(saw.powers).toEqual({ on: 'On', force_off: 'Off', on_again: 'On', force_restart: 'On' });
    expect(saw.boot).toEqual({ target: 'Pxe', enabled: 'Once', mode: 'UEFI' });
    expect(saw.media_types).toEqual(['CD', 'DVD']);
    expect(saw.inserted).toEqual({ image: 'http://127.0.0.1:9/deploy.iso', inserted: true });
    expect(saw.ejected).toEqual({ image: null, inserted: false });
    expect([saw.bios_before, saw.bios_pending, saw.bios_still_current, saw.bios_after_reset]).toEqual([
      'Enabled',
      'Disabled',
      'Enabled',
      'Disabled',
    ]);

    const host = fleet.get('sim-1');
    // The last ForceRestart booted the one-time PXE override and consumed it.
    expect(host?.lastBoot).toMatchObject({ device: 'pxe', outcome: 'booted' });
    expect(host?.boot).toMatchObject({ target: 'none', enabled: 'disabled' });
    expect(host?.bios.ProcTurboMode).toBe('Disabled');
    expect(host?.maxInFlight).toBe(1);
    expect(fleet.get('sim-0')?.history).toEqual([]);
  });
});
