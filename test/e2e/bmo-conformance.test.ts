// baremetal-operator's conversation with Ironic, replayed against Anvil: one
// BareMetalHost with a Redfish BMC, from registration to deletion, each call
// shaped as BMO's source builds it (bmo-calls.ts), at the microversion BMO
// picks and with gophercloud's headers, and each answer read as BMO reads
// it. The host really network-boots the agent for inspection, cleaning and
// the deploy, so what BMO concludes is checked against the machine itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventReceiver, type EventReceiver } from '../unit/sim/redfish/event-receiver.js';
import { simHost } from './sim-nodes.js';
import { bootLog, createPool, osRunning, startProvisionRig, userDataFor, type ProvisionRig } from './provision-rig.js';
import {
  BmoClient,
  configDrive,
  configureNodeOps,
  enrollNodeBody,
  instanceUpdateOps,
  ironicNodeName,
  manualCleaningSteps,
  redfishDriverInfo,
  serviceSteps,
  startInspectionOps,
  targetRAIDLogicalDisks,
  updateOps,
  type HardwareDetails,
  type HostMeta,
  type Node,
} from './bmo-calls.js';

const POOL = 'bmo';
const META: HostMeta = { namespace: 'metal3', name: 'worker-0', uid: '5a0c1c1e-7d3b-4f7e-9a51-2f0c6c1b9e01' };
/** Ironic's failure states: BMO stops waiting on these and reports last_error. */
const FAILED = new Set(['clean failed', 'deploy failed', 'inspect failed', 'service failed', 'error']);

let rig: ProvisionRig;
let bmo: BmoClient;
let receiver: EventReceiver;
let hostName: string;
let bootMAC: string;
let uuid: string;
let hardware: HardwareDetails;

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 1, seed: 207 });
  await createPool(rig.svc, POOL, '127.207.0.0');
  receiver = await startEventReceiver();
  const host = rig.sim.manifest.hosts[0]!;
  hostName = host.name;
  bootMAC = host.macs[0]!;
  bmo = new BmoClient(`${rig.svc.url}/v1/`);
}, 30_000);

afterAll(async () => {
  await receiver?.close();
  await rig?.close();
});

/**
 * BMO's reconcile loop, compressed: GET the node (every read decoded as Go
 * decodes it) until Ironic has let go of it in `state`; a failure state ends
 * the wait at once with its last_error, as BMO's operationFailed would.
 */
async function settles(state: string, ms = 30_000): Promise<Node> {
  const deadline = Date.now() + ms;
  for (;;) {
    const node = (await bmo.getNode(uuid))!;
    const idle = !node.target_provision_state && !node.target_power_state && !node.reservation;
    if (idle && node.provision_state === state) return node;
    if (idle && FAILED.has(node.provision_state as string)) {
      throw new Error(
        `node in ${node.provision_state} waiting for ${state}: ${node.last_error}\n${bootLog(await simHost(rig.sim, hostName))}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`node not ${state} within ${ms} ms: ${node.provision_state} (last_error ${node.last_error})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The IPAM address CAPM3 would claim for the host, given to the sim as its DHCP lease. */
async function claimAddress(): Promise<{ address: string; prefix: number; gateway: string }> {
  const claim = await rig.svc.request('PUT', `/v1/anvil/nodes/${uuid}/addresses`, { pools: [POOL] });
  expect(claim.status, claim.text).toBe(200);
  const v4 = (claim.body.addresses as { family: string; address: string; prefix: number; gateway: string }[]).find(
    (a) => a.family === 'ipv4',
  )!;
  rig.leases.set(bootMAC, v4.address);
  return v4;
}

/** The subscriptions the BMC holds, read from its EventService as any Redfish client would. */
async function bmcSubscriptions(): Promise<string[]> {
  const { username, password } = rig.sim.manifest.hosts[0]!.redfish;
  const res = await fetch(`${rig.sim.redfish.url}/redfish/v1/EventService/Subscriptions`, {
    headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { Members: { '@odata.id': string }[] }).Members.map((m) => m['@odata.id']);
}

/** The BMC's own test event (Redfish SubmitTestEvent), as an operator checks a subscription with. */
async function submitTestEvent(eventType: string): Promise<Response> {
  const { username, password } = rig.sim.manifest.hosts[0]!.redfish;
  return fetch(`${rig.sim.redfish.url}/redfish/v1/EventService/Actions/EventService.SubmitTestEvent`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ EventType: eventType, MessageId: 'Base.1.0.Success' }),
  });
}

describe("baremetal-operator's Ironic calls against Anvil, one Redfish host", () => {
  it('discovers API 1.110 from the versioned endpoint without microversion headers, and finds drivers loaded', async () => {
    const { maxMinor, chosen } = await bmo.discover();
    expect(maxMinor).toBeGreaterThanOrEqual(110);
    expect(chosen).toBe('1.110');
    expect(await bmo.driverCount()).toBeGreaterThan(0);
  });

  it('registers: finds no node by name, plain name or boot MAC; enrolls with BMO body, creates the PXE port, manages, configures', async () => {
    expect(await bmo.findExistingHost(META, bootMAC, null)).toBeNull();

    const host = rig.sim.manifest.hosts[0]!;
    const driverInfo = redfishDriverInfo(host.redfish.address, host.redfish.username, host.redfish.password);
    const created = await bmo.enrollNode(
      enrollNodeBody(META, driverInfo, { inspectionMode: 'agent', bootMode: 'UEFI', cpuArch: 'x86_64' }),
    );
    uuid = created.uuid as string;
    expect(created).toMatchObject({
      name: ironicNodeName(META),
      provision_state: 'enroll',
      driver: 'redfish',
      boot_interface: 'ipxe',
      inspect_interface: 'agent',
      raid_interface: 'redfish',
      firmware_interface: 'redfish',
      disable_power_off: false,
    });
    // BMO leaves the BIOS interface to Ironic's default yet runs bios steps: the default must be usable.
    expect(created.bios_interface).toBe('redfish');
    // The next reconcile finds the node again by its name.
    expect((await bmo.findExistingHost(META, bootMAC, null))?.uuid).toBe(uuid);

    await bmo.createNodePort(uuid, bootMAC, true);
    expect(await bmo.getPorts({ nodeUUID: uuid })).toEqual([
      expect.objectContaining({ address: bootMAC, node_uuid: uuid }),
    ]);
    // The MAC now leads to the named node: a second BareMetalHost with it would be refused.
    await expect(bmo.findExistingHost({ ...META, name: 'other' }, bootMAC, null)).rejects.toThrow(
      'conflicts with existing node',
    );

    await bmo.changeProvisionState(uuid, { target: 'manage' });
    let node = await settles('manageable');
    expect(node.power_state).toMatch(/^power (on|off)$/);

    const deploy = {
      kernel: `${rig.svc.bootUrl}/boot-files/ipa.kernel`,
      ramdisk: `${rig.svc.bootUrl}/boot-files/ipa.initramfs`,
    };
    node = await bmo.updateNode(uuid, configureNodeOps(node, deploy, true));
    expect(node.driver_info).toMatchObject({ deploy_kernel: deploy.kernel, deploy_ramdisk: deploy.ramdisk });
    expect(node.automated_clean).toBe(true);
    // The secret is masked, as BMO's credential check expects Ironic to do.
    expect(node.driver_info.redfish_password).toBe('******');
    // A second configureNode pass has nothing to change: Anvil stored what BMO sent.
    expect(configureNodeOps(node, deploy, true)).toEqual([]);
    await claimAddress();
  }, 30_000);

  it('inspects in-band with the agent and BMO reads the inventory into HardwareDetails that match the machine', async () => {
    const before = (await bmo.getNode(uuid))!;
    const ops = startInspectionOps(before, 'agent');
    if (ops.length > 0) await bmo.updateNode(uuid, ops);
    await bmo.changeProvisionState(uuid, { target: 'inspect' });
    const node = await settles('manageable', 40_000);
    expect(node.inspection_finished_at).not.toBeNull();

    hardware = await bmo.getHardwareDetails(uuid);
    const machine = await simHost(rig.sim, hostName);
    const boot = hardware.nics.find((n) => n.mac === bootMAC);
    expect(boot, JSON.stringify(hardware.nics)).toBeDefined();
    expect(boot!.pxe).toBe(true);
    expect(hardware.nics.filter((n) => n.pxe).map((n) => n.mac)).toEqual([bootMAC]);
    expect(new Set(hardware.nics.map((n) => n.mac))).toEqual(new Set(machine.nics.map((n) => n.mac)));
    expect(hardware.cpu.count).toBeGreaterThan(0);
    expect(hardware.cpu.arch).toBe('x86_64');
    expect(hardware.ramMebibytes).toBeGreaterThan(0);
    expect(hardware.systemVendor.manufacturer).not.toBe('');
    expect(hardware.storage.map((s) => s.sizeBytes).sort()).toEqual(machine.disks.map((d) => d.sizeBytes).sort());

    // register.go createPortsForNode with HardwareData: a port for every inspected NIC, with its PXE flag.
    for (const nic of hardware.nics) await bmo.createNodePort(uuid, nic.mac, nic.pxe);
    const ports = await bmo.getPorts({ nodeUUID: uuid });
    expect(new Set(ports.map((p) => p.address))).toEqual(new Set(machine.nics.map((n) => n.mac)));
  }, 60_000);

  it('prepares: RAID target, BIOS settings and a firmware update in one manual clean, then reads them back as BMO does', async () => {
    const machine = await simHost(rig.sim, hostName);
    const level = machine.disks.length >= 2 ? '1' : '0';
    const initialBios = (await bmo.getFirmwareComponents(uuid)).find((c) => c.component === 'bios')!.currentVersion;
    expect(initialBios).not.toBe('2.9.0');
    const actual = await bmo.getFirmwareSettings(uuid);
    expect(actual.settings.ProcTurboMode).toBe('Enabled');
    expect.soft(actual.schema.ProcTurboMode).toMatchObject({
      attributeType: 'Enumeration',
      allowableValues: expect.arrayContaining(['Enabled', 'Disabled']),
    });

    // raid.go setTargetRAIDCfg: raid_interface is already redfish (no PATCH), then the target.
    let node = (await bmo.getNode(uuid))!;
    expect(updateOps('', { raid_interface: node.raid_interface }, { raid_interface: 'redfish' })).toEqual([]);
    await bmo.setRAIDConfig(uuid, targetRAIDLogicalDisks([{ sizeGibibytes: 20, level }], false));
    const steps = manualCleaningSteps({
      raidChanged: true,
      actualSettings: actual.settings,
      targetSettings: { ProcTurboMode: 'Disabled' },
      firmwareUpdates: [{ component: 'bios', url: 'http://127.0.0.1:9/firmware/bios-2.9.0.bin' }],
    });
    expect(steps.map((s) => `${s.interface}.${s.step}`)).toEqual([
      'raid.delete_configuration',
      'raid.create_configuration',
      'bios.apply_configuration',
      'firmware.update',
    ]);
    await bmo.changeProvisionState(uuid, { target: 'clean', clean_steps: steps });
    node = await settles('manageable', 60_000);
    expect(node.last_error).toBeNull();
    expect(node.raid_config.logical_disks).toEqual([
      expect.objectContaining({ raid_level: level, size_gb: 20, is_root_volume: true }),
    ]);

    const after = await simHost(rig.sim, hostName);
    expect(after.volumes).toHaveLength(1);
    expect(after.volumes[0]!.capacityBytes).toBe(20 * 2 ** 30);
    expect((await bmo.getFirmwareSettings(uuid)).settings.ProcTurboMode).toBe('Disabled');
    const components = await bmo.getFirmwareComponents(uuid);
    expect(components.map((c) => c.component)).toEqual(expect.arrayContaining(['bios', 'bmc']));
    const bios = components.find((c) => c.component === 'bios')!;
    expect(bios.currentVersion).toBe('2.9.0');
    // What HostFirmwareComponents' status shows: the version before the update, the one flashed, and when.
    expect.soft(bios.initialVersion).toBe(initialBios);
    expect.soft(bios.lastVersionFlashed).toBe('2.9.0');
    expect.soft(bios.updatedAt).not.toBeNull();
  }, 90_000);

  it('provides (automated cleaning), then provisions the image with a JSON config drive: active, and the OS sees it', async () => {
    await bmo.changeProvisionState(uuid, { target: 'provide' });
    let node = await settles('available', 40_000);
    expect(node.last_error).toBeNull();

    const address = rig.leases.get(bootMAC)!;
    const networkData = {
      links: [{ id: 'enp1s0', type: 'phy', ethernet_mac_address: bootMAC }],
      networks: [
        {
          id: 'provisioning',
          type: 'ipv4',
          link: 'enp1s0',
          ip_address: address,
          netmask: '255.255.255.0',
          routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '127.207.0.1' }],
        },
      ],
      services: [{ type: 'dns', address: '127.207.0.2' }],
    };
    const image = { url: rig.image.url, checksum: rig.image.sha256, checksumType: 'sha256', diskFormat: 'raw' };
    node = await bmo.updateNode(uuid, instanceUpdateOps(node, META, image));
    expect(node.instance_uuid).toBe(META.uid);
    expect(node.instance_info).toMatchObject({
      image_source: image.url,
      image_os_hash_algo: 'sha256',
      image_os_hash_value: image.checksum,
    });
    // BMO compares these fields to decide whether Ironic holds its image (ironicHasSameImage).
    expect(node.instance_info.image_checksum).toBeUndefined();
    expect(await bmo.validateNode(uuid)).toBe('');

    await bmo.changeProvisionState(uuid, {
      target: 'active',
      configdrive: configDrive(META, userDataFor(META.name), networkData),
    });
    // ironic.go HasCapacity: a deploying host counts against PROVISIONING_LIMIT, by its name.
    expect(await bmo.busyHosts()).toEqual([ironicNodeName(META)]);
    node = await settles('active', 60_000);
    expect(node.last_error).toBeNull();
    const seen = await osRunning(rig, hostName);
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    expect(seen.os?.hostname).toBe(META.name);
    expect(seen.os?.userData).toBe(userDataFor(META.name));
    expect(seen.os?.addresses).toEqual([
      expect.objectContaining({ address, prefix: 24, mac: bootMAC, gateway: '127.207.0.1' }),
    ]);
  }, 120_000);

  it('services the active host with BMO service steps (BIOS + firmware) and it is active again with its OS untouched', async () => {
    const before = await simHost(rig.sim, hostName);
    const actual = await bmo.getFirmwareSettings(uuid);
    const steps = serviceSteps({
      actualSettings: actual.settings,
      targetSettings: { ProcTurboMode: 'Enabled' },
      firmwareUpdates: [{ component: 'bios', url: 'http://127.0.0.1:9/firmware/bios-3.0.0.bin' }],
    });
    expect(steps.map((s) => `${s.interface}.${s.step}`)).toEqual(['bios.apply_configuration', 'firmware.update']);
    await bmo.changeProvisionState(uuid, { target: 'service', service_steps: steps });
    const node = await settles('active', 60_000);
    expect(node.last_error).toBeNull();

    const after = await osRunning(rig, hostName, before.os?.bootedAt ?? null);
    expect(after.disk?.sha256).toBe(rig.image.sha256);
    expect(after.os?.hostname).toBe(META.name);
    expect(after.bootSteps.slice(before.bootSteps.length).some((s) => s.kind === 'dhcp')).toBe(false);
    expect((await bmo.getFirmwareSettings(uuid)).settings.ProcTurboMode).toBe('Enabled');
    const bios = (await bmo.getFirmwareComponents(uuid)).find((c) => c.component === 'bios')!;
    expect(bios.currentVersion).toBe('3.0.0');
    expect.soft(bios.lastVersionFlashed).toBe('3.0.0');
    // BMO's health and power-failure checks read these.
    expect(node.fault ?? '').toBe('');
    expect(['ok', 'OK', undefined, null, '']).toContain(node.health);
  }, 90_000);

  it('subscribes to BMC events through vendor passthru, receives what its Alert subscription selects, and unsubscribes', async () => {
    // BMO sends no EventTypes: Anvil subscribes, as Ironic does, to ["Alert"].
    const id = await bmo.createSubscription(uuid, {
      destination: receiver.url,
      context: 'metal3/worker-0-events',
      httpHeaders: [{ 'X-Metal3-Token': 'tok-207' }],
    });
    expect(id).not.toBe('');
    expect(await bmcSubscriptions()).toEqual([expect.stringMatching(new RegExp(`/${id}$`))]);
    // A power change is a StatusChange: a BMC filtering by EventTypes keeps it from an Alert subscriber.
    await bmo.changePower(uuid, 'power off');
    expect((await settles('active')).power_state).toBe('power off');
    await bmo.changePower(uuid, 'power on');
    expect((await settles('active')).power_state).toBe('power on');
    // An alert reaches it, with the subscription's headers and context.
    expect((await submitTestEvent('Alert')).status).toBe(204);
    await receiver.waitFor(1, 5_000);
    expect(receiver.received).toHaveLength(1);
    const event = receiver.received[0]!;
    expect(event.headers['x-metal3-token']).toBe('tok-207');
    expect(event.body.Context).toBe('metal3/worker-0-events');
    expect(event.body.Events[0]?.EventType).toBe('Alert');

    await bmo.deleteSubscription(uuid, id);
    expect(await bmcSubscriptions()).toEqual([]);
    expect((await submitTestEvent('Alert')).status).toBe(204);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
  }, 40_000);

  it('deprovisions (deleted) back to available through automated cleaning', async () => {
    const node = (await bmo.getNode(uuid))!;
    // ironic.go syncAutomatedClean: nothing to change for automatedCleaningMode metadata.
    expect(node.automated_clean).toBe(true);
    await bmo.changeProvisionState(uuid, { target: 'deleted' });
    const done = await settles('available', 60_000);
    expect(done.last_error).toBeNull();
    expect((await simHost(rig.sim, hostName)).disk).toBeNull();
  }, 90_000);

  it('deletes the node as BMO does (stale instance_uuid removed first), and it is gone', async () => {
    let node = (await bmo.getNode(uuid))!;
    if (node.instance_uuid)
      node = await bmo.updateNode(uuid, updateOps('', { instance_uuid: node.instance_uuid }, { instance_uuid: null }));
    expect(node.instance_uuid ?? '').toBe('');
    await bmo.deleteNode(uuid);
    expect(await bmo.getNode(uuid)).toBeNull();
    expect(await bmo.getNode(ironicNodeName(META))).toBeNull();
    expect(await bmo.getPorts({ address: bootMAC })).toEqual([]);
  });
});
