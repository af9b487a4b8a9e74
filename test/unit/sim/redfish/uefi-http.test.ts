// The sim's UEFI HTTP boot: the Redfish face takes BootSourceOverrideTarget
// UefiHttp with Boot.HttpBootUri, reports both, and the machine's firmware,
// on that boot, fetches the ISO from the URI and boots the agent it names,
// with no DHCP, no TFTP and no virtual CD.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultBook, seededRandom } from '../../../../sim/faults/index.js';
import { startSimFleet, type SimFleet } from '../../../../sim/fleet-runner.js';
import { createFleet, type SimHost } from '../../../../sim/host/index.js';
import { eventually } from '../support/eventually.js';
import { startFakeAnvil, type FakeAnvil } from '../support/fake-anvil.js';
import { buildIso } from '../support/iso-builder.js';
import { redfish } from './sim-client.js';

const NODE = '6c1d2e3f-4a5b-4c6d-8e7f-001122334455';
let events: string[];
let anvil: FakeAnvil;
let sim: SimFleet;

beforeAll(async () => {
  events = [];
  anvil = await startFakeAnvil(events);
  sim = await startSimFleet({
    fleet: createFleet({ count: 3, seed: 17 }),
    faults: new FaultBook(),
    random: seededRandom(5),
    credentials: { username: 'admin', password: 'password' },
    boot: {
      httpUrl: anvil.url,
      agent: { heartbeatIntervalMs: 40, lookupInitialMs: 10, lookupMaxMs: 40 },
      scriptSleepScale: 0.001,
    },
  });
});

afterEach(() => {
  for (const host of sim.fleet.hosts) host.powerAction('ForceOff');
  anvil.node = null;
  anvil.heartbeats.length = 0;
  events.length = 0;
});

afterAll(async () => {
  await sim.close();
  await anvil.close();
});

function host(index: number): SimHost {
  const found = sim.fleet.hosts[index];
  if (found === undefined) throw new Error(`no host ${index}`);
  return found;
}

const systemOf = (h: SimHost) => `/redfish/v1/Systems/${h.name}`;

describe('Redfish sim UEFI HTTP boot', () => {
  it('offers UefiHttp, takes it with an HttpBootUri, reports both, and clears both after the one boot', async () => {
    const h = host(0);
    const before = await redfish(sim.redfish, 'GET', systemOf(h));
    const boot = before.json.Boot as Record<string, unknown>;
    expect(boot['BootSourceOverrideTarget@Redfish.AllowableValues']).toContain('UefiHttp');
    expect(boot.HttpBootUri).toBeNull();

    const set = await redfish(sim.redfish, 'PATCH', systemOf(h), {
      Boot: {
        BootSourceOverrideTarget: 'UefiHttp',
        BootSourceOverrideEnabled: 'Once',
        BootSourceOverrideMode: 'UEFI',
        HttpBootUri: 'http://192.0.2.1/agent.iso',
      },
    });
    expect(set.status).toBe(200);
    expect(set.json.Boot).toMatchObject({
      BootSourceOverrideTarget: 'UefiHttp',
      BootSourceOverrideEnabled: 'Once',
      HttpBootUri: 'http://192.0.2.1/agent.iso',
    });

    h.powerAction('On');
    const after = await redfish(sim.redfish, 'GET', systemOf(h));
    expect(after.json.Boot).toMatchObject({
      BootSourceOverrideTarget: 'None',
      BootSourceOverrideEnabled: 'Disabled',
      HttpBootUri: null,
    });
  });

  it('refuses UefiHttp in legacy BIOS mode, and an HttpBootUri that is not an http(s) URL', async () => {
    const h = host(1);
    const legacy = await redfish(sim.redfish, 'PATCH', systemOf(h), {
      Boot: { BootSourceOverrideTarget: 'UefiHttp', BootSourceOverrideMode: 'Legacy' },
    });
    expect(legacy.status).toBe(400);
    expect(JSON.stringify(legacy.json)).toContain('PropertyValueConflict');
    const badUri = await redfish(sim.redfish, 'PATCH', systemOf(h), { Boot: { HttpBootUri: 'tftp://192.0.2.1/x' } });
    expect(badUri.status).toBe(400);
    expect(JSON.stringify(badUri.json)).toContain('PropertyValueFormatError');
    expect(h.boot.target).toBe('none');
    expect(h.boot.httpBootUri).toBeUndefined();
  });

  it('boots the agent from the ISO at the URI, read by HTTP Range requests, with no DHCP, TFTP or virtual media', async () => {
    const h = host(2);
    anvil.node = { uuid: NODE, token: 'tok-2', heartbeatTimeout: 300 };
    anvil.files.set(
      '/images/agent.iso',
      buildIso({
        'EFI/BOOT/grub.cfg': `menuentry "agent" {\n  linux /vmlinuz ipa-api-url=${anvil.url} nofb\n  initrd /initrd\n}\n`,
        vmlinuz: Buffer.alloc(4096, 1),
      }),
    );
    const uri = `${anvil.url}/images/agent.iso`;
    const set = await redfish(sim.redfish, 'PATCH', systemOf(h), {
      Boot: { BootSourceOverrideTarget: 'UefiHttp', BootSourceOverrideMode: 'UEFI', HttpBootUri: uri },
    });
    expect(set.status).toBe(200);
    const reset = await redfish(sim.redfish, 'POST', `${systemOf(h)}/Actions/ComputerSystem.Reset`, {
      ResetType: 'On',
    });
    expect(reset.status).toBeLessThan(300);
    await eventually(() => anvil.heartbeats.length > 0, 'a heartbeat');

    expect(events.filter((e) => e.startsWith('GET /images/agent.iso bytes=')).length).toBeGreaterThan(2);
    expect(events.some((e) => e.startsWith('tftp') || e.includes('dhcp'))).toBe(false);
    const steps = h.bootSteps;
    expect(steps.find((s) => s.kind === 'firmware')?.detail).toBe('uefi boot from uefi-http');
    expect(steps.find((s) => s.kind === 'uefi-http')).toMatchObject({ source: uri, outcome: 'ok' });
    expect(steps.find((s) => s.kind === 'uefi-http')?.detail).toMatch(/kernel parameters from EFI\/BOOT\/grub\.cfg/);
    expect(steps.some((s) => s.kind === 'media' || s.kind === 'dhcp' || s.kind === 'tftp')).toBe(false);
    expect(h.media.inserted).toBe(false);
  });

  it('records a failed HTTP boot and falls to the disk when no URI is set', async () => {
    const h = host(0);
    h.setBootOverride({ target: 'uefi-http', enabled: 'once', mode: 'uefi' });
    h.powerAction('On');
    await eventually(() => h.bootSteps.some((s) => s.boot === h.bootCount && s.kind === 'os'), 'a disk boot');
    expect(h.bootSteps.filter((s) => s.boot === h.bootCount && s.kind === 'uefi-http')).toEqual([
      expect.objectContaining({ outcome: 'failed', detail: 'no HTTP boot URI set' }),
    ]);
  });
});
