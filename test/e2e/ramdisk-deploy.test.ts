// Issue 14's ramdisk deploy (what baremetal-operator uses for live images):
// no image is written; the instance is a kernel and ramdisk the host boots
// from the network, as the active node's boot, every time it starts. The
// config drive, which it could not deliver, is refused up front.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision, reaches, simHost } from './sim-nodes.js';
import { createPool, enrollForDeploy, startProvisionRig, type ProvisionRig } from './provision-rig.js';

let rig: ProvisionRig;

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 1, seed: 141 });
  await createPool(rig.svc, 'rd-rf', '127.141.0.0');
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

async function to(uuid: string, body: Record<string, unknown>, state: string): Promise<Record<string, any>> {
  const res = await provision(rig.svc, uuid, body, '1.56');
  expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(202);
  return reaches(rig.svc, uuid, state, 30_000);
}

describe('the ramdisk deploy interface on a Redfish host that network-boots', () => {
  it('boots the instance ramdisk as the OS, writes nothing to the disk, and boots it again after a reboot', async () => {
    const { svc } = rig;
    const { uuid, host } = await enrollForDeploy(rig, 0, 'redfish', 'rd-rf', {
      // Cleaned by the agent, as the direct deploy's nodes are.
      automated_clean: true,
      deploy_interface: 'ramdisk',
    });
    await to(uuid, { target: 'manage' }, 'manageable');
    await to(uuid, { target: 'provide' }, 'available');
    const patched = await svc.request('PATCH', `/v1/nodes/${uuid}`, [
      { op: 'replace', path: '/instance_info', value: {} },
      { op: 'add', path: '/instance_info/kernel', value: rig.deployImages.deploy_kernel },
      { op: 'add', path: '/instance_info/ramdisk', value: rig.deployImages.deploy_ramdisk },
      { op: 'add', path: '/instance_info/ramdisk_kernel_arguments', value: 'console=ttyS0 live.mode=1' },
    ]);
    expect(patched.status, patched.text).toBe(200);

    const refused = await provision(
      svc,
      uuid,
      { target: 'active', configdrive: { meta_data: { hostname: 'x' } } },
      '1.56',
    );
    expect(refused.status, refused.text).toBe(400);
    expect(refused.text).toContain('cannot deliver a config drive');

    const node = await to(uuid, { target: 'active' }, 'active');
    expect(node.last_error).toBeNull();
    expect(node.power_state).toBe('power on');
    const seen = await eventuallyRunning(host.name);
    expect(seen.os?.ramdiskKernel).toContain(rig.deployImages.deploy_kernel);
    expect(seen.disk).toBeNull();
    const booted = seen.bootSteps.filter((s) => s.kind === 'os' && s.outcome === 'ok').map((s) => s.detail);
    expect(booted.at(-1)).toContain('console=ttyS0 live.mode=1');

    // A reboot boots the ramdisk again: it is the instance's boot, not a one-time one.
    const before = seen.os?.bootedAt;
    expect((await svc.request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'rebooting' })).status).toBe(202);
    const again = await eventuallyRunning(host.name, before);
    expect(again.os?.ramdiskKernel).toContain(rig.deployImages.deploy_kernel);

    const back = await to(uuid, { target: 'deleted' }, 'available');
    expect(back.instance_info).toEqual({});
    expect((await simHost(rig.sim, host.name)).power).toBe('Off');
  });
});

async function eventuallyRunning(name: string, since?: string) {
  for (let i = 0; i < 200; i++) {
    const seen = await simHost(rig.sim, name);
    if (seen.os?.running === true && seen.os.ramdiskKernel !== undefined && seen.os.bootedAt !== since) return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${name} never ran its ramdisk OS: ${JSON.stringify((await simHost(rig.sim, name)).bootSteps.slice(-5))}`,
  );
}
