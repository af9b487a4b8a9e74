// Issue 7's first Proof on the IPMI sim: IPMI has no inventory of its own, so
// the host is inspected in-band, by the agent it network-boots, which posts
// what it found to continue_inspection; then it is cleaned by its agent,
// deployed to active with the image, hostname and IPAM address, released to
// available and deployed again, all through the REST API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  rig = await startProvisionRig({ hosts: 2, seed: 72 });
  await createPool(rig.svc, 'prov-ipmi', '127.72.0.0');
});

afterAll(async () => {
  await rig?.close();
});

describe('an IPMI host provisioned through the REST API with the agent', () => {
  it('is inspected by its agent (inventory at 1.81), cleaned, deployed to active with the image on its disk and its hostname and IPAM address in its OS, released to available and deployed again', async () => {
    const { svc } = rig;
    const { uuid, host, address, prefix } = await enrollForDeploy(rig, 0, 'ipmi', 'prov-ipmi', {
      inspect_interface: 'agent',
    });

    let node = await drive(svc, uuid, { target: 'manage' }, 'manageable');
    expect(node.power_state).toBe('power off');

    // In-band inspection: the node waits while its agent boots and reports.
    node = await drive(svc, uuid, { target: 'inspect' }, 'manageable', 30_000);
    let seen = await simHost(rig.sim, host.name);
    expect(node.last_error, bootLog(seen)).toBeNull();
    expect(node.inspection_finished_at).not.toBeNull();
    expect(
      seen.bootSteps.some((s) => s.kind === 'inspection' && s.outcome === 'ok'),
      bootLog(seen),
    ).toBe(true);
    expect(seen.power).toBe('Off');
    const inventory = await svc.request('GET', `/v1/nodes/${uuid}/inventory`, undefined, '1.81');
    expect(inventory.status, inventory.text).toBe(200);
    expect(inventory.body.inventory).toMatchObject({
      system_vendor: { manufacturer: seen.vendor, serial_number: seen.serial },
      memory: { physical_mb: seen.memoryMiB },
    });
    expect((inventory.body.inventory.interfaces as { mac_address: string }[]).map((i) => i.mac_address)).toEqual(
      seen.nics.map((n) => n.mac),
    );
    expect(node.properties).toMatchObject({ memory_mb: seen.memoryMiB, cpu_arch: seen.cpu.arch });

    const mark = seen.bootSteps.length;
    node = await drive(svc, uuid, { target: 'provide' }, 'available', 30_000);
    seen = await simHost(rig.sim, host.name);
    expect(node.last_error).toBeNull();
    expect(
      seen.bootSteps
        .slice(mark)
        .some((s) => s.kind === 'command' && s.source.includes('erase_devices_metadata') && s.outcome === 'ok'),
      bootLog(seen),
    ).toBe(true);
    expect(seen.power).toBe('Off');

    await setImage(svc, uuid, rig.image);
    node = await deploy(svc, uuid, 'db-0');
    expect(node.last_error).toBeNull();
    seen = await osRunning(rig, host.name);
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    expect(seen.os?.hostname).toBe('db-0');
    expect(seen.os?.userData).toBe(userDataFor('db-0'));
    expect(seen.os?.addresses).toEqual([
      expect.objectContaining({ address, prefix, family: 'ipv4', mac: host.macs[0] }),
    ]);

    const boots = (await detailedHistory(svc, uuid)).filter((e) => e.event_type === 'boot').map((e) => e.event);
    // Inspection, cleaning and the deploy each netbooted the agent.
    expect(
      boots.filter((e) => e.startsWith(`tftp to ${host.macs[0]}`)),
      boots.join('\n'),
    ).toHaveLength(3);
    expect(
      boots.filter((e) => e.startsWith(`http to ${host.macs[0]}`) && e.endsWith('.ipxe')),
      boots.join('\n'),
    ).toHaveLength(3);

    node = await drive(svc, uuid, { target: 'deleted' }, 'available', 30_000);
    expect(node.last_error).toBeNull();
    seen = await simHost(rig.sim, host.name);
    expect(seen.disk).toBeNull();
    expect(seen.power).toBe('Off');

    const second = putImage(svc, 'disk-ipmi-2.img', 96 * 1024);
    await setImage(svc, uuid, second);
    await deploy(svc, uuid, 'db-0b');
    seen = await osRunning(rig, host.name, seen.os?.bootedAt ?? null);
    expect(seen.disk?.sha256).toBe(second.sha256);
    expect(seen.os?.hostname).toBe('db-0b');
  });
});
