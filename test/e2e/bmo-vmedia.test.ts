// baremetal-operator's conversation with Ironic for a `redfish-virtualmedia://`
// BareMetalHost (bmc/redfish_virtualmedia.go: boot interface
// redfish-virtual-media, no provisioning network): BMO hands Ironic the
// agent's kernel and ramdisk, not an ISO, and Ironic builds the ISO the BMC
// inserts. Replayed against Anvil with BMO's own calls (bmo-calls.ts); the
// host is given no DHCP lease, so every agent boot must come from the ISO.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../interop/tools.js';
import { simHost } from './sim-nodes.js';
import { bootLog, createPool, osRunning, startProvisionRig, userDataFor, type ProvisionRig } from './provision-rig.js';
import {
  BmoClient,
  configDrive,
  configureNodeOps,
  enrollNodeBody,
  instanceUpdateOps,
  ironicNodeName,
  redfishDriverInfo,
  updateOps,
  type HostMeta,
  type Node,
} from './bmo-calls.js';

const META: HostMeta = { namespace: 'metal3', name: 'edge-0', uid: '0b6f3c2e-1f4d-4a8e-8c3b-6d2f9e7a1c55' };
const FAILED = new Set(['clean failed', 'deploy failed', 'inspect failed', 'error']);
// Building the ISO needs Debian's grub-mkrescue (CI fails without it; elsewhere this file is skipped).
const canBuildIso = requireTool('grub-mkrescue');

let rig: ProvisionRig;
let bmo: BmoClient;
let hostName: string;
let bootMAC: string;
let uuid: string;

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 1, seed: 208 });
  await createPool(rig.svc, 'bmo-vm', '127.208.0.0');
  const host = rig.sim.manifest.hosts[0]!;
  hostName = host.name;
  bootMAC = host.macs[0]!;
  // No DHCP for this host: nothing but the virtual CD can boot it.
  rig.leases.delete(bootMAC);
  bmo = new BmoClient(`${rig.svc.url}/v1/`);
}, 30_000);

afterAll(async () => {
  await rig?.close();
});

async function settles(state: string, ms = 40_000): Promise<Node> {
  const deadline = Date.now() + ms;
  for (;;) {
    const node = (await bmo.getNode(uuid))!;
    const idle = !node.target_provision_state && !node.target_power_state && !node.reservation;
    if (idle && node.provision_state === state) return node;
    if (idle && FAILED.has(node.provision_state as string))
      throw new Error(
        `node in ${node.provision_state}: ${node.last_error}\n${bootLog(await simHost(rig.sim, hostName))}`,
      );
    if (Date.now() > deadline) throw new Error(`node not ${state} within ${ms} ms: ${node.provision_state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const isoUrl = () => `${rig.svc.bootUrl}/boot-files/vmedia/boot-${uuid}.iso`;
const isoFile = () => path.join(rig.svc.dataDir, 'boot', 'vmedia', `boot-${uuid}.iso`);

describe.skipIf(!canBuildIso)("baremetal-operator's Ironic calls for a virtual media host", () => {
  it('registers with the redfish-virtual-media boot interface and is given the agent kernel and ramdisk, no ISO', async () => {
    expect((await bmo.discover()).chosen).toBe('1.110');
    const host = rig.sim.manifest.hosts[0]!;
    const created = await bmo.enrollNode(
      enrollNodeBody(META, redfishDriverInfo(host.redfish.address, host.redfish.username, host.redfish.password), {
        inspectionMode: 'agent',
        bootMode: 'UEFI',
        cpuArch: 'x86_64',
        bootInterface: 'redfish-virtual-media',
      }),
    );
    uuid = created.uuid as string;
    expect(created.boot_interface).toBe('redfish-virtual-media');
    await bmo.createNodePort(uuid, bootMAC, true);
    await bmo.changeProvisionState(uuid, { target: 'manage' });
    let node = await settles('manageable');
    const deploy = {
      kernel: `${rig.svc.bootUrl}/boot-files/ipa.kernel`,
      ramdisk: `${rig.svc.bootUrl}/boot-files/ipa.initramfs`,
    };
    node = await bmo.updateNode(uuid, configureNodeOps(node, deploy, true));
    expect(node.driver_info.deploy_iso).toBeUndefined();
  }, 30_000);

  it('provides through automated cleaning with an agent booted from the ISO Anvil built, then withdrew', async () => {
    await bmo.changeProvisionState(uuid, { target: 'provide' });
    const node = await settles('available');
    expect(node.last_error).toBeNull();
    const seen = await simHost(rig.sim, hostName);
    const media = seen.bootSteps.filter((s) => s.kind === 'media');
    expect(
      media.map((s) => [s.source, s.outcome]),
      bootLog(seen, 40),
    ).toEqual([[isoUrl(), 'ok']]);
    // Nothing reached the host over the network: its only boot was the ISO.
    expect(seen.bootSteps.filter((s) => s.kind === 'dhcp' || s.kind === 'tftp')).toEqual([]);
    expect(seen.media.inserted).toBe(false);
    expect(existsSync(isoFile())).toBe(false);
  }, 60_000);

  it('provisions with a JSON config drive over virtual media: active, and the OS sees its hostname and user data', async () => {
    const claim = await rig.svc.request('PUT', `/v1/anvil/nodes/${uuid}/addresses`, { pools: ['bmo-vm'] });
    expect(claim.status, claim.text).toBe(200);
    const image = { url: rig.image.url, checksum: rig.image.sha256, checksumType: 'sha256', diskFormat: 'raw' };
    let node = await bmo.updateNode(uuid, instanceUpdateOps((await bmo.getNode(uuid))!, META, image));
    expect(node.instance_uuid).toBe(META.uid);
    // Boot (the ISO's makings), deploy (the image) and power all validate, as BMO checks before provisioning.
    expect(await bmo.validateNode(uuid)).toBe('');
    const networkData = {
      links: [{ id: 'enp1s0', type: 'phy', ethernet_mac_address: bootMAC }],
      networks: [],
      services: [],
    };
    await bmo.changeProvisionState(uuid, {
      target: 'active',
      configdrive: configDrive(META, userDataFor(META.name), networkData),
    });
    node = await settles('active', 60_000);
    expect(node.last_error).toBeNull();
    const seen = await osRunning(rig, hostName);
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    expect(seen.os?.hostname).toBe(META.name);
    expect(seen.os?.userData).toBe(userDataFor(META.name));
    expect(seen.media.inserted).toBe(false);
    expect(seen.bootSteps.filter((s) => s.kind === 'media').map((s) => s.source)).toEqual([isoUrl(), isoUrl()]);
  }, 90_000);

  it('deprovisions back to available and is deleted as BMO deletes it', async () => {
    await bmo.changeProvisionState(uuid, { target: 'deleted' });
    const done = await settles('available', 60_000);
    expect(done.last_error).toBeNull();
    expect((await simHost(rig.sim, hostName)).disk).toBeNull();
    const node = (await bmo.getNode(uuid))!;
    if (node.instance_uuid)
      await bmo.updateNode(uuid, updateOps('', { instance_uuid: node.instance_uuid }, { instance_uuid: null }));
    await bmo.deleteNode(uuid);
    expect(await bmo.getNode(ironicNodeName(META))).toBeNull();
    expect(existsSync(isoFile())).toBe(false);
  }, 90_000);
});
