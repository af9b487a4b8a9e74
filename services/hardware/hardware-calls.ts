import type { BiosAttributes, BootDevice, FirmwareComponent } from '../../bmc-drivers/index.js';
import type { Node } from '../nodes/index.js';

export interface BootDeviceView {
  boot_device: BootDevice | null;
  persistent: boolean | null;
}

/**
 * The synchronous hardware calls the API makes on a node. The conductor that
 * owns the node carries them out (`NodeHardware`); the API reaches it through
 * the conductor RPC (DESIGN decision 13), never the BMC itself.
 */
export interface HardwareCalls {
  getBootDevice(node: Node): Promise<BootDeviceView>;
  setBootDevice(node: Node, device: string, persistent: boolean): Promise<void>;
  supportedBootDevices(node: Node): Promise<readonly BootDevice[]>;
  /** Current settings read live from the BMC; nothing for hardware without a BIOS interface. */
  bios(node: Node): Promise<BiosAttributes>;
  firmware(node: Node): Promise<FirmwareComponent[]>;
  attachVirtualMedia(node: Node, imageUrl: string): Promise<void>;
  detachVirtualMedia(node: Node): Promise<void>;
  injectNmi(node: Node): Promise<void>;
}

export type HardwareMethod = keyof HardwareCalls;
