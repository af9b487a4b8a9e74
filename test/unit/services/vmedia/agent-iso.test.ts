import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readIso9660 } from '../../../../pxe/configdrive/index.js';
import type { Node } from '../../../../services/nodes/model.js';
import { AgentIsoPublisher, BootFileFetcher, findGrubMkrescue } from '../../../../services/vmedia/index.js';
import { requireTool } from '../../../interop/tools.js';
import { nodeFixture } from '../../../support/node-fixture.js';
import { NO_CONFIGURED_IMAGES } from '../../../support/validation-env.js';

// The agent ISO Anvil builds for a node with no deploy_iso, as Ironic's prepare_deploy_iso does.

const hasGrub = requireTool('grub-mkrescue');
const work = mkdtempSync(path.join(tmpdir(), 'anvil-agent-iso-'));
const bootFiles = path.join(work, 'boot');
mkdirSync(bootFiles);
writeFileSync(path.join(bootFiles, 'ipa.kernel'), Buffer.alloc(100_000, 1));
writeFileSync(path.join(bootFiles, 'ipa.initramfs'), Buffer.alloc(200_000, 2));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const NETWORK = {
  links: [{ id: 'port-0', type: 'phy', ethernet_mac_address: '52:54:00:00:00:01' }],
  networks: [],
  services: [],
};

function vmediaNode(overrides: Partial<Node> = {}): Node {
  return {
    id: 7,
    ...nodeFixture({
      driver: 'redfish',
      name: 'vm-7',
      boot_interface: 'redfish-virtual-media',
      provision_state: 'cleaning',
      driver_info: {
        deploy_kernel: 'ipa.kernel',
        deploy_ramdisk: 'ipa.initramfs',
        kernel_append_params: 'console=ttyS0',
      },
    }),
    ...overrides,
  };
}

async function publisher(options: { grub?: string | null; servesBootFiles?: boolean; grubLibDir?: string } = {}) {
  return new AgentIsoPublisher({
    bootFilesDir: bootFiles,
    fetcher: new BootFileFetcher({
      bootFilesDir: bootFiles,
      cacheDir: path.join(work, 'cache'),
      timeoutMs: 5000,
      maxBytes: 1 << 24,
    }),
    agentImages: NO_CONFIGURED_IMAGES.agentImages,
    networkDataOf: async (node) => (node.name === 'vm-7' ? NETWORK : null),
    grubMkrescue: options.grub === undefined ? await findGrubMkrescue() : options.grub,
    servesBootFiles: options.servesBootFiles ?? true,
    grubLibDir: options.grubLibDir ?? '/usr/lib/grub',
  });
}

describe('AgentIsoPublisher', () => {
  it('says why it cannot build before anything is tried: no boot server here, no grub-mkrescue, no agent images, no GRUB for the arch', async () => {
    expect((await publisher({ servesBootFiles: false })).problem(vmediaNode(), 'deploy')).toMatch(
      /needs the boot HTTP server in the conductor's process/,
    );
    const p = await publisher({ grub: '/usr/bin/grub-mkrescue', grubLibDir: path.join(work, 'no-grub') });
    expect(p.problem(vmediaNode({ driver_info: {} }), 'deploy')).toBe(
      "building the agent ISO needs the agent's deploy_kernel and deploy_ramdisk",
    );
    expect(p.problem(vmediaNode({ properties: { cpu_arch: 'aarch64' } }), 'deploy')).toMatch(
      /^building the agent ISO for cpu_arch aarch64 needs GRUB's arm64-efi platform .*grub-efi-arm64-bin/,
    );
    expect(p.problem(vmediaNode({ properties: { cpu_arch: 'ppc64le' } }), 'deploy')).toBe(
      'building an agent ISO for cpu_arch ppc64le is not supported; set driver_info/deploy_iso instead',
    );
    expect(p.problem(vmediaNode({ properties: { cpu_arch: 'x86_64' } }), 'deploy')).toBeNull();
    const noGrub = await publisher({ grub: null });
    expect(noGrub.problem(vmediaNode(), 'deploy')).toMatch(/needs grub-mkrescue \(Debian packages grub-common/);
    await expect(noGrub.publish(vmediaNode(), 'deploy')).rejects.toThrow(/needs grub-mkrescue/);
  });

  it.skipIf(!hasGrub)(
    "publishes the agent kernel and ramdisk with the agent's command line and the node's network data, and withdraws it",
    async () => {
      const p = await publisher();
      const node = vmediaNode();
      // A step may start before the boot server listens: the ISO is published once it does.
      const published = p.publish(node, 'deploy');
      p.attach({ bootUrl: 'http://192.0.2.1:8080', apiUrl: 'http://192.0.2.1:6385' });
      const url = await published;
      expect(url).toBe(`http://192.0.2.1:8080/boot-files/vmedia/boot-${node.uuid}.iso`);
      const file = path.join(bootFiles, 'vmedia', `boot-${node.uuid}.iso`);
      const iso = readIso9660(readFileSync(file));
      expect(iso.volumeId).toBe('config-2');
      expect(iso.files.get('boot/vmlinuz')!.equals(readFileSync(path.join(bootFiles, 'ipa.kernel')))).toBe(true);
      expect(iso.files.get('boot/initrd')!.equals(readFileSync(path.join(bootFiles, 'ipa.initramfs')))).toBe(true);
      expect(iso.files.get('boot/grub/grub.cfg')!.toString()).toContain(
        'linux /boot/vmlinuz ipa-api-url=http://192.0.2.1:6385 console=ttyS0 boot_method=vmedia',
      );
      expect(JSON.parse(iso.files.get('openstack/latest/network_data.json')!.toString())).toEqual(NETWORK);
      expect(JSON.parse(iso.files.get('openstack/latest/meta_data.json')!.toString())).toMatchObject({
        uuid: node.uuid,
      });
      // Nothing but the published ISO is left beside it.
      expect(readdirSync(path.join(bootFiles, 'vmedia'))).toEqual([`boot-${node.uuid}.iso`]);
      await p.withdraw(node);
      expect(existsSync(file)).toBe(false);

      // A rescue's ISO carries the rescue ramdisk, under the same name.
      const rescuing = vmediaNode({
        provision_state: 'rescuing',
        driver_info: { ...node.driver_info, rescue_kernel: 'ipa.initramfs', rescue_ramdisk: 'ipa.kernel' },
      });
      await p.publish(rescuing, 'rescue');
      const rescue = readIso9660(readFileSync(path.join(bootFiles, 'vmedia', `boot-${rescuing.uuid}.iso`)));
      expect(rescue.files.get('boot/vmlinuz')!.equals(readFileSync(path.join(bootFiles, 'ipa.initramfs')))).toBe(true);
      await p.withdraw(rescuing);
    },
    60_000,
  );
});
