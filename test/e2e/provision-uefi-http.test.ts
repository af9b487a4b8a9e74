// The redfish-https boot interface end to end: a Redfish host's BMC is told
// to boot the agent ISO by UEFI HTTP boot (BootSourceOverrideTarget UefiHttp
// with Boot.HttpBootUri), so its firmware fetches the ISO from Anvil's HTTP
// server itself: no virtual CD is inserted, no DHCP answer or TFTP file is
// served. The host is cleaned by that agent and deployed to active; a node in
// legacy BIOS mode is refused; a ramdisk deploy boots its live ISO the same
// way, persistently.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVirtualMediaIso } from '../../pxe/iso/index.js';
import { requireTool } from '../interop/tools.js';
import type { TestService } from '../support/service.js';
import { drive, provision, reaches, simHost } from './sim-nodes.js';
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

// As in provision-vmedia: a real agent ISO where grub-mkrescue is installed, else
// an opaque one and the kernel parameters given to the sim instead.
const realIso = requireTool('grub-mkrescue');
const ISO_NAME = 'agent-http.iso';

let rig: ProvisionRig;
let isoUrl: string;

function agentParams(svc: TestService): string[] {
  return [`ipa-api-url=${svc.url}`, 'nofb', 'nomodeset'];
}

beforeAll(async () => {
  rig = await startProvisionRig({ hosts: 3, seed: 79, ...(realIso ? {} : { mediaKernelParams: agentParams }) });
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
  await createPool(rig.svc, 'prov-http', '127.79.0.0');
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

describe('a Redfish host provisioned by UEFI HTTP boot (redfish-https)', () => {
  it('boots its agent from the ISO URL its BMC was given, with no virtual media, DHCP or TFTP, is cleaned and deployed to active', async () => {
    const { svc } = rig;
    const { uuid, host, address } = await enrollForDeploy(rig, 0, 'redfish', 'prov-http', {
      boot_interface: 'redfish-https',
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
    node = await deploy(svc, uuid, 'http-0');
    seen = await osRunning(rig, host.name);
    expect(node.last_error).toBeNull();
    expect(node.provision_state).toBe('active');
    expect(seen.disk?.sha256, bootLog(seen)).toBe(rig.image.sha256);
    expect(seen.os?.hostname).toBe('http-0');
    expect(seen.os?.addresses.map((a) => a.address)).toEqual([address]);

    // Both agent boots (clean, deploy) were UEFI HTTP boots of the ISO URL, in UEFI mode.
    const agentBoots = seen.bootSteps.filter((s) => s.kind === 'firmware' && s.detail.includes('from uefi-http'));
    expect(
      agentBoots.map((s) => s.detail),
      bootLog(seen, 40),
    ).toEqual(['uefi boot from uefi-http', 'uefi boot from uefi-http']);
    const fetched = seen.bootSteps.filter((s) => s.kind === 'uefi-http');
    expect(
      fetched.map((s) => [s.source, s.outcome]),
      bootLog(seen, 40),
    ).toEqual([
      [isoUrl, 'ok'],
      [isoUrl, 'ok'],
    ]);
    if (realIso) for (const step of fetched) expect(step.detail).toContain('kernel parameters from boot/grub/grub.cfg');
    // No virtual CD was ever involved: nothing inserted, no media boot, no cd boot.
    expect(seen.media.image, JSON.stringify(seen.media)).toBeNull();
    expect(seen.bootSteps.filter((s) => s.kind === 'media' || s.detail.includes('from cd'))).toEqual([]);
    // The one-time HTTP boot was consumed; the installed OS boots from its disk.
    expect(seen.boot).toMatchObject({ target: 'hdd', enabled: 'continuous' });
    expect(seen.boot.httpBootUri).toBeUndefined();
    expect(
      seen.bootSteps.filter((s) => s.kind === 'tftp' || s.kind === 'script' || s.kind === 'dhcp'),
      bootLog(seen, 40),
    ).toEqual([]);
    const served = (await detailedHistory(svc, uuid)).filter((e) => e.event_type === 'boot').map((e) => e.event);
    expect(served.filter((e) => /^(dhcp|tftp) /.test(e) || e.includes('.ipxe'))).toEqual([]);
  });

  it('refuses a node set to legacy BIOS boot before touching the machine', async () => {
    const { svc } = rig;
    const { uuid, host } = await enrollForDeploy(rig, 1, 'redfish', 'prov-http', {
      boot_interface: 'redfish-https',
      driver_info: { deploy_iso: isoUrl },
      properties: { capabilities: 'boot_mode:bios' },
    });
    const res = await svc.request('GET', `/v1/nodes/${uuid}/validate`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.boot).toEqual({
      result: false,
      reason: `UEFI HTTP boot requires UEFI for node ${uuid}; its boot mode is legacy BIOS.`,
    });
    await drive(svc, uuid, { target: 'manage' }, 'manageable');
    const node = await drive(svc, uuid, { target: 'provide' }, 'clean failed', 30_000);
    expect(node.last_error).toContain('UEFI HTTP boot requires UEFI');
    const seen = await simHost(rig.sim, host.name);
    expect(seen.bootCount).toBe(0);
  });

  // A live ISO (no agent on its kernel command line) needs grub-mkrescue to build; CI has it (requireTool above).
  it.skipIf(!realIso)(
    'deploys a ramdisk instance by a persistent UEFI HTTP boot of its boot_iso, booted again after a reboot',
    async () => {
      const { svc } = rig;
      const liveIso = path.join(svc.dataDir, 'images', 'live.iso');
      await buildVirtualMediaIso({
        kernelPath: path.join(svc.dataDir, 'boot', 'ipa.kernel'),
        ramdiskPath: path.join(svc.dataDir, 'boot', 'ipa.initramfs'),
        kernelParams: ['console=ttyS0', 'live.mode=1'],
        outPath: liveIso,
      });
      const liveUrl = `${svc.bootUrl}/images/live.iso`;
      const { uuid, host } = await enrollForDeploy(rig, 2, 'redfish', 'prov-http', {
        boot_interface: 'redfish-https',
        deploy_interface: 'ramdisk',
        driver_info: { deploy_iso: isoUrl },
      });
      rig.leases.delete(host.macs[0]!);
      await drive(svc, uuid, { target: 'manage' }, 'manageable');
      await drive(svc, uuid, { target: 'provide' }, 'available', 30_000);
      const patched = await svc.request('PATCH', `/v1/nodes/${uuid}`, [
        { op: 'replace', path: '/instance_info', value: { boot_iso: liveUrl } },
      ]);
      expect(patched.status, patched.text).toBe(200);
      const res = await provision(svc, uuid, { target: 'active' }, '1.56');
      expect(res.status, res.text).toBe(202);
      const node = await reaches(svc, uuid, 'active', 30_000);
      expect(node.last_error).toBeNull();

      let seen = await liveOsRunning(host.name);
      expect(seen.boot).toMatchObject({ target: 'uefi-http', enabled: 'continuous', httpBootUri: liveUrl });
      expect(seen.os?.ramdiskKernel).toBe(liveUrl);
      expect(seen.disk).toBeNull();
      // The instance's boot stays: a reboot fetches the live ISO again.
      const before = seen.os?.bootedAt;
      expect((await svc.request('PUT', `/v1/nodes/${uuid}/states/power`, { target: 'rebooting' })).status).toBe(202);
      seen = await liveOsRunning(host.name, before);
      const fetched = seen.bootSteps.filter((s) => s.kind === 'uefi-http' && s.source === liveUrl);
      expect(fetched.length, bootLog(seen, 40)).toBeGreaterThanOrEqual(2);
      expect(seen.media.image).toBeNull();
    },
  );
});

async function liveOsRunning(name: string, since?: string) {
  for (let i = 0; i < 200; i++) {
    const seen = await simHost(rig.sim, name);
    if (seen.os?.running === true && seen.os.ramdiskKernel !== undefined && seen.os.bootedAt !== since) return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} never ran its live ISO: ${bootLog(await simHost(rig.sim, name), 10)}`);
}
