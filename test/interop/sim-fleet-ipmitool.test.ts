// ipmitool (Debian) as the console of a simulated fleet host, on 127.0.0.1:
// the addresses and credentials come from the fleet's manifest, and what
// ipmitool does is seen on the Redfish face and the control API.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedfish, getPowerState, setBootDevice, type RedfishSystem } from '../../bmc-drivers/redfish/index.js';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet, type SimManifestHost } from '../../sim/host/index.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);
const haveIpmitool = requireTool('ipmitool');

describe.skipIf(!haveIpmitool)('ipmitool -I lanplus -C 3 against a simulated fleet host', () => {
  let sim: SimFleet;
  let redfish: RedfishSystem;

  beforeAll(async () => {
    sim = await startSimFleet({ fleet: createFleet({ count: 2, seed: 5 }) });
    const host = entry(0);
    redfish = await connectRedfish(host.redfish.address, {
      username: host.redfish.username,
      password: host.redfish.password,
    });
  });

  afterAll(async () => {
    await redfish.client.close();
    await sim.close();
  });

  function entry(index: number): SimManifestHost {
    const host = sim.manifest.hosts[index];
    if (host === undefined) throw new Error(`no manifest entry ${index}`);
    return host;
  }

  async function ipmitool(host: SimManifestHost, ...args: string[]): Promise<string> {
    const address = new URL(host.ipmi.address);
    const base = [
      '-I',
      'lanplus',
      '-C',
      '3',
      '-H',
      address.hostname,
      '-p',
      address.port,
      '-U',
      host.ipmi.username,
      '-P',
      host.ipmi.password,
    ];
    // execFile kills the child when the timeout expires.
    const { stdout } = await run('ipmitool', [...base, ...args], { timeout: 30_000 });
    return stdout;
  }

  async function putFaults(path: string, body: unknown): Promise<void> {
    await fetch(`${sim.redfish.url}/sim/v1/${path}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  it('powers the host on and off, as the Redfish face reports', async () => {
    expect(await ipmitool(entry(0), 'chassis', 'power', 'on')).toContain('Up/On');
    expect(await getPowerState(redfish)).toBe('power on');
    expect(await ipmitool(entry(0), 'chassis', 'power', 'off')).toContain('Down/Off');
    expect(await getPowerState(redfish)).toBe('power off');
    expect(await ipmitool(entry(0), 'chassis', 'power', 'status')).toContain('Chassis Power is off');
    expect(sim.fleet.get('sim-1')?.power).toBe('Off');
  });

  it('reads a boot override set over Redfish, and sets one the control API shows', async () => {
    await setBootDevice(redfish, 'pxe', { persistent: true, mode: 'uefi' });
    const out = await ipmitool(entry(0), 'chassis', 'bootparam', 'get', '5');
    expect(out).toContain('Force PXE');
    expect(out).toContain('BIOS EFI boot');
    expect(out).toContain('Options apply to all future boots');
    await ipmitool(entry(0), 'chassis', 'bootdev', 'disk');
    const shown = (await (await fetch(`${sim.redfish.url}/sim/v1/hosts/sim-0`)).json()) as { boot: unknown };
    expect(shown.boot).toEqual({ target: 'hdd', enabled: 'once', mode: 'legacy' });
  });

  it('reports the BMC firmware version of the host in mc info', async () => {
    expect(await ipmitool(entry(1), 'mc', 'info')).toMatch(/Firmware Revision\s+: 2\.10/);
  });

  it("fails with another host's password, and while the control API refuses authentication", async () => {
    const borrowed = { ...entry(0), ipmi: { ...entry(0).ipmi, password: entry(1).ipmi.password } };
    await expect(ipmitool(borrowed, 'chassis', 'power', 'status')).rejects.toThrow(/RMCP\+ session/);
    await putFaults('hosts/sim-1/faults', { refuseAuth: true });
    try {
      await expect(ipmitool(entry(1), 'chassis', 'power', 'status')).rejects.toThrow(/RMCP\+ session/);
    } finally {
      await putFaults('hosts/sim-1/faults', {});
    }
    expect(await ipmitool(entry(1), 'chassis', 'power', 'status')).toContain('Chassis Power is off');
  });
});
