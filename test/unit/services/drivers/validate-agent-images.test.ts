import { describe, expect, it } from 'vitest';
import { validateNodeInterfaces, type ValidationEnv } from '../../../../services/drivers/index.js';
import type { Node } from '../../../../services/nodes/model.js';
import { nodeFixture } from '../../../support/node-fixture.js';
import { NO_CONFIGURED_IMAGES } from '../../../support/validation-env.js';

// The ipxe boot interface validates with agent images from driver_info, or configured per cpu_arch or for all.

const BMC = { redfish_address: 'http://127.0.0.1:8000', redfish_username: 'admin', redfish_password: 'pw' };

const ARM_IMAGES: ValidationEnv = {
  agentImages: {
    ...NO_CONFIGURED_IMAGES.agentImages,
    deployKernelByArch: { aarch64: 'arm/ipa.kernel' },
    deployRamdiskByArch: { aarch64: 'arm/ipa.initramfs' },
  },
};

function ipxeNode(arch: string, driverInfo: Record<string, string> = {}): Node {
  return {
    id: 1,
    ...nodeFixture({
      driver: 'redfish',
      boot_interface: 'ipxe',
      driver_info: { ...BMC, ...driverInfo },
      properties: { cpu_arch: arch },
    }),
  };
}

describe('ipxe boot validation with configured agent images', () => {
  it('passes a node whose cpu_arch has a configured pair, though its driver_info names none', () => {
    expect(validateNodeInterfaces(ipxeNode('aarch64'), ARM_IMAGES).boot).toEqual({ result: true });
  });

  it("refuses, in Ironic's words, a node whose arch has no pair and whose driver_info names none", () => {
    expect(validateNodeInterfaces(ipxeNode('x86_64'), ARM_IMAGES).boot).toEqual({
      result: false,
      reason:
        "Cannot validate PXE bootloader. Some parameters were missing in node's driver_info. Missing are: ['deploy_kernel', 'deploy_ramdisk']",
    });
  });

  it('still checks a pair driver_info names, which wins over the configured one', () => {
    const node = ipxeNode('aarch64', { deploy_kernel: 'glance://k', deploy_ramdisk: 'glance://r' });
    expect(validateNodeInterfaces(node, ARM_IMAGES).boot?.reason).toMatch(
      /^Validation of image href glance:\/\/k failed/,
    );
  });
});
