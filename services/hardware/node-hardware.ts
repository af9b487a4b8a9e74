import {
  InvalidDriverInfo,
  requireInterface,
  UnsupportedOperation,
  type BiosAttributes,
  type BmcDriver,
  type BootDevice,
  type FirmwareComponent,
} from '../../bmc-drivers/index.js';
import type { DriverCache } from '../conductor/index.js';
import type { NodeLocks, Node, NodeRepository } from '../nodes/index.js';
import { InvalidParameterValue, TemporaryFailure } from '../errors.js';
import type { BootDeviceView, HardwareCalls } from './hardware-calls.js';

/** fake-hardware keeps its boot device here, as Ironic's fake management interface does in memory. */
const FAKE_BOOT_KEY = 'fake_boot_device';
const FAKE_BOOT_DEVICES: readonly BootDevice[] = ['pxe', 'disk'];

export interface NodeHardwareDeps {
  nodes: NodeRepository;
  locks: NodeLocks;
  drivers: DriverCache;
}

/**
 * The synchronous hardware calls, carried out in the conductor that owns the
 * node (the API asks through the conductor RPC): one BMC call under the
 * node's lock, so they never overlap a conductor's step on the same machine.
 */
export class NodeHardware implements HardwareCalls {
  constructor(private readonly deps: NodeHardwareDeps) {}

  async getBootDevice(node: Node): Promise<BootDeviceView> {
    if (node.driver === 'fake-hardware') {
      const stored = node.driver_internal_info[FAKE_BOOT_KEY] as BootDeviceView | undefined;
      // Until one is set, Ironic's fake management interface answers PXE, not persistent.
      return stored ?? { boot_device: 'pxe', persistent: false };
    }
    const info = await this.withBmc(node, (d) => d.management.getBootDevice());
    return { boot_device: info.device, persistent: info.persistent };
  }

  async setBootDevice(node: Node, device: string, persistent: boolean): Promise<void> {
    const supported = await this.supportedBootDevices(node);
    if (!(supported as readonly string[]).includes(device)) {
      throw new InvalidParameterValue(
        `Boot device "${device}" is not supported by node ${node.uuid}; supported: ${supported.join(', ')}.`,
      );
    }
    if (node.driver === 'fake-hardware') {
      await this.deps.locks.withLock(node.id, node.uuid, () =>
        this.deps.nodes.update(node.id, {
          driver_internal_info: { ...node.driver_internal_info, [FAKE_BOOT_KEY]: { boot_device: device, persistent } },
        }),
      );
      return;
    }
    await this.withBmc(node, (d) => d.management.setBootDevice(device as BootDevice, { persistent }));
  }

  /** fake-hardware takes it and does nothing, as Ironic's fake management interface. */
  async injectNmi(node: Node): Promise<void> {
    if (node.driver === 'fake-hardware') return;
    await this.withBmc(node, (d) => d.management.injectNmi());
  }

  async supportedBootDevices(node: Node): Promise<readonly BootDevice[]> {
    if (node.driver === 'fake-hardware') return FAKE_BOOT_DEVICES;
    return this.driverOf(node).management.supportedBootDevices;
  }

  async bios(node: Node): Promise<BiosAttributes> {
    if (!this.hasPart(node, 'bios')) return {};
    return this.withBmc(node, (d) => requireInterface(d, 'bios').getAttributes());
  }

  async firmware(node: Node): Promise<FirmwareComponent[]> {
    if (!this.hasPart(node, 'firmware')) return [];
    return this.withBmc(node, (d) => requireInterface(d, 'firmware').getComponents());
  }

  async attachVirtualMedia(node: Node, imageUrl: string): Promise<void> {
    this.requirePart(node, 'virtualMedia', 'virtual media');
    await this.withBmc(node, (d) => requireInterface(d, 'virtualMedia').insert(imageUrl));
  }

  async detachVirtualMedia(node: Node): Promise<void> {
    this.requirePart(node, 'virtualMedia', 'virtual media');
    await this.withBmc(node, (d) => requireInterface(d, 'virtualMedia').eject());
  }

  private hasPart(node: Node, part: 'bios' | 'firmware' | 'virtualMedia'): boolean {
    if (node.driver === 'fake-hardware') return false;
    return this.driverOf(node)[part] !== undefined;
  }

  private requirePart(node: Node, part: 'virtualMedia', what: string): void {
    if (!this.hasPart(node, part))
      throw new InvalidParameterValue(`The ${node.driver} driver of node ${node.uuid} has no ${what}.`);
  }

  private driverOf(node: Node): BmcDriver {
    try {
      return this.deps.drivers.for(node);
    } catch (err) {
      if (err instanceof InvalidDriverInfo)
        throw new InvalidParameterValue(`Cannot reach the BMC of node ${node.uuid}: ${err.message}`);
      throw err;
    }
  }

  /** One BMC call under the node's lock; a BMC that fails answers 503 so that clients retry later. */
  private async withBmc<T>(node: Node, call: (driver: BmcDriver) => Promise<T>): Promise<T> {
    const driver = this.driverOf(node);
    return this.deps.locks.withLock(node.id, node.uuid, async () => {
      try {
        return await call(driver);
      } catch (err) {
        if (err instanceof UnsupportedOperation) throw new InvalidParameterValue(err.message);
        throw new TemporaryFailure(
          `The BMC of node ${node.uuid} did not do it: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    });
  }
}
