// FreeIPMI's ipmipower (Debian) as the console, Anvil's IPMI sim as the BMC.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiSimServer } from '../../sim/ipmi/index.js';
import { MemoryTarget } from '../unit/sim/ipmi/memory-target.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);
const haveIpmipower = requireTool('ipmipower');

describe.skipIf(!haveIpmipower).each([3, 17])('ipmipower -D LAN_2_0 -I %i against the Anvil IPMI sim', (suite) => {
  const target = new MemoryTarget();
  let sim: IpmiSimServer;

  beforeAll(async () => {
    sim = await IpmiSimServer.start({ target, username: 'u', password: 'p' });
  });

  afterAll(async () => {
    await sim.close();
  });

  async function ipmipower(action: string): Promise<string> {
    const args = ['-D', 'LAN_2_0', '-I', String(suite), '-h', `127.0.0.1:${sim.port}`, '-u', 'u', '-p', 'p', action];
    const { stdout } = await run('ipmipower', args, { timeout: 30_000 });
    return stdout.trim();
  }

  it('reads and switches power', async () => {
    expect(await ipmipower('--stat')).toBe('127.0.0.1: off');
    expect(await ipmipower('--on')).toBe('127.0.0.1: ok');
    expect(target.power).toBe('on');
    expect(await ipmipower('--stat')).toBe('127.0.0.1: on');
    expect(await ipmipower('--cycle')).toBe('127.0.0.1: ok');
    expect(await ipmipower('--off')).toBe('127.0.0.1: ok');
    expect(await ipmipower('--stat')).toBe('127.0.0.1: off');
    expect(target.actions).toEqual(['on', 'cycle', 'off']);
  });
});
