import { describe, expect, it } from 'vitest';
import type { AgentImageDefaults } from '../../../../services/boot/agent-images.js';
import { bootActionFor } from '../../../../services/boot/boot-action.js';
import type { Node } from '../../../../services/nodes/model.js';
import { ALL_STATES } from '../../../../services/nodes/states.js';

const apiUrl = 'http://192.0.2.1:6385';

/** Nothing configured: only driver_info names agent images. */
const NONE: AgentImageDefaults = {
  deployKernel: null,
  deployRamdisk: null,
  deployKernelByArch: {},
  deployRamdiskByArch: {},
  rescueKernel: null,
  rescueRamdisk: null,
  rescueKernelByArch: {},
  rescueRamdiskByArch: {},
};

function node(
  state: Node['provision_state'],
  driverInfo: Record<string, unknown> = {},
  properties: Record<string, unknown> = {},
): Node {
  return {
    provision_state: state,
    driver_info: { deploy_kernel: 'ipa.kernel', deploy_ramdisk: 'http://images/ipa.initramfs', ...driverInfo },
    properties,
  } as unknown as Node;
}

describe('what a node network-boots', () => {
  it('boots the agent while the conductor needs it, with the API URL; a boot file path is left to the boot server', () => {
    expect(bootActionFor(node('wait call-back'), apiUrl, NONE)).toEqual({
      kind: 'agent',
      kernelUrl: 'ipa.kernel',
      ramdiskUrl: 'http://images/ipa.initramfs',
      kernelParams: ['ipa-api-url=http://192.0.2.1:6385', 'nofb', 'nomodeset', 'vga=normal'],
    });
  });

  it('uses kernel_append_params from driver_info instead of the defaults', () => {
    const action = bootActionFor(
      node('clean wait', { kernel_append_params: 'console=ttyS0  ipa-debug=1' }),
      apiUrl,
      NONE,
    );
    expect(action.kind === 'agent' && action.kernelParams.slice(1)).toEqual(['console=ttyS0', 'ipa-debug=1']);
  });

  it('tells an inspecting agent where to post its inventory', () => {
    const action = bootActionFor(node('inspect wait'), apiUrl, NONE);
    expect(action.kind === 'agent' && action.kernelParams[1]).toBe(
      'ipa-inspection-callback-url=http://192.0.2.1:6385/v1/continue_inspection',
    );
  });

  it('boots the rescue ramdisk, not the deploy one, while rescuing; nothing when none is named', () => {
    const rescue = { rescue_kernel: 'rescue.kernel', rescue_ramdisk: 'http://images/rescue.initramfs' };
    for (const state of ['rescuing', 'rescue wait'] as const) {
      expect(bootActionFor(node(state, rescue), apiUrl, NONE)).toMatchObject({
        kind: 'agent',
        kernelUrl: 'rescue.kernel',
        ramdiskUrl: 'http://images/rescue.initramfs',
      });
      expect(bootActionFor(node(state), apiUrl, NONE)).toEqual({ kind: 'exit' });
    }
  });

  it('boots an active node from its disk, so it never netboots in a loop', () => {
    expect(bootActionFor(node('active'), apiUrl, NONE)).toEqual({ kind: 'local-disk' });
  });

  it('netboots nothing in every state where no agent runs, or without an agent to boot', () => {
    const agentStates = [
      'inspecting',
      'inspect wait',
      'cleaning',
      'clean wait',
      'deploying',
      'wait call-back',
      'rescuing',
      'rescue wait',
      'servicing',
      'service wait',
    ];
    for (const state of ALL_STATES) {
      if (state === 'active' || agentStates.includes(state)) continue;
      expect(bootActionFor(node(state), apiUrl, NONE), state).toEqual({ kind: 'exit' });
    }
    expect(bootActionFor(node('deploying', { deploy_kernel: '' }), apiUrl, NONE)).toEqual({ kind: 'exit' });
  });
});

describe('what a ramdisk-deployed node network-boots', () => {
  const instance = {
    kernel: 'live.kernel',
    ramdisk: 'http://images/live.initramfs',
    ramdisk_kernel_arguments: 'a=1  b',
  };
  const ramdiskNode = (state: Node['provision_state'], instanceInfo: Record<string, unknown> = instance) => ({
    ...node(state),
    deploy_interface: 'ramdisk',
    instance_info: instanceInfo,
  });

  it('boots the instance kernel and ramdisk from the deploy on and once active, with ramdisk_kernel_arguments, and no agent', () => {
    for (const state of ['deploying', 'active'] as const) {
      expect(bootActionFor(ramdiskNode(state), apiUrl, NONE)).toEqual({
        kind: 'ramdisk',
        kernelUrl: 'live.kernel',
        ramdiskUrl: 'http://images/live.initramfs',
        kernelParams: ['a=1', 'b'],
      });
    }
  });

  it('boots nothing when instance_info names no kernel and ramdisk, and the agent while cleaning', () => {
    expect(bootActionFor(ramdiskNode('active', {}), apiUrl, NONE)).toEqual({ kind: 'exit' });
    expect(bootActionFor(ramdiskNode('clean wait'), apiUrl, NONE).kind).toBe('agent');
  });
});

describe('the agent a node without images in driver_info network-boots', () => {
  const configured: AgentImageDefaults = {
    ...NONE,
    deployKernel: 'ipa.kernel',
    deployRamdisk: 'ipa.initramfs',
    deployKernelByArch: { aarch64: 'arm64/ipa.kernel' },
    deployRamdiskByArch: { aarch64: 'http://images/arm64/ipa.initramfs' },
    rescueKernelByArch: { aarch64: 'arm64/rescue.kernel' },
    rescueRamdiskByArch: { aarch64: 'arm64/rescue.initramfs' },
  };
  const bare = (state: Node['provision_state'], arch: string) =>
    node(state, { deploy_kernel: undefined, deploy_ramdisk: undefined }, { cpu_arch: arch });

  it('boots the deploy images configured for its cpu_arch, else the default pair', () => {
    expect(bootActionFor(bare('clean wait', 'aarch64'), apiUrl, configured)).toMatchObject({
      kind: 'agent',
      kernelUrl: 'arm64/ipa.kernel',
      ramdiskUrl: 'http://images/arm64/ipa.initramfs',
    });
    expect(bootActionFor(bare('wait call-back', 'x86_64'), apiUrl, configured)).toMatchObject({
      kind: 'agent',
      kernelUrl: 'ipa.kernel',
      ramdiskUrl: 'ipa.initramfs',
    });
  });

  it('boots the rescue images configured for its cpu_arch while rescuing, and nothing without a rescue pair', () => {
    expect(bootActionFor(bare('rescue wait', 'aarch64'), apiUrl, configured)).toMatchObject({
      kernelUrl: 'arm64/rescue.kernel',
      ramdiskUrl: 'arm64/rescue.initramfs',
    });
    // The deploy default is no rescue ramdisk.
    expect(bootActionFor(bare('rescue wait', 'x86_64'), apiUrl, configured)).toEqual({ kind: 'exit' });
  });
});
