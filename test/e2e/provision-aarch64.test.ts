// Issue 14 (item 9): an aarch64 host and an x86_64 host deployed in the same
// run, neither naming agent images in its driver_info. Each network-boots its
// own loader over TFTP (the arm64 one an operator put in the TFTP root, named
// by ANVIL_UEFI_ARM64_BOOT_FILE; Debian's ipxe.efi for the other) and its own
// agent kernel and ramdisk, chosen by its properties.cpu_arch from
// ANVIL_DEPLOY_KERNEL_BY_ARCH / ANVIL_DEPLOY_RAMDISK_BY_ARCH over the default
// pair, for the cleaning and for the deploy; both end active with the image
// on disk.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHostSnapshot } from '../../sim/host/index.js';
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

const DEBIAN_IPXE = '/usr/lib/ipxe';
/** Not Anvil's default name, so only the setting can have made TFTP serve it. */
const ARM64_LOADER_NAME = 'aa64/snp.efi';
const ARM64_LOADER = randomBytes(24 * 1024);
/** The agent images per arch, and a default pair neither host may boot. */
const AGENTS = {
  aarch64: { kernel: 'arm64/ipa.kernel', ramdisk: 'arm64/ipa.initramfs' },
  x86_64: { kernel: 'x86_64/ipa.kernel', ramdisk: 'x86_64/ipa.initramfs' },
  default: { kernel: 'generic/ipa.kernel', ramdisk: 'generic/ipa.initramfs' },
};

let tftpRoot: string;
let rig: ProvisionRig;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  if (!existsSync(path.join(DEBIAN_IPXE, 'ipxe.efi')))
    throw new Error(`no ${DEBIAN_IPXE}/ipxe.efi: install the ipxe package`);
  // An operator's TFTP root: Debian's binaries linked in, and an arm64 iPXE of their own beside them.
  tftpRoot = mkdtempSync(path.join(os.tmpdir(), 'anvil-tftp-a64-'));
  for (const file of ['undionly.kpxe', 'ipxe.efi', 'snponly.efi'])
    symlinkSync(path.join(DEBIAN_IPXE, file), path.join(tftpRoot, file));
  mkdirSync(path.join(tftpRoot, path.dirname(ARM64_LOADER_NAME)));
  writeFileSync(path.join(tftpRoot, ARM64_LOADER_NAME), ARM64_LOADER);

  const byArch = (part: 'kernel' | 'ramdisk') => `aarch64:${AGENTS.aarch64[part]},x86_64:${AGENTS.x86_64[part]}`;
  rig = await startProvisionRig({
    hosts: 2,
    seed: 81,
    cpuArch: (i) => (i === 0 ? 'aarch64' : 'x86_64'),
    bootFiles: { 'efi-arm64': ARM64_LOADER_NAME },
    env: {
      ANVIL_TFTP_ROOT: tftpRoot,
      ANVIL_UEFI_ARM64_BOOT_FILE: ARM64_LOADER_NAME,
      ANVIL_DEPLOY_KERNEL_BY_ARCH: byArch('kernel'),
      ANVIL_DEPLOY_RAMDISK_BY_ARCH: byArch('ramdisk'),
      ANVIL_DEPLOY_KERNEL: AGENTS.default.kernel,
      ANVIL_DEPLOY_RAMDISK: AGENTS.default.ramdisk,
    },
  });
  for (const { kernel, ramdisk } of Object.values(AGENTS)) {
    for (const file of [kernel, ramdisk]) {
      const at = path.join(rig.svc.dataDir, 'boot', file);
      mkdirSync(path.dirname(at), { recursive: true });
      writeFileSync(at, randomBytes(6 * 1024));
    }
  }
  await createPool(rig.svc, 'prov-a64', '127.81.0.0');
}, 60_000);

afterAll(async () => {
  await rig?.close();
  if (tftpRoot) rmSync(tftpRoot, { recursive: true, force: true });
});

/** Enrolls host `index` with its cpu_arch and no agent images of its own, then manages, cleans and deploys it. */
async function deployHost(index: number, cpuArch: 'aarch64' | 'x86_64') {
  const { svc } = rig;
  const { uuid, host } = await enrollForDeploy(rig, index, 'redfish', 'prov-a64', {
    properties: { cpu_arch: cpuArch },
  });
  const stripped = await svc.request('PATCH', `/v1/nodes/${uuid}`, [
    { op: 'remove', path: '/driver_info/deploy_kernel' },
    { op: 'remove', path: '/driver_info/deploy_ramdisk' },
  ]);
  expect(stripped.status, stripped.text).toBe(200);
  expect(Object.keys(stripped.body.driver_info as object)).not.toEqual(
    expect.arrayContaining([expect.stringMatching(/^deploy_(kernel|ramdisk)$/)]),
  );

  await drive(svc, uuid, { target: 'manage' }, 'manageable');
  const cleaned = await drive(svc, uuid, { target: 'provide' }, 'available', 45_000);
  expect(cleaned.last_error, bootLog(await simHost(rig.sim, host.name))).toBeNull();
  await setImage(svc, uuid, rig.image);
  const node = await deploy(svc, uuid, `${cpuArch}-0`, 45_000);
  const seen = await osRunning(rig, host.name);
  return { uuid, host, node, seen };
}

/** What the host fetched over the network, as its console shows: [kind, source, outcome]. */
function fetched(seen: SimHostSnapshot, kinds: string[]): [string, string, string][] {
  return seen.bootSteps.filter((s) => kinds.includes(s.kind)).map((s) => [s.kind, s.source, s.outcome]);
}

describe('an aarch64 and an x86_64 host deployed in one run, images chosen by architecture', () => {
  it('boots each its own loader and its own agent kernel and ramdisk, for cleaning and deploy, and both reach active', async () => {
    const [arm, x86] = await Promise.all([deployHost(0, 'aarch64'), deployHost(1, 'x86_64')]);
    const tftpBase = `tftp://127.0.0.1:${rig.svc.tftpPort}/`;
    const files = `${rig.svc.bootUrl}/boot-files/`;
    const loaders = [
      [arm, ARM64_LOADER_NAME, sha256(ARM64_LOADER)],
      [x86, 'ipxe.efi', sha256(readFileSync(path.join(DEBIAN_IPXE, 'ipxe.efi')))],
    ] as const;

    for (const [{ node, seen, host, uuid }, loader, loaderSha] of loaders) {
      const arch = host.name === arm.host.name ? 'aarch64' : 'x86_64';
      const agent = AGENTS[arch];
      expect(node.provision_state).toBe('active');
      expect(node.last_error).toBeNull();
      expect(seen.disk?.sha256, bootLog(seen, 40)).toBe(rig.image.sha256);
      expect(seen.os?.hostname).toBe(`${arch}-0`);

      // Two agent boots, cleaning then deploying; each fetched this arch's loader whole, then its agent.
      const tftp = seen.bootSteps.filter((s) => s.kind === 'tftp');
      expect(
        tftp.map((s) => [s.source, s.outcome]),
        bootLog(seen, 40),
      ).toEqual([
        [tftpBase + loader, 'ok'],
        [tftpBase + loader, 'ok'],
      ]);
      for (const step of tftp)
        expect(step.detail).toMatch(new RegExp(`^\\d+ bytes, blksize \\d+, windowsize 4, sha256 ${loaderSha}$`));
      const agentBoot = [
        ['kernel', files + agent.kernel, 'ok'],
        ['initrd', files + agent.ramdisk, 'ok'],
      ];
      expect(fetched(seen, ['kernel', 'initrd']), bootLog(seen, 40)).toEqual([...agentBoot, ...agentBoot]);

      // Anvil's own record of what it served this node over TFTP.
      const served = (await detailedHistory(rig.svc, uuid)).filter((e) => e.event_type === 'boot').map((e) => e.event);
      expect(served.filter((e) => e.startsWith('tftp '))).toEqual([
        `tftp to ${host.macs[0]}: ${loader}`,
        `tftp to ${host.macs[0]}: ${loader}`,
      ]);
    }
    // The default pair was there to be chosen, and neither host booted it.
    const all = [...fetched(arm.seen, ['kernel', 'initrd']), ...fetched(x86.seen, ['kernel', 'initrd'])];
    expect(all.filter(([, source]) => source.includes('/generic/'))).toEqual([]);
  });
});
