import type { Node } from '../nodes/index.js';

/** The agent a node boots: `deploy` for inspection, cleaning, deployment and servicing; `rescue` to rescue it. */
export type AgentImageKind = 'deploy' | 'rescue';

/** The agent a node in its current state boots (Ironic's rescue_or_deploy_mode). */
export function agentKindOf(node: Pick<Node, 'provision_state'>): AgentImageKind {
  return node.provision_state === 'rescuing' || node.provision_state === 'rescue wait' ? 'rescue' : 'deploy';
}

/** An agent kernel and ramdisk: http(s) URLs, or paths the boot HTTP server serves under `/boot-files/`. */
export interface AgentImages {
  kernel: string;
  ramdisk: string;
}

/**
 * What the configuration offers nodes whose driver_info names no agent
 * images (Ironic's [conductor] deploy_kernel, deploy_kernel_by_arch, ...);
 * `AnvilConfig['agentImages']` is one. Maps are keyed by cpu_arch.
 */
export interface AgentImageDefaults {
  deployKernel: string | null;
  deployRamdisk: string | null;
  deployKernelByArch: Readonly<Record<string, string>>;
  deployRamdiskByArch: Readonly<Record<string, string>>;
  rescueKernel: string | null;
  rescueRamdisk: string | null;
  rescueKernelByArch: Readonly<Record<string, string>>;
  rescueRamdiskByArch: Readonly<Record<string, string>>;
}

/**
 * The agent kernel and ramdisk a node boots, by Ironic's precedence
 * (drivers/utils.py get_agent_kernel_ramdisk): the pair in its driver_info;
 * else the pair configured for its `properties.cpu_arch`; else the default
 * pair. Only a whole pair counts at each level: a kernel without its
 * ramdisk is ambiguous, so that level is passed over, as Ironic does unless
 * told to fail. Null when no level has a pair. Pure.
 */
export function agentImagesFor(
  node: Pick<Node, 'driver_info' | 'properties'>,
  kind: AgentImageKind,
  defaults: AgentImageDefaults,
): AgentImages | null {
  const fromNode = pair(node.driver_info[`${kind}_kernel`], node.driver_info[`${kind}_ramdisk`]);
  if (fromNode) return fromNode;
  const arch = node.properties.cpu_arch;
  const kernels = kind === 'deploy' ? defaults.deployKernelByArch : defaults.rescueKernelByArch;
  const ramdisks = kind === 'deploy' ? defaults.deployRamdiskByArch : defaults.rescueRamdiskByArch;
  // Own keys only: a cpu_arch of `constructor` must not find Object.prototype's.
  const byArch =
    typeof arch === 'string' && Object.hasOwn(kernels, arch) && Object.hasOwn(ramdisks, arch)
      ? pair(kernels[arch], ramdisks[arch])
      : null;
  if (byArch) return byArch;
  return kind === 'deploy'
    ? pair(defaults.deployKernel, defaults.deployRamdisk)
    : pair(defaults.rescueKernel, defaults.rescueRamdisk);
}

function pair(kernel: unknown, ramdisk: unknown): AgentImages | null {
  return typeof kernel === 'string' && kernel !== '' && typeof ramdisk === 'string' && ramdisk !== ''
    ? { kernel, ramdisk }
    : null;
}
