import type { Node } from '../nodes/index.js';
import { requireAgentImages, type BootInterface } from './boot-interfaces.js';
import type { HardwareInterface, ValidationEnv } from './hardware-interface.js';
import { ValidationFailure } from './validation.js';

/**
 * Ironic's AgentRescue: the boot interface validates, the rescue ramdisk's
 * kernel and initramfs are named for the network boot, and a rescue
 * password is set (the API puts it there with the rescue request; the
 * conductor swaps it for its hash). A rescue ISO over virtual media is not
 * something Anvil builds, so boot interfaces that boot ISOs are refused.
 */
export class AgentRescue implements HardwareInterface {
  readonly name = 'agent';

  constructor(private readonly bootOf: (node: Node) => HardwareInterface | undefined) {}

  validate(node: Node, env: ValidationEnv): void {
    const boot = this.bootOf(node);
    if (boot !== undefined && (boot as Partial<BootInterface>).fromIso === true)
      throw new ValidationFailure(
        `Rescue through the agent needs a network boot interface (ipxe); boot_interface ${node.boot_interface} cannot boot a rescue ramdisk.`,
      );
    // Unrescue boots the instance from its disk; a ramdisk deploy's instance has none to boot from.
    if (node.deploy_interface === 'ramdisk')
      throw new ValidationFailure(
        'Rescue through the agent needs an instance on disk; the ramdisk deploy interface has none to return to.',
      );
    boot?.validate(node, env);
    requireAgentImages(node, 'rescue', env, 'Cannot validate PXE bootloader');
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
