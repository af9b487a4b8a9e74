// Issue 14's deploy steps: `custom-agent` runs only the steps a deploy names
// (baremetal-operator's custom deploy asks the agent's own installer by
// name), `direct` honours deploy_steps beside its write_image, and a `hold`
// step pauses the deploy in `deploy hold` until `unhold`. Steps the agent
// does not offer fail the deploy in Ironic's words; malformed ones are
// refused with 400 before anything runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision, reaches, simHost } from './sim-nodes.js';
import {
  bootLog,
  createPool,
  enrollForDeploy,
  osRunning,
  setImage,
  startProvisionRig,
  type ProvisionRig,
} from './provision-rig.js';

let rig: ProvisionRig;

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 4, seed: 142 });
  await createPool(rig.svc, 'cd-rf', '127.142.0.0');
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

async function to(uuid: string, body: Record<string, unknown>, state: string): Promise<Record<string, any>> {
  const res = await provision(rig.svc, uuid, body, '1.85');
  expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(202);
  return reaches(rig.svc, uuid, state, 30_000);
}

async function available(index: number, fields: Record<string, unknown>) {
  const enrolled = await enrollForDeploy(rig, index, 'redfish', 'cd-rf', { automated_clean: false, ...fields });
  await to(enrolled.uuid, { target: 'manage' }, 'manageable');
  await to(enrolled.uuid, { target: 'provide' }, 'available');
  return enrolled;
}

describe('deploy steps on Redfish hosts that network-boot', () => {
  it('custom-agent runs the installer step the deploy names, and the host boots what it installed', async () => {
    const { uuid, host } = await available(0, { deploy_interface: 'custom-agent' });
    const install = {
      interface: 'deploy',
      step: 'install_os',
      priority: 80,
      args: { url: rig.image.url, sha256: rig.image.sha256 },
    };
    const node = await to(uuid, { target: 'active', deploy_steps: [install] }, 'active');
    expect(node.last_error).toBeNull();
    const seen = await osRunning(rig, host.name);
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    const commands = seen.bootSteps.filter((s) => s.kind === 'command').map((s) => s.source);
    expect(commands.some((c) => c.includes('install_os'))).toBe(true);
    expect(commands.some((c) => c.includes('write_image'))).toBe(false);
    expect(node.driver_internal_info.deploy_steps).toBeUndefined();

    // Undeployed, it is cleaned through the agent as a direct node is.
    const patched = await rig.svc.request('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'replace', path: '/automated_clean', value: true },
    ]);
    expect(patched.status, patched.text).toBe(200);
    const mark = (await simHost(rig.sim, host.name)).bootSteps.length;
    const back = await to(uuid, { target: 'deleted' }, 'available');
    expect(back.last_error).toBeNull();
    const after = await simHost(rig.sim, host.name);
    expect(
      after.bootSteps.slice(mark).some((s) => s.kind === 'command' && s.source.includes('erase_devices_metadata')),
      bootLog(after),
    ).toBe(true);
  });

  it('direct pauses at a hold step before writing the image, and writes it after unhold', async () => {
    const { uuid, host } = await available(1, {});
    await setImage(rig.svc, uuid, rig.image);
    const held = await to(
      uuid,
      { target: 'active', deploy_steps: [{ interface: 'deploy', step: 'hold', priority: 90, args: {} }] },
      'deploy hold',
    );
    expect(held.last_error).toBeNull();
    expect((await simHost(rig.sim, host.name)).disk).toBeNull();
    const node = await to(uuid, { target: 'unhold' }, 'active');
    expect(node.last_error).toBeNull();
    const seen = await osRunning(rig, host.name);
    expect(seen.disk?.sha256).toBe(rig.image.sha256);
  });

  it('direct runs a BIOS step planned at priority 10 after boot_instance: the installed OS boots, then reboots with the setting', async () => {
    const { uuid, host } = await available(3, {});
    await setImage(rig.svc, uuid, rig.image);
    const before = await simHost(rig.sim, host.name);
    expect(before.bios.ProcTurboMode).toBe('Enabled');
    const bios = {
      interface: 'bios',
      step: 'apply_configuration',
      priority: 10,
      args: { settings: [{ name: 'ProcTurboMode', value: 'Disabled' }] },
    };
    const node = await to(uuid, { target: 'active', deploy_steps: [bios] }, 'active');
    expect(node.last_error).toBeNull();
    const seen = await osRunning(rig, host.name);
    expect(seen.bios.ProcTurboMode).toBe('Disabled');
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    // The instance booted from its disk before the setting's reboot, and again after it.
    const osBoots = seen.bootSteps.slice(before.bootSteps.length).filter((s) => s.kind === 'os' && s.outcome === 'ok');
    expect(osBoots.length, bootLog(seen, 40)).toBe(2);
  });

  it("fails the deploy, in Ironic's words, for an in-band step the agent does not offer", async () => {
    const { uuid } = await available(2, { deploy_interface: 'custom-agent' });
    const node = await to(
      uuid,
      { target: 'active', deploy_steps: [{ interface: 'deploy', step: 'install_nothing', priority: 80, args: {} }] },
      'deploy failed',
    );
    expect(node.last_error).toBe(
      "node does not support this deploy step: {'interface': 'deploy', 'step': 'install_nothing', 'priority': 80, 'args': {}}",
    );
  });

  it('refuses, before anything runs, a step with no priority and an out-of-band step without its arguments', async () => {
    const nodes = await rig.svc.request('GET', '/v1/nodes?provision_state=deploy%20failed');
    const uuid = nodes.body.nodes[0].uuid as string;
    for (const [steps, message] of [
      [[{ interface: 'deploy', step: 'install_os', args: {} }], 'needs a priority'],
      [
        [{ interface: 'bios', step: 'apply_configuration', priority: 90, args: {} }],
        'is missing these required arguments',
      ],
    ] as const) {
      const res = await provision(rig.svc, uuid, { target: 'active', deploy_steps: steps }, '1.69');
      expect(res.status, res.text).toBe(400);
      expect(res.text).toContain(message);
    }
  });
});
