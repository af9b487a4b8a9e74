import {
  BmcRefused,
  InvalidDriverInfo,
  requireInterface,
  UnsupportedOperation,
  type BmcDriver,
  type BootDevice,
  type FirmwareComponent,
} from '../../bmc-drivers/index.js';
import type { DriverCache } from '../conductor/index.js';
import type { NodeLocks, Node, NodeRepository } from '../nodes/index.js';
import { InvalidParameterValue, NotFound, TemporaryFailure, UnsupportedDriverExtension } from '../errors.js';
import type { BootDeviceView, HardwareCalls, VirtualMediaView } from './hardware-calls.js';
import { parseVendorCall, subscriptionView, type VendorCall, type VendorPassthruResult } from './vendor-passthru.js';

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

  async firmware(node: Node): Promise<FirmwareComponent[]> {
    if (!this.hasPart(node, 'firmware')) return [];
    return this.withBmc(node, (d) => requireInterface(d, 'firmware').getComponents());
  }

  async getVirtualMedia(node: Node): Promise<VirtualMediaView[]> {
    this.requirePart(node, 'virtualMedia', 'get_virtual_media');
    const slots = await this.withBmc(node, (d) => requireInterface(d, 'virtualMedia').list());
    // Ironic refuses a BMC without any device rather than answer an empty list.
    if (slots.length === 0) throw new InvalidParameterValue('No suitable virtual media device found');
    return slots.map((s) => ({ media_types: s.mediaTypes, inserted: s.inserted, image: s.image }));
  }

  async attachVirtualMedia(node: Node, imageUrl: string): Promise<void> {
    this.requirePart(node, 'virtualMedia', 'attach_virtual_media');
    await this.withBmc(node, (d) => requireInterface(d, 'virtualMedia').insert(imageUrl));
  }

  async detachVirtualMedia(node: Node): Promise<void> {
    this.requirePart(node, 'virtualMedia', 'detach_virtual_media');
    await this.withBmc(node, (d) => requireInterface(d, 'virtualMedia').eject());
  }

  /**
   * Checks the method and its arguments before any BMC call, then makes the
   * one call. A BMC that says no (an event type it does not offer, a
   * destination it will not post to) is the caller's 400, in the BMC's words.
   */
  async vendorPassthru(
    node: Node,
    method: string,
    httpMethod: string,
    args: Record<string, unknown>,
  ): Promise<VendorPassthruResult> {
    const call = parseVendorCall(node, method, httpMethod, args);
    type Outcome = { result: VendorPassthruResult | undefined } | { refused: string };
    const outcome = await this.withBmc(node, async (d): Promise<Outcome> => {
      try {
        return { result: await this.runVendorCall(requireInterface(d, 'events'), call) };
      } catch (err) {
        if (err instanceof BmcRefused) return { refused: err.message };
        throw err;
      }
    });
    if ('refused' in outcome) throw new InvalidParameterValue(vendorFailure(call, node, outcome.refused));
    if (outcome.result === undefined) throw new NotFound(vendorFailure(call, node, 'the BMC has no such subscription'));
    return outcome.result;
  }

  /** The result, or undefined when the subscription named does not exist. */
  private async runVendorCall(
    events: NonNullable<BmcDriver['events']>,
    call: VendorCall,
  ): Promise<VendorPassthruResult | undefined> {
    switch (call.method) {
      case 'create_subscription':
        return subscriptionView((await events.createSubscription(call.request)).body);
      case 'get_all_subscriptions':
        return events.listSubscriptions();
      case 'get_subscription': {
        const body = await events.getSubscription(call.id);
        return body === null ? undefined : subscriptionView(body);
      }
      case 'delete_subscription':
        return (await events.deleteSubscription(call.id)) ? null : undefined;
    }
  }

  private hasPart(node: Node, part: 'firmware' | 'virtualMedia'): boolean {
    if (node.driver === 'fake-hardware') return false;
    return this.driverOf(node)[part] !== undefined;
  }

  /** Ironic's refusal when the management interface lacks `extension`, before any BMC call. */
  private requirePart(node: Node, part: 'virtualMedia', extension: string): void {
    if (!this.hasPart(node, part)) throw new UnsupportedDriverExtension(node.driver, extension);
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

/** Ironic's RedfishError wording for each method (the payload left out: its headers carry credentials). */
function vendorFailure(call: VendorCall, node: Node, error: string): string {
  const what =
    call.method === 'create_subscription'
      ? `Failed to create subscription on node ${node.uuid}.`
      : call.method === 'get_all_subscriptions'
        ? `Redfish get_subscriptions failed for node ${node.uuid}.`
        : `Redfish ${call.method} failed for subscription ${call.id} on node ${node.uuid}.`;
  return `Redfish exception occurred. Error: ${what} Error: ${error}`;
}
