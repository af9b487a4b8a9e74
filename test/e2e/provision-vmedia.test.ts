// Issue 7's virtual-media Proof: a Redfish host with the redfish-virtual-media
// boot interface boots its agent from an ISO its BMC fetches from Anvil's
// HTTP server, with no DHCP and no TFTP, and ends in the same place as a
// network-booted one: cleaned by its agent, deployed to active with the
// image on its disk and its hostname and IPAM address in its OS, released
// to available, deployed again.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVirtualMediaIso } from '../../pxe/iso/index.js';
import { requireTool } from '../interop/tools.js';
import type { TestService } from '../support/service.js';
import { drive, simHost } from './sim-nodes.js';
import {
  bootLog,
  createPool,
  deploy,
  detailedHistory,
  enrollForDeploy,
  osRunning,
  setImage,
  startProvisionRig,
  type ProvisionRig,
} from './provision-rig.js';

// A real agent ISO (GRUB config naming ipa-api-url, read by the host over
// HTTP Range requests) where grub-mkrescue is installed; elsewhere an opaque
// ISO and the kernel parameters given to the sim instead, so the deploy path
// is still proven (CI must have grub-mkrescue: requireTool fails there).
const realIso = requireTool('grub-mkrescue');
const ISO_NAME = 'agent.iso';

let rig: ProvisionRig;
let isoUrl: string;

function agentParams(svc: TestService): string[] {
  return [`ipa-api-url=${svc.url}`, 'nofb', 'nomodeset'];
}

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 3, seed: 73, ...(realIso ? {} : { mediaKernelParams: agentParams }) });
  const out = path.join(rig.svc.dataDir, 'images', ISO_NAME);
  if (realIso) {
    await buildVirtualMediaIso({
      kernelPath: path.join(rig.svc.dataDir, 'boot', 'ipa.kernel'),
      ramdiskPath: path.join(rig.svc.dataDir, 'boot', 'ipa.initramfs'),
      kernelParams: agentParams(rig.svc),
      outPath: out,
    });
  } else {
    writeFileSync(out, randomBytes(64 * 1024));
  }
  isoUrl = `${rig.svc.bootUrl}/images/${ISO_NAME}`;
  await createPool(rig.svc, 'prov-vm', '127.73.0.0');
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

describe('a Redfish host provisioned over virtual media', () => {
  it('boots its agent from the ISO with no DHCP or TFTP, is cleaned, deployed to active with its image, hostname and address, released and deployed again', async () => {
    const { svc } = rig;
    const { uuid, host, address } = await enrollForDeploy(rig, 0, 'redfish', 'prov-vm', {
      boot_interface: 'redfish-virtual-media',
      driver_info: { deploy_iso: isoUrl },
    });
    // Nothing would answer over the network for this host: no lease for the DHCP stand-in.
    rig.leases.delete(host.macs[0]!);

    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    let node = await drive(svc, uuid, { target: 'provide' }, 'available', 30_000);
    let seen = await simHost(rig.sim, host.name);
    expect(node.last_error, bootLog(seen)).toBeNull();
    expect(
      seen.bootSteps.some(
        (s) => s.kind === 'command' && s.source.includes('erase_devices_metadata') && s.outcome === 'ok',
      ),
      bootLog(seen),
    ).toBe(true);

    await setImage(svc, uuid, rig.image);
    node = await deploy(svc, uuid, 'vm-0');
    seen = await osRunning(rig, host.name);
    expect(node.last_error).toBeNull();
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    expect(seen.os?.hostname).toBe('vm-0');
    expect(seen.os?.addresses.map((a) => a.address)).toEqual([address]);
    // The installed OS runs with the agent ISO gone from its drive, as Ironic leaves it.
    expect(seen.media.inserted, JSON.stringify(seen.media)).toBe(false);

    // Every agent boot came from the ISO; nothing was fetched over TFTP or as an iPXE script.
    const agentBoots = seen.bootSteps.filter((s) => s.kind === 'firmware' && s.detail.includes('from cd'));
    expect(agentBoots.length, bootLog(seen, 40)).toBe(2);
    const media = seen.bootSteps.filter((s) => s.kind === 'media');
    expect(
      media.map((s) => [s.source, s.outcome]),
      bootLog(seen, 40),
    ).toEqual([
      [isoUrl, 'ok'],
      [isoUrl, 'ok'],
    ]);
    // Read from the ISO Anvil's HTTP server served, by Range requests, as a BMC reads virtual media.
    if (realIso) for (const step of media) expect(step.detail).toContain('kernel parameters from boot/grub/grub.cfg');
    expect(
      seen.bootSteps.filter((s) => s.kind === 'tftp' || s.kind === 'script'),
      bootLog(seen, 40),
    ).toEqual([]);
    // Anvil's boot services served this node nothing: no DHCP answer, no TFTP file, no iPXE script.
    const served = (await detailedHistory(svc, uuid)).filter((e) => e.event_type === 'boot').map((e) => e.event);
    expect(served.filter((e) => /^(dhcp|tftp) /.test(e) || e.includes('.ipxe'))).toEqual([]);

    node = await drive(svc, uuid, { target: 'deleted' }, 'available', 30_000);
    expect(node.last_error).toBeNull();
    seen = await simHost(rig.sim, host.name);
    expect(seen.disk).toBeNull();

    // The undeploy took the instance's image away with instance_info (Ironic's tear-down): it is given again.
    await setImage(svc, uuid, rig.image);
    await deploy(svc, uuid, 'vm-0b');
    seen = await osRunning(rig, host.name, seen.os?.bootedAt ?? null);
    expect(seen.os?.hostname).toBe('vm-0b');
    expect(seen.disk?.sha256).toBe(rig.image.sha256);
  });

  // Ironic's redfish boot builds the agent ISO itself when driver_info names no deploy_iso.
  it.skipIf(!realIso)(
    'builds its agent ISO from deploy_kernel and deploy_ramdisk when no deploy_iso is given, boots it, and withdraws it after',
    async () => {
      const { svc } = rig;
      const { uuid, host } = await enrollForDeploy(rig, 1, 'redfish', 'prov-vm', {
        boot_interface: 'redfish-virtual-media',
      });
      rig.leases.delete(host.macs[0]!);
      const published = path.join(svc.dataDir, 'boot', 'vmedia', `boot-${uuid}.iso`);

      await drive(svc, uuid, { target: 'manage' }, 'manageable');
      let node = await drive(svc, uuid, { target: 'provide' }, 'available', 30_000);
      let seen = await simHost(rig.sim, host.name);
      expect(node.last_error, bootLog(seen)).toBeNull();
      const builtUrl = `${svc.bootUrl}/boot-files/vmedia/boot-${uuid}.iso`;
      const media = seen.bootSteps.filter((s) => s.kind === 'media');
      expect(
        media.map((s) => [s.source, s.outcome]),
        bootLog(seen, 40),
      ).toEqual([[builtUrl, 'ok']]);
      // The host read the agent's command line from the GRUB config Anvil wrote, and its agent found the API by it.
      expect(media[0]!.detail).toContain('kernel parameters from boot/grub/grub.cfg');
      expect(
        seen.bootSteps.filter((s) => s.kind === 'lookup' && s.outcome === 'ok').map((s) => s.source),
        bootLog(seen, 40),
      ).toEqual([`${svc.url}/v1/lookup`]);
      expect(
        seen.bootSteps.some(
          (s) => s.kind === 'command' && s.source.includes('erase_devices_metadata') && s.outcome === 'ok',
        ),
        bootLog(seen),
      ).toBe(true);
      // Cleaning is over: the ISO left the drive and the boot HTTP server.
      expect(seen.media.inserted).toBe(false);
      expect(existsSync(published)).toBe(false);

      await setImage(svc, uuid, rig.image);
      node = await deploy(svc, uuid, 'vm-1');
      seen = await osRunning(rig, host.name);
      expect(node.last_error).toBeNull();
      expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
      expect(seen.os?.hostname).toBe('vm-1');
      expect(existsSync(published)).toBe(false);
    },
  );

  it.skipIf(!realIso)(
    'takes the built ISO back when the agent fails its step: ejected from the drive and gone from the boot server',
    async () => {
      const { svc } = rig;
      const { uuid, host } = await enrollForDeploy(rig, 2, 'redfish', 'prov-vm', {
        boot_interface: 'redfish-virtual-media',
        automated_clean: false,
      });
      rig.leases.delete(host.macs[0]!);
      await drive(svc, uuid, { target: 'manage' }, 'manageable');
      await drive(svc, uuid, { target: 'provide' }, 'available');
      // The agent refuses to write an image that does not match its checksum.
      await setImage(svc, uuid, { url: rig.image.url, sha256: '0'.repeat(64) });
      const failed = await drive(svc, uuid, { target: 'active' }, 'deploy failed', 30_000);
      expect(failed.last_error).toMatch(/checksum/i);
      const seen = await simHost(rig.sim, host.name);
      expect(
        seen.bootSteps.filter((s) => s.kind === 'media').map((s) => s.source),
        bootLog(seen, 30),
      ).toEqual([`${svc.bootUrl}/boot-files/vmedia/boot-${uuid}.iso`]);
      expect(seen.media.inserted).toBe(false);
      expect(existsSync(path.join(svc.dataDir, 'boot', 'vmedia', `boot-${uuid}.iso`))).toBe(false);
    },
  );
});
