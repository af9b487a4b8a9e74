// Ironic's BIOS cache end to end on the Redfish sim: verify records what the
// machine's BIOS holds, a manual clean applies new settings with the reboot
// that makes them current, and the API then serves the new values with
// updated_at set, while the settings the clean left alone keep theirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimFleet, type SimFleet } from '../../sim/fleet-runner.js';
import { createFleet } from '../../sim/host/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { drive, enroll, manifestHost, simHost } from './sim-nodes.js';

let sim: SimFleet;
let svc: TestService;

beforeAll(async () => {
  sim = await startSimFleet({ fleet: createFleet({ count: 2, seed: 8 }), redfishPort: 0, ipmiBasePort: 0 });
  svc = await startTestService('sqlite');
});

afterAll(async () => {
  await svc?.close();
  await sim?.close();
});

type Setting = { name: string; value: string | null; created_at: string; updated_at: string | null };

async function biosOf(uuid: string): Promise<Map<string, Setting>> {
  const res = await svc.request('GET', `/v1/nodes/${uuid}/bios?detail=true`, undefined, '1.74');
  expect(res.status, res.text).toBe(200);
  return new Map((res.body.bios as Setting[]).map((s) => [s.name, s]));
}

const applyConfiguration = (settings: { name: string; value: unknown }[]) => ({
  target: 'clean',
  clean_steps: [{ interface: 'bios', step: 'apply_configuration', args: { settings } }],
});

describe('BIOS settings applied in a manual clean, read back from the cache', () => {
  it('shows the new values with updated_at, typed for the BMC from the text Ironic clients send', async () => {
    const host = manifestHost(sim, 0);
    const uuid = await enroll(svc, host, 'redfish');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    const verified = await biosOf(uuid);
    expect(verified.get('ProcTurboMode')).toMatchObject({ value: 'Enabled', updated_at: null });
    expect(verified.get('SerialConsoleEnabled')).toMatchObject({ value: 'true', updated_at: null });
    expect(verified.get('PxeRetryCount')).toMatchObject({ value: '3', updated_at: null });

    // baremetal-operator sends every value as text; Ironic's CLI may send "False" as Python spells it.
    const node = await drive(
      svc,
      uuid,
      applyConfiguration([
        { name: 'ProcTurboMode', value: 'Disabled' },
        { name: 'SerialConsoleEnabled', value: 'False' },
        { name: 'PxeRetryCount', value: '5' },
      ]),
      'manageable',
    );
    expect(node.last_error).toBeNull();
    const machine = await simHost(sim, host.name);
    expect(machine.bios).toMatchObject({ ProcTurboMode: 'Disabled', SerialConsoleEnabled: false, PxeRetryCount: 5 });

    const after = await biosOf(uuid);
    for (const [name, value] of [
      ['ProcTurboMode', 'Disabled'],
      ['SerialConsoleEnabled', 'false'],
      ['PxeRetryCount', '5'],
    ] as const) {
      const setting = after.get(name)!;
      expect(setting.value, name).toBe(value);
      expect(setting.created_at).toBe(verified.get(name)!.created_at);
      expect(Date.parse(setting.updated_at ?? ''), name).toBeGreaterThanOrEqual(Date.parse(setting.created_at));
    }
    expect(after.get('NumLock')).toEqual(verified.get('NumLock'));
  });

  it('takes a JSON boolean as well, and fails the clean for a value the registry refuses, the cache unchanged', async () => {
    const host = manifestHost(sim, 1);
    const uuid = await enroll(svc, host, 'redfish');
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    await drive(svc, uuid, applyConfiguration([{ name: 'SerialConsoleEnabled', value: false }]), 'manageable');
    expect((await simHost(sim, host.name)).bios.SerialConsoleEnabled).toBe(false);
    const before = await biosOf(uuid);
    expect(before.get('SerialConsoleEnabled')).toMatchObject({ value: 'false', updated_at: expect.any(String) });

    const failed = await drive(svc, uuid, applyConfiguration([{ name: 'PxeRetryCount', value: '99' }]), 'clean failed');
    expect(failed.last_error).toContain('PxeRetryCount');
    expect(await biosOf(uuid)).toEqual(before);
  });
});
