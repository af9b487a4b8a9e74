import type { Node } from '../nodes/index.js';
import type { HardwareInterface } from './hardware-interface.js';
import { missing, requireKeys, ValidationFailure } from './validation.js';

/** Ironic's agent `direct` deploy: the agent writes instance_info's image, which must be verifiable. */
export class DirectDeploy implements HardwareInterface {
  readonly name = 'direct';

  validate(node: Node): void {
    requireKeys(node, 'instance_info', ['image_source']);
    const info = node.instance_info;
    const source = String(info.image_source);
    const hasHash = Boolean(info.image_os_hash_algo) && Boolean(info.image_os_hash_value);
    // Local files need no checksum (Ironic agent.py); remote images must be verifiable.
    if (!source.startsWith('file://') && !info.image_checksum && !hasHash) {
      throw new ValidationFailure(
        'Missing image checksum: set instance_info/image_checksum, or image_os_hash_algo and image_os_hash_value',
      );
    }
  }
}

/**
 * The ramdisk deploy: the instance is a ramdisk booted every time, an ISO
 * (instance_info/boot_iso) where the boot interface boots ISOs, else a
 * kernel and ramdisk from the network.
 */
export class RamdiskDeploy implements HardwareInterface {
  readonly name = 'ramdisk';

  constructor(private readonly bootsIso: (node: Node) => boolean) {}

  validate(node: Node): void {
    const i = node.instance_info;
    if (this.bootsIso(node)) {
      if (!i.boot_iso) throw missing('instance_info', ['boot_iso']);
      return;
    }
    if (!i.boot_iso && !(i.kernel && i.ramdisk)) {
      throw new ValidationFailure(
        'instance_info needs boot_iso, or kernel and ramdisk, for the ramdisk deploy interface',
      );
    }
  }
}

/** Installs only what its deploy steps say: no image is required of it. */
export class CustomAgentDeploy implements HardwareInterface {
  readonly name = 'custom-agent';

  validate(): void {}
}
