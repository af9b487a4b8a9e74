// Issue 14's servicing: day-2 changes (BIOS settings, a firmware update) to
// an active Redfish host without redeploying it. The host comes back
// `active` with the image it was given still on its disk and its OS up
// again; holds pause the steps until `unhold`; steps the node cannot run,
// or without their arguments, are refused before anything runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision, reaches, simHost } from './sim-nodes.js';
import {
  createPool,
  deploy,
  enrollForDeploy,
  osRunning,
  setImage,
  startProvisionRig,
  type ProvisionRig,
} from './provision-rig.js';

let rig: ProvisionRig;
let uuid: string;
let hostName: string;

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 1, seed: 114 });
  await createPool(rig.svc, 'svc-rf', '127.114.0.0');
  const enrolled = await enrollForDeploy(rig, 0, 'redfish', 'svc-rf', { automated_clean: false });
  uuid = enrolled.uuid;
  hostName = enrolled.host.name;
  await reachesVia({ target: 'manage' }, 'manageable');
  await reachesVia({ target: 'provide' }, 'available');
  await setImage(rig.svc, uuid, rig.image);
  const node = await deploy(rig.svc, uuid, 'svc-0');
  expect(node.last_error).toBeNull();
  await osRunning(rig, hostName);
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

/** Servicing and holds need 1.87 (service) and 1.85 (unhold). */
async function reachesVia(body: Record<string, unknown>, state: string): Promise<Record<string, any>> {
  const res = await provision(rig.svc, uuid, body, '1.87');
  expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(202);
  await reaches(rig.svc, uuid, state, 30_000);
  // Ironic shows service_step from 1.89.
  return (await rig.svc.request('GET', `/v1/nodes/${uuid}`, undefined, '1.89')).body as Record<string, any>;
}

const bios = (value: string) => ({
  interface: 'bios',
  step: 'apply_configuration',
  args: { settings: [{ name: 'ProcTurboMode', value }] },
});
const firmware = (version: string) => ({
  interface: 'firmware',
  step: 'update',
  args: { settings: [{ component: 'bios', url: `http://127.0.0.1:9/bios-${version}.bin` }] },
});

describe('servicing an active Redfish host', () => {
  it('applies BIOS settings and a firmware update, and the host is active again with its disk untouched and its OS back up', async () => {
    const before = await simHost(rig.sim, hostName);
    expect(before.bios.ProcTurboMode).toBe('Enabled');
    const node = await reachesVia(
      { target: 'service', service_steps: [bios('Disabled'), firmware('3.0.1')] },
      'active',
    );
    expect(node.last_error).toBeNull();
    expect(node.service_step).toEqual({});
    expect(node.driver_internal_info.service_steps).toBeUndefined();

    const after = await osRunning(rig, hostName, before.os?.bootedAt ?? null);
    expect(after.bios.ProcTurboMode).toBe('Disabled');
    expect(after.firmware.find((f) => f.id === 'BIOS')?.version).toBe('3.0.1');
    // The reboot that applied the setting booted the installed OS again, from the same disk.
    expect(after.bootCount).toBeGreaterThan(before.bootCount);
    expect(after.disk?.sha256).toBe(rig.image.sha256);
    expect(after.os?.hostname).toBe('svc-0');
    // The agent was never booted: no network boot since the deploy.
    expect(after.bootSteps.slice(before.bootSteps.length).some((s) => s.kind === 'dhcp')).toBe(false);
  });

  it('pauses at a hold step in service hold until unhold, then runs the rest', async () => {
    const held = await reachesVia(
      { target: 'service', service_steps: [bios('Enabled'), { interface: 'deploy', step: 'hold' }, firmware('3.0.2')] },
      'service hold',
    );
    expect(held.service_step).toMatchObject({ step: 'hold' });
    let seen = await simHost(rig.sim, hostName);
    expect(seen.bios.ProcTurboMode).toBe('Enabled');
    expect(seen.firmware.find((f) => f.id === 'BIOS')?.version).toBe('3.0.1');

    const node = await reachesVia({ target: 'unhold' }, 'active');
    expect(node.last_error).toBeNull();
    seen = await simHost(rig.sim, hostName);
    expect(seen.firmware.find((f) => f.id === 'BIOS')?.version).toBe('3.0.2');
  });

  it('aborts in service hold to service failed, and services again from there', async () => {
    await reachesVia({ target: 'service', service_steps: [{ interface: 'power', step: 'hold' }] }, 'service hold');
    const aborted = await reachesVia({ target: 'abort' }, 'service failed');
    expect(aborted.last_error).toBe('Service operation aborted by request.');
    const node = await reachesVia(
      { target: 'service', service_steps: [{ interface: 'power', step: 'reboot' }] },
      'active',
    );
    expect(node.last_error).toBeNull();
    expect(node.power_state).toBe('power on');
  });

  it('refuses, before anything runs, steps the node does not offer, missing arguments, and a wait with no time', async () => {
    const cases: [Record<string, unknown>[], string][] = [
      [
        [{ interface: 'raid', step: 'create_configuration' }],
        "node does not support this service step: {'interface': 'raid', 'step': 'create_configuration'}",
      ],
      [
        [{ interface: 'deploy', step: 'erase_devices' }],
        "node does not support this service step: {'interface': 'deploy', 'step': 'erase_devices'}",
      ],
      [[{ interface: 'bios', step: 'apply_configuration' }], 'is missing these required arguments: settings'],
      [
        [{ interface: 'firmware', step: 'update', args: { settings: [], force: true } }],
        'has these unexpected arguments: force',
      ],
      [[{ interface: 'deploy', step: 'wait' }], 'needs args.seconds'],
    ];
    const before = await simHost(rig.sim, hostName);
    for (const [steps, message] of cases) {
      const res = await provision(rig.svc, uuid, { target: 'service', service_steps: steps }, '1.87');
      expect(res.status, res.text).toBe(400);
      expect(JSON.parse(res.body.error_message).faultstring).toContain(message);
    }
    const node = await rig.svc.request('GET', `/v1/nodes/${uuid}`);
    expect(node.body.provision_state).toBe('active');
    expect((await simHost(rig.sim, hostName)).history.length).toBe(before.history.length);
  });

  it('refuses service on a node in maintenance, and below API 1.87', async () => {
    expect((await rig.svc.request('PUT', `/v1/nodes/${uuid}/maintenance`, { reason: 'x' })).status).toBe(202);
    const res = await provision(rig.svc, uuid, { target: 'service', service_steps: [bios('Enabled')] }, '1.87');
    expect(res.status, res.text).toBe(400);
    expect(res.text).toContain('while it is in maintenance mode');
    expect((await rig.svc.request('DELETE', `/v1/nodes/${uuid}/maintenance`)).status).toBe(202);
    const old = await provision(rig.svc, uuid, { target: 'service', service_steps: [bios('Enabled')] }, '1.86');
    expect(old.status, old.text).toBe(406);
  });
});
