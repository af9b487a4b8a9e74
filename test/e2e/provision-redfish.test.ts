// Issue 7's first Proof on the Redfish sim: a host goes enroll → manage →
// inspect → provide → deploy → active through the REST API alone, with the
// real network boot (TFTP, the iPXE script, the agent kernel and ramdisk
// over HTTP) and the agent protocol (lookup, heartbeats, commands); the
// machine ends up with the image on its disk and an OS that found its
// hostname and IPAM addresses on the config drive. Released, it is cleaned
// back to available, and deploys again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultOf } from '../support/service.js';
import { drive, simHost } from './sim-nodes.js';
import {
  bootLog,
  createPool,
  deploy,
  detailedHistory,
  enrollForDeploy,
  osRunning,
  putImage,
  setImage,
  startProvisionRig,
  userDataFor,
  type ProvisionRig,
} from './provision-rig.js';

let rig: ProvisionRig;

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 2, seed: 71 });
  await createPool(rig.svc, 'prov-rf', '127.71.0.0');
});

afterAll(async () => {
  await rig?.close();
});

describe('a Redfish host provisioned through the REST API with the agent', () => {
  it('is inspected out of band, cleaned by its agent, deployed to active with the image on its disk and its hostname and IPAM address in its OS, released to available and deployed again', async () => {
    const { svc } = rig;
    const { uuid, host, address, prefix } = await enrollForDeploy(rig, 0, 'redfish', 'prov-rf');

    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    let node = await drive(svc, uuid, { target: 'inspect' }, 'manageable');
    expect(node.inspection_finished_at).not.toBeNull();
    const inventory = await svc.request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.81');
    expect(inventory.status, inventory.text).toBe(200);

    // provide: automated cleaning boots the agent, which erases the disk metadata.
    let mark = (await simHost(rig.sim, host.name)).bootSteps.length;
    node = await drive(svc, uuid, { target: 'provide' }, 'available', 30_000);
    expect(node.last_error).toBeNull();
    let seen = await simHost(rig.sim, host.name);
    const cleanSteps = seen.bootSteps.slice(mark);
    expect(
      cleanSteps.some((s) => s.kind === 'command' && s.source.includes('erase_devices_metadata') && s.outcome === 'ok'),
      bootLog(seen),
    ).toBe(true);
    expect(seen.power).toBe('Off');

    await setImage(svc, uuid, rig.image);
    node = await deploy(svc, uuid, 'web-0');
    expect(node.last_error).toBeNull();
    expect(node.power_state).toBe('power on');
    seen = await osRunning(rig, host.name);
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    expect(seen.disk?.imageUrl).toBe(rig.image.url);
    expect(seen.os?.hostname).toBe('web-0');
    expect(seen.os?.userData).toBe(userDataFor('web-0'));
    expect(seen.os?.addresses).toEqual([
      expect.objectContaining({
        address,
        prefix,
        family: 'ipv4',
        mac: host.macs[0],
        gateway: address.replace(/\.\d+$/, '.1'),
      }),
    ]);

    // What Anvil's boot services served this node, and what its agent did, in its history (the dashboard's timeline).
    const history = await detailedHistory(svc, uuid);
    const boots = history.filter((e) => e.event_type === 'boot').map((e) => e.event);
    const agent = history.filter((e) => e.event_type === 'agent').map((e) => e.event);
    expect(agent.some((e) => e.startsWith('Agent looked the node up (') && e.includes(host.macs[0]!))).toBe(true);
    expect(
      agent.some((e) => /^Agent.* called back from http:\/\//.test(e)),
      agent.join('\n'),
    ).toBe(true);
    const steps = history.map((e) => e.event).filter((e) => / step \S+ started$/.test(e));
    expect(steps, steps.join('\n')).toContain('Deploy step deploy.write_image started');
    expect(
      boots.some((e) => e.startsWith(`tftp to ${host.macs[0]}`)),
      boots.join('\n'),
    ).toBe(true);
    expect(
      boots.some((e) => e.startsWith(`http to ${host.macs[0]}`) && e.includes('.ipxe')),
      boots.join('\n'),
    ).toBe(true);

    // Refused at once, the node left active: rescue on a node whose rescue_interface is no-rescue, and a
    // service step without the arguments it needs.
    const rescue = await svc.request(
      'PUT',
      `/v1/nodes/${uuid}/states/provision`,
      { target: 'rescue', rescue_password: 'pw' },
      '1.87',
    );
    expect(rescue.status, rescue.text).toBe(400);
    expect(faultOf(rescue)).toBe('Driver redfish does not support rescue (disabled or not implemented).');
    const service = await svc.request(
      'PUT',
      `/v1/nodes/${uuid}/states/provision`,
      { target: 'service', service_steps: [{ interface: 'bios', step: 'apply_configuration', args: {} }] },
      '1.87',
    );
    expect(service.status, service.text).toBe(400);
    expect(faultOf(service)).toContain('is missing these required arguments: settings');
    expect((await svc.request('GET', `/v1/nodes/${uuid}`)).body).toMatchObject({
      provision_state: 'active',
      reservation: null,
      last_error: null,
    });

    // Undeploy: teardown, then automated cleaning through the agent again.
    mark = seen.bootSteps.length;
    node = await drive(svc, uuid, { target: 'deleted' }, 'available', 30_000);
    expect(node.last_error).toBeNull();
    seen = await simHost(rig.sim, host.name);
    expect(seen.disk).toBeNull();
    expect(
      seen.bootSteps.slice(mark).some((s) => s.kind === 'command' && s.source.includes('erase_devices_metadata')),
    ).toBe(true);

    // Redeploy: another image, another hostname.
    const second = putImage(svc, 'disk-2.img', 128 * 1024);
    await setImage(svc, uuid, second);
    const before = seen.os?.bootedAt ?? null;
    await deploy(svc, uuid, 'web-0b');
    seen = await osRunning(rig, host.name, before);
    expect(seen.disk?.sha256).toBe(second.sha256);
    expect(seen.os?.hostname).toBe('web-0b');
  });
});
