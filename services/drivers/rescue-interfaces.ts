import type { Node } from '../nodes/index.js';
import { hasIso, requireAgentImages, VMEDIA_LEAD, type BootInterface } from './boot-interfaces.js';
import type { HardwareInterface, ValidationEnv } from './hardware-interface.js';
import { requireBootFileHref, ValidationFailure } from './validation.js';

/**
 * Ironic's AgentRescue: the boot interface validates, the rescue ramdisk is
 * named (its kernel and initramfs, or for a boot interface that boots ISOs
 * `rescue_iso` or the kernel and initramfs Anvil builds one from), and a
 * rescue password is set (the API puts it there with the rescue request;
 * the conductor swaps it for its hash).
 */
export class AgentRescue implements HardwareInterface {
  readonly name = 'agent';

  constructor(private readonly bootOf: (node: Node) => BootInterface | undefined) {}

  validate(node: Node, env: ValidationEnv): void {
    const boot = this.bootOf(node);
    const fromIso = boot?.fromIso === true;
    // Unrescue boots the instance from its disk; a ramdisk deploy's instance has none to boot from.
    if (node.deploy_interface === 'ramdisk')
      throw new ValidationFailure(
        'Rescue through the agent needs an instance on disk; the ramdisk deploy interface has none to return to.',
      );
    boot?.validate(node, env);
    if (fromIso && hasIso(node, 'rescue')) requireBootFileHref(node, 'rescue_iso', false);
    else requireAgentImages(node, 'rescue', env, fromIso ? VMEDIA_LEAD : 'Cannot validate PXE bootloader');
    const password = node.instance_info.rescue_password ?? node.instance_info.hashed_rescue_password;
    if (password === undefined || password === null)
      throw new ValidationFailure(
        `Node ${node.uuid} is missing 'instance_info/rescue_password'. It is required for rescuing node.`,
      );
    if (typeof password !== 'string' || password.trim() === '')
      throw new ValidationFailure(
        `The 'instance_info/rescue_password' is an empty string for node ${node.uuid}. The 'rescue_password' must be a non-empty string value.`,
      );
  }
}
