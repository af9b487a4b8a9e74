import type { BootAction } from '../../pxe/index.js';
import type { Node, ProvisionState } from '../nodes/index.js';
import { agentImagesFor, agentKindOf, type AgentImageDefaults } from './agent-images.js';

/** States in which the node runs the ramdisk agent, so it must network-boot it. */
const AGENT_STATES: readonly ProvisionState[] = [
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

/** Ironic's [pxe]kernel_append_params default. */
const DEFAULT_KERNEL_PARAMS = ['nofb', 'nomodeset', 'vga=normal'];

/**
 * What a node's PXE NIC should boot now: the agent while the conductor needs
 * it, the local disk once active (so an installed host never netboots in a
 * loop), and nothing otherwise. `apiUrl` is where the agent reaches the API
 * (`ipa-api-url`); `defaults` are the configured agent images for nodes
 * whose driver_info names none. Kernel and ramdisk pass through as given: a
 * URL, or a path the boot HTTP server resolves under its own `/boot-files/`. Pure.
 */
export function bootActionFor(node: Node, apiUrl: string, defaults: AgentImageDefaults): BootAction {
  if (node.deploy_interface === 'ramdisk' && INSTANCE_STATES.includes(node.provision_state))
    return ramdiskInstance(node);
  if (node.provision_state === 'active') return { kind: 'local-disk' };
  if (!AGENT_STATES.includes(node.provision_state)) return { kind: 'exit' };
  // A rescue boots the rescue ramdisk (Ironic's rescue_kernel/rescue_ramdisk), every other agent the deploy one.
  const images = agentImagesFor(node, agentKindOf(node), defaults);
  // Without an agent to boot there is nothing sensible to netboot. The conductor refuses to start a step
  // without them (services/conductor/step-prerequisites.ts); this is for driver_info changed under a running one.
  if (images === null) return { kind: 'exit' };
  return {
    kind: 'agent',
    kernelUrl: images.kernel,
    ramdiskUrl: images.ramdisk,
    // BOOTIF is not ours to add: the script renderer derives it from the MAC the host booted with.
    kernelParams: agentKernelParams(node, apiUrl),
  };
}

/**
 * The agent's kernel command line, however it boots: where it reaches the
 * API, where an inspecting one reports, and driver_info's
 * kernel_append_params (else Ironic's default).
 */
export function agentKernelParams(node: Node, apiUrl: string): string[] {
  const inspecting = node.provision_state === 'inspecting' || node.provision_state === 'inspect wait';
  const callback = inspecting ? [`ipa-inspection-callback-url=${apiUrl}/v1/continue_inspection`] : [];
  const extra =
    typeof node.driver_info.kernel_append_params === 'string'
      ? node.driver_info.kernel_append_params.split(/\s+/).filter(Boolean)
      : DEFAULT_KERNEL_PARAMS;
  return [`ipa-api-url=${apiUrl}`, ...callback, ...extra];
}

/** Where a ramdisk deploy's instance boots: from the deploy's power-on, no agent involved, and once active. */
const INSTANCE_STATES: readonly ProvisionState[] = ['deploying', 'active'];

/**
 * The ramdisk deploy's instance: the kernel and ramdisk in instance_info,
 * booted from the network each time with Ironic's `ramdisk_kernel_arguments`.
 */
function ramdiskInstance(node: Node): BootAction {
  const { kernel, ramdisk, ramdisk_kernel_arguments: args } = node.instance_info;
  if (typeof kernel !== 'string' || typeof ramdisk !== 'string') return { kind: 'exit' };
  return {
    kind: 'ramdisk',
    kernelUrl: kernel,
    ramdiskUrl: ramdisk,
    kernelParams: typeof args === 'string' ? args.split(/\s+/).filter(Boolean) : [],
  };
}
