import { describe, expect, it } from 'vitest';
import { agentImagesFor, type AgentImageDefaults } from '../../../../services/boot/index.js';

const DEFAULTS: AgentImageDefaults = {
  deployKernel: 'ipa.kernel',
  deployRamdisk: 'ipa.initramfs',
  deployKernelByArch: { aarch64: 'arm64/ipa.kernel', x86_64: 'http://images/x86/ipa.kernel' },
  deployRamdiskByArch: { aarch64: 'arm64/ipa.initramfs', x86_64: 'http://images/x86/ipa.initramfs' },
  rescueKernel: 'rescue.kernel',
  rescueRamdisk: 'rescue.initramfs',
  rescueKernelByArch: { aarch64: 'arm64/rescue.kernel' },
  rescueRamdiskByArch: { aarch64: 'arm64/rescue.initramfs' },
};

function node(driverInfo: Record<string, unknown>, cpuArch?: unknown) {
  return { driver_info: driverInfo, properties: cpuArch === undefined ? {} : { cpu_arch: cpuArch } };
}

describe('the agent images a node boots (Ironic get_agent_kernel_ramdisk)', () => {
  it("takes driver_info's pair over the node's arch and the defaults", () => {
    const own = node({ deploy_kernel: 'http://own/k', deploy_ramdisk: 'own.initramfs' }, 'aarch64');
    expect(agentImagesFor(own, 'deploy', DEFAULTS)).toEqual({ kernel: 'http://own/k', ramdisk: 'own.initramfs' });
  });

  it("takes the pair configured for the node's cpu_arch over the default pair", () => {
    expect(agentImagesFor(node({}, 'aarch64'), 'deploy', DEFAULTS)).toEqual({
      kernel: 'arm64/ipa.kernel',
      ramdisk: 'arm64/ipa.initramfs',
    });
    expect(agentImagesFor(node({}, 'x86_64'), 'deploy', DEFAULTS)).toEqual({
      kernel: 'http://images/x86/ipa.kernel',
      ramdisk: 'http://images/x86/ipa.initramfs',
    });
  });

  it('falls back to the default pair for a node without cpu_arch, or with one nothing is configured for', () => {
    const fallback = { kernel: 'ipa.kernel', ramdisk: 'ipa.initramfs' };
    expect(agentImagesFor(node({}), 'deploy', DEFAULTS)).toEqual(fallback);
    expect(agentImagesFor(node({}, 'ppc64le'), 'deploy', DEFAULTS)).toEqual(fallback);
    expect(agentImagesFor(node({}, 42), 'deploy', DEFAULTS)).toEqual(fallback);
    // An arch is a plain key: Object.prototype's names find nothing.
    expect(agentImagesFor(node({}, 'constructor'), 'deploy', DEFAULTS)).toEqual(fallback);
  });

  it('passes over a half pair, in driver_info or in the arch maps, as ambiguous', () => {
    expect(agentImagesFor(node({ deploy_kernel: 'own.kernel' }, 'aarch64'), 'deploy', DEFAULTS)).toEqual({
      kernel: 'arm64/ipa.kernel',
      ramdisk: 'arm64/ipa.initramfs',
    });
    expect(agentImagesFor(node({ deploy_kernel: 'own.kernel', deploy_ramdisk: '' }), 'deploy', DEFAULTS)).toEqual({
      kernel: 'ipa.kernel',
      ramdisk: 'ipa.initramfs',
    });
    const kernelOnly = { ...DEFAULTS, deployRamdiskByArch: {} };
    expect(agentImagesFor(node({}, 'aarch64'), 'deploy', kernelOnly)).toEqual({
      kernel: 'ipa.kernel',
      ramdisk: 'ipa.initramfs',
    });
  });

  it('finds nothing when no level has a whole pair', () => {
    const none = { ...DEFAULTS, deployKernel: null, deployRamdisk: null };
    expect(agentImagesFor(node({}, 'riscv64'), 'deploy', none)).toBeNull();
    expect(agentImagesFor(node({}), 'deploy', { ...DEFAULTS, deployRamdisk: null })).toBeNull();
  });

  it("resolves a rescue from the rescue keys and settings only, never the deploy agent's", () => {
    const deployOnly = node({ deploy_kernel: 'own.kernel', deploy_ramdisk: 'own.initramfs' }, 'aarch64');
    expect(agentImagesFor(deployOnly, 'rescue', DEFAULTS)).toEqual({
      kernel: 'arm64/rescue.kernel',
      ramdisk: 'arm64/rescue.initramfs',
    });
    expect(agentImagesFor(node({}, 'x86_64'), 'rescue', DEFAULTS)).toEqual({
      kernel: 'rescue.kernel',
      ramdisk: 'rescue.initramfs',
    });
    const own = node({ rescue_kernel: 'mine.kernel', rescue_ramdisk: 'mine.initramfs' }, 'aarch64');
    expect(agentImagesFor(own, 'rescue', DEFAULTS)).toEqual({ kernel: 'mine.kernel', ramdisk: 'mine.initramfs' });
    expect(
      agentImagesFor(node({}, 'x86_64'), 'rescue', { ...DEFAULTS, rescueKernel: null, rescueRamdisk: null }),
    ).toBeNull();
  });
});
