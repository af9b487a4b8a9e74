import type { BootDevice, FirmwareComponent } from '../../bmc-drivers/index.js';
import type { Node } from '../nodes/index.js';
import type { VendorPassthruResult } from './vendor-passthru.js';

export interface BootDeviceView {
  boot_device: BootDevice | null;
  persistent: boolean | null;
}

/** One virtual media device in Ironic's words (GET /v1/nodes/{id}/vmedia). */
export interface VirtualMediaView {
  media_types: string[];
  inserted: boolean;
  image: string | null;
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
  firmware(node: Node): Promise<FirmwareComponent[]>;
  /** Every virtual media device of the machine, read live from the BMC. */
  getVirtualMedia(node: Node): Promise<VirtualMediaView[]>;
  attachVirtualMedia(node: Node, imageUrl: string): Promise<void>;
  detachVirtualMedia(node: Node): Promise<void>;
  injectNmi(node: Node): Promise<void>;
  /** Ironic's node vendor passthru: one method of the node's vendor interface, with the caller's HTTP method and body. */
  vendorPassthru(
    node: Node,
    method: string,
    httpMethod: string,
    args: Record<string, unknown>,
  ): Promise<VendorPassthruResult>;
}

export type HardwareMethod = keyof HardwareCalls;
