// ipmitool (Debian) as the console, Anvil's IPMI sim as the BMC, on 127.0.0.1.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiSimServer } from '../../sim/ipmi/index.js';
import { MemoryTarget } from '../unit/sim/ipmi/memory-target.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);
const haveIpmitool = requireTool('ipmitool');

describe.skipIf(!haveIpmitool).each([3, 17])('ipmitool -I lanplus -C %i against the Anvil IPMI sim', (suite) => {
  const target = new MemoryTarget();
  let sim: IpmiSimServer;

  beforeAll(async () => {
    sim = await IpmiSimServer.start({ target, username: 'u', password: 'p' });
  });

  afterAll(async () => {
    await sim.close();
  });

  async function ipmitool(...args: string[]): Promise<string> {
    const base = [
      '-I',
      'lanplus',
      '-C',
      String(suite),
      '-H',
      '127.0.0.1',
      '-p',
      String(sim.port),
      '-U',
      'u',
      '-P',
      'p',
    ];
    // execFile kills the child when the timeout expires.
    const { stdout } = await run('ipmitool', [...base, ...args], { timeout: 30_000 });
    return stdout;
  }

  it('mc info reports the target identity over IPMI 2.0', async () => {
    const out = await ipmitool('mc', 'info');
    expect(out).toMatch(/IPMI Version\s+: 2\.0/);
    expect(out).toMatch(/Firmware Revision\s+: 2\.47/);
    expect(out).toMatch(/Product ID\s+: 4660 \(0x1234\)/);
  });

  it('chassis power status, on, off, cycle and soft act on the target', async () => {
    expect(await ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is off');
    expect(await ipmitool('chassis', 'power', 'on')).toContain('Up/On');
    expect(target.power).toBe('on');
    expect(await ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is on');
    expect(await ipmitool('chassis', 'power', 'cycle')).toContain('Cycle');
    expect(await ipmitool('chassis', 'power', 'soft')).toContain('Soft');
    expect(await ipmitool('chassis', 'power', 'status')).toContain('Chassis Power is off');
    expect(await ipmitool('chassis', 'power', 'off')).toContain('Down/Off');
    expect(target.actions.slice(-4)).toEqual(['on', 'cycle', 'soft', 'off']);
  });

  it('chassis bootdev pxe options=efiboot,persistent sets an EFI, persistent PXE override', async () => {
    expect(await ipmitool('chassis', 'bootdev', 'pxe', 'options=efiboot,persistent')).toContain(
      'Set Boot Device to pxe',
    );
    expect(target.bootFlags).toEqual({ valid: true, persistent: true, mode: 'efi', device: 'pxe' });
    const out = await ipmitool('chassis', 'bootparam', 'get', '5');
    expect(out).toContain('Boot parameter data: e004000000');
    expect(out).toContain('Options apply to all future boots');
    expect(out).toContain('BIOS EFI boot');
    expect(out).toContain('Force PXE');
  });

  it('chassis bootdev disk sets a one-time legacy disk override', async () => {
    await ipmitool('chassis', 'bootdev', 'disk');
    expect(target.bootFlags).toEqual({ valid: true, persistent: false, mode: 'legacy', device: 'disk' });
    const out = await ipmitool('chassis', 'bootparam', 'get', '5');
    expect(out).toContain('Options apply to only next boot');
    expect(out).toContain('Force Boot from default Hard-Drive');
  });

  it('fails to open a session with a wrong password', async () => {
    const base = [
      '-I',
      'lanplus',
      '-C',
      String(suite),
      '-H',
      '127.0.0.1',
      '-p',
      String(sim.port),
      '-U',
      'u',
      '-P',
      'not-p',
    ];
    await expect(run('ipmitool', [...base, 'chassis', 'power', 'status'], { timeout: 30_000 })).rejects.toThrow(
      /RMCP\+ session/,
    );
  });
});
